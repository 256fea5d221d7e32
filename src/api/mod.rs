//! The HTTP surface: one OpenAPI struct per area, combined here with Swagger UI, the spec
//! document and the error rendering every response shares.

pub mod attempts;
pub mod auth;
pub mod banks;
pub mod busy;
pub mod certificates;
pub mod courses;
pub mod error;
pub mod headers;
pub mod health;
pub mod mock_exams;
pub mod one_status;
pub mod org;
pub mod page;
pub mod practice;
pub mod rendered;
pub mod reports;
pub mod security;
pub mod sittings;
pub mod study;
pub mod users;

use crate::AppState;
use poem::{Endpoint, EndpointExt, IntoEndpoint, IntoResponse, Request, Response, Route};
use poem_openapi::{OpenApiService, Tags};
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Tags)]
pub enum ApiTags {
    /// Liveness and readiness.
    Health,
    /// Sign-up, sign-in, tokens.
    Auth,
    /// People and staff accounts.
    Users,
    /// Streets (街道) and enterprises (企业).
    Organisations,
    /// Question banks (题库), imports and exports.
    QuestionBanks,
    /// Courses and their exam blueprints.
    Courses,
    /// Exam sittings, registrations, enterprise enrolment, admission tickets.
    Sittings,
    /// The live exam: attempts, answers, submit, results, proctoring.
    Exams,
    /// Certificates, their PDFs and public verification.
    Certificates,
    /// Online study (线上学习): lessons, heartbeats and credited study time (学时).
    Study,
    /// Yearly targets (年度目标) and the bureau's reports (统计报表), with CSV and xlsx exports.
    Reports,
}

type Apis = (
    health::HealthApi,
    auth::AuthApi,
    users::UsersApi,
    org::OrgApi,
    banks::BanksApi,
    courses::CoursesApi,
    sittings::SittingsApi,
    attempts::AttemptsApi,
    certificates::CertificatesApi,
    certificates::VerifyPageApi,
    reports::ReportsApi,
    study::StudyApi,
    practice::PracticeApi,
    mock_exams::MockExamsApi,
);

pub fn openapi_service(state: &AppState) -> OpenApiService<Apis, ()> {
    let apis = (
        health::HealthApi {
            state: state.clone(),
        },
        auth::AuthApi {
            state: state.clone(),
        },
        users::UsersApi {
            state: state.clone(),
        },
        org::OrgApi {
            state: state.clone(),
        },
        banks::BanksApi {
            state: state.clone(),
        },
        courses::CoursesApi {
            state: state.clone(),
        },
        sittings::SittingsApi {
            state: state.clone(),
        },
        attempts::AttemptsApi {
            state: state.clone(),
        },
        certificates::CertificatesApi {
            state: state.clone(),
        },
        certificates::VerifyPageApi {
            state: state.clone(),
        },
        reports::ReportsApi {
            state: state.clone(),
        },
        study::StudyApi {
            state: state.clone(),
        },
        practice::PracticeApi {
            state: state.clone(),
        },
        mock_exams::MockExamsApi {
            state: state.clone(),
        },
    );
    OpenApiService::new(apis, "SafeCert", env!("CARGO_PKG_VERSION"))
        .description(
            "Training, examination and certification for emergency first responders \
             (应急第一响应人) and safety managers. Errors are `{code, message, field?}`.",
        )
        .server(format!("{}/", state.config.public_base_url))
}

/// The whole application: API, spec, Swagger UI, error shape, request spans.
pub fn app(state: AppState) -> impl Endpoint<Output = Response> {
    let service = openapi_service(&state);
    let cors = poem::middleware::Cors::new()
        .allow_origins(state.config.cors_allowed_origins.clone())
        .allow_credentials(false);
    let cors_enabled = !state.config.cors_allowed_origins.is_empty();
    let spec = service.spec_endpoint();
    let docs = service.swagger_ui();
    // The document's operations live under these paths; the rest of the site is pages.
    let api = std::sync::Arc::new(service.into_endpoint());
    crate::web::routes(
        Route::new()
            .at("/api/openapi.json", spec)
            .nest("/api/docs", docs)
            .nest_no_strip("/api/v1", api.clone())
            .nest_no_strip("/verify", api.clone())
            .at("/healthz", api.clone())
            .at("/readyz", api),
    )
    .data(state)
    .catch_all_error(error::render_framework_error)
    .with(poem::middleware::CatchPanic::new().with_handler(error::panic_response))
    .with_if(cors_enabled, cors)
    .around(crate::web::session::api_cookie_bridge)
    .around(security_headers)
    .around(log_request)
    .map_to_response()
}

/// `attachment; filename*=UTF-8''...` so Chinese file names survive download; `fallback` is
/// the plain name for clients that read only `filename`.
pub(crate) fn attachment(fallback: &str, name: &str, extension: &str) -> String {
    let encoded: String = format!("{name}.{extension}")
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{fallback}.{extension}\"; filename*=UTF-8''{encoded}")
}

static REQUEST_SEQ: AtomicU64 = AtomicU64::new(1);

/// One span per request with an id (taken from `X-Request-Id` when the proxy sets one).
async fn log_request<E: Endpoint>(ep: std::sync::Arc<E>, req: Request) -> poem::Result<Response> {
    use tracing::Instrument;
    let id = req
        .header("x-request-id")
        .map(str::to_string)
        .unwrap_or_else(|| format!("r{}", REQUEST_SEQ.fetch_add(1, Ordering::Relaxed)));
    let span =
        tracing::info_span!("request", id = %id, method = %req.method(), path = %req.uri().path());
    async move {
        let started = std::time::Instant::now();
        let resp = ep.call(req).await?.into_response();
        tracing::debug!(
            status = resp.status().as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "done"
        );
        Ok(resp)
    }
    .instrument(span)
    .await
}

/// Security headers on every response, errors included (`headers::secure`).
async fn security_headers<E: Endpoint>(
    ep: std::sync::Arc<E>,
    req: Request,
) -> poem::Result<Response> {
    let docs = req.uri().path().starts_with("/api/docs");
    let mut resp = ep.call(req).await?.into_response();
    headers::secure(&mut resp, docs);
    Ok(resp)
}
