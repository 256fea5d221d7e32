//! The pages people use (网页): server-rendered from compile-checked templates
//! (`templates/`), with a little script where a page needs it and one stylesheet, all
//! embedded in the binary. Pages call the same domain functions as the JSON API; who may see
//! what is decided there, and a page only checks that someone is signed in.

mod account;
mod admin;
mod assets;
mod catalogue;
mod charts;
mod dashboard;
mod enterprise;
mod exam;
mod markdown;
mod media;
pub mod messages;
mod mine;
mod mock_exam;
mod practice;
mod proctor;
pub mod session;
mod study;

use crate::{AppState, auth::Caller, domain::Role};
use askama::Template;
use poem::{
    IntoResponse, Request, Response, Route, get,
    http::{StatusCode, header},
    post,
    web::Redirect,
};

/// Adds the page routes (see `../shared/PAGES.md`) to the application's routes.
pub fn routes(route: Route) -> Route {
    route
        .at("/", get(catalogue::home))
        .at("/login", get(account::login_form).post(account::login))
        .at(
            "/register",
            get(account::register_form).post(account::register),
        )
        .at("/logout", post(account::logout))
        .at(
            "/forgot-password",
            get(account::forgot_form).post(account::forgot),
        )
        .at("/set-password", get(account::set_password))
        .at("/sittings", get(catalogue::sittings_list))
        .at("/sittings/:id/book", post(catalogue::book))
        .at("/sittings/:id/exam", get(exam::exam_page))
        .at("/attempts/:id/result", get(exam::result_page))
        .at("/me", get(mine::me))
        .at("/dashboard", get(dashboard::dashboard))
        .at(
            "/dashboard/questions/:id/retire",
            post(dashboard::retire_question),
        )
        .at("/me/registrations/:id/cancel", post(mine::cancel))
        .at("/admin", get(admin::home))
        .at("/admin/banks", post(admin::create_bank))
        .at("/admin/banks/:id", get(admin::bank_view))
        .at("/admin/banks/:id/import", post(admin::import))
        .at("/admin/banks/:id/exam-only", post(admin::set_exam_only))
        .at("/admin/questions/:id", get(admin::question_view))
        .at("/admin/questions/:id/retire", post(admin::retire_question))
        .at(
            "/admin/courses/:id/lessons",
            get(admin::course_lessons).post(admin::save_lesson),
        )
        .at(
            "/admin/courses/:id/lessons/:order/remove",
            post(admin::remove_lesson),
        )
        .at(
            "/admin/sittings",
            get(admin::sittings_list).post(admin::create_sitting),
        )
        .at(
            "/admin/sittings/:id",
            get(admin::sitting_view).post(admin::update_sitting),
        )
        .at("/admin/sittings/:id/cancel", post(admin::cancel_sitting))
        .at("/admin/certificates", get(admin::certificates_list))
        .at("/admin/people", get(admin::people))
        .at("/admin/people/:id/enterprise", post(admin::link_person))
        .at(
            "/admin/certificates/:id/revoke",
            post(admin::revoke_certificate),
        )
        .at(
            "/admin/certificates/:id/reissue",
            post(admin::reissue_certificate),
        )
        .at(
            "/admin/courses",
            get(admin::courses_list).post(admin::create_course),
        )
        .at(
            "/admin/courses/:id",
            get(admin::course_view).post(admin::update_course),
        )
        .at("/enterprise", get(enterprise::console))
        .at(
            "/enterprise/roster-template.csv",
            get(enterprise::roster_template),
        )
        .at("/enterprise/roster", post(enterprise::preview))
        .at("/enterprise/roster/confirm", post(enterprise::confirm))
        .at("/proctor", get(proctor::sittings_list))
        .at("/proctor/sittings/:id", get(proctor::live))
        .at("/proctor/sittings/:id/ticket", post(proctor::check_ticket))
        .at(
            "/proctor/registrations/:id/check-in",
            post(proctor::check_in),
        )
        .at(
            "/proctor/registrations/:id/practical",
            post(proctor::record_practical),
        )
        .at("/study", get(study::study_home))
        .at("/study/courses/:id", get(study::course_lessons))
        .at("/study/lessons/:id", get(study::lesson_page))
        .at("/study/courses/:id/practice", get(practice::practice_page))
        .at("/study/practice/answers", post(practice::answer))
        .at("/study/wrong-answers", get(practice::wrong_answers))
        .at("/study/courses/:id/mock-exams", post(mock_exam::start))
        .at("/study/mock-exams/:id", get(mock_exam::mock_page))
        .at("/study/mock-exams/:id/result", get(mock_exam::result_page))
        .at("/admin/courses/:id/media", post(admin::upload_media))
        .at("/media/:id", get(media::media_file))
        .at("/assets/:name", get(assets::asset))
}

/// A paged list's links (`pager.html`): the page shown, how many there are, and the address
/// of page n, `{before}{n}{after}` (what follows keeps the list's filters).
pub struct Pager {
    pub page: i64,
    pub pages: i64,
    before: String,
    after: String,
}

impl Pager {
    pub fn new(
        page: i64,
        pages: i64,
        before: impl Into<String>,
        after: impl Into<String>,
    ) -> Pager {
        Pager {
            page,
            pages,
            before: before.into(),
            after: after.into(),
        }
    }

    pub fn href(&self, page: i64) -> String {
        format!("{}{page}{}", self.before, self.after)
    }
}

/// What every page's frame needs: who is signed in and the cross-site token for its forms.
pub struct Layout {
    pub csrf: String,
    pub user: Option<Caller>,
    /// The token is new: the response must set its cookie.
    new_csrf: bool,
    /// The browser takes gzip: pages go compressed (a phone on a slow network).
    gzip: bool,
}

impl Layout {
    pub async fn of(state: &AppState, req: &Request) -> Layout {
        let (csrf, new_csrf) = session::csrf_token(req);
        Layout {
            csrf,
            user: session::signed_in(state, req).await,
            new_csrf,
            gzip: accepts_gzip(req),
        }
    }

    pub fn user_name(&self) -> Option<&str> {
        self.user.as_ref().map(|u| u.name.as_str())
    }

    /// Whether the header links the statistics dashboard (the bureau and street officers).
    pub fn sees_dashboard(&self) -> bool {
        self.user.as_ref().is_some_and(|u| {
            matches!(
                crate::access::report_area(u),
                Some(crate::access::Area::District | crate::access::Area::Street(_))
            )
        })
    }

    /// Whether the header links the proctor's console (proctors and the bureau).
    pub fn proctors(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| u.is_bureau() || u.has(Role::Proctor))
    }

    /// Whether the header links the enterprise console.
    pub fn administers_enterprise(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| crate::access::enterprise_admin_of(u).is_some())
    }

    /// Whether the header links the bureau's console.
    pub fn is_bureau(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.is_bureau())
    }
}

/// Renders a page; it is never cached, since it shows one person's data.
pub fn render(state: &AppState, layout: &Layout, page: &impl Template) -> Response {
    render_with(state, layout, StatusCode::OK, page)
}

pub fn render_with(
    state: &AppState,
    layout: &Layout,
    status: StatusCode,
    page: &impl Template,
) -> Response {
    let mut resp = match page.render() {
        Ok(html) => {
            let mut resp = Response::builder()
                .status(status)
                .content_type("text/html; charset=utf-8")
                .header(header::VARY, "Accept-Encoding");
            let body = match layout.gzip.then(|| gzip(html.as_bytes())).flatten() {
                Some(zipped) => {
                    resp = resp.header(header::CONTENT_ENCODING, "gzip");
                    zipped
                }
                None => html.into_bytes(),
            };
            resp.body(body)
        }
        Err(e) => {
            tracing::error!(error = %e, "a page failed to render");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    };
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    if layout.new_csrf {
        session::remember_csrf(state, &mut resp, &layout.csrf);
    }
    resp
}

/// The checks of a form that changes something for the signed-in person: someone signed out
/// logs in first and comes back to `back` (the page the form was on; its target cannot be
/// opened again), and a form without the cross-site token is refused. On success, the page
/// frame and the person.
pub async fn form_sender(
    state: &AppState,
    req: &Request,
    csrf: Option<&str>,
    back: &str,
) -> Result<(Layout, Caller), Response> {
    let layout = Layout::of(state, req).await;
    let Some(caller) = layout.user.clone() else {
        return Err(login_then(back));
    };
    if !session::csrf_ok(req, csrf) {
        return Err(problem(
            state,
            &layout,
            StatusCode::FORBIDDEN,
            "页面已过期",
            "页面已过期，请返回刷新后重试。".into(),
        ));
    }
    Ok((layout, caller))
}

/// Whether the request's `Accept-Encoding` takes gzip.
pub fn accepts_gzip(req: &Request) -> bool {
    req.headers()
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            parts.next() == Some("gzip") && !parts.any(|p| p == "q=0" || p == "q=0.0")
        })
}

/// Gzip at the default level: a 100-question exam page of ~140 KB goes out as ~25 KB.
pub fn gzip(body: &[u8]) -> Option<Vec<u8>> {
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 4), Compression::default());
    encoder.write_all(body).ok()?;
    encoder.finish().ok()
}

/// A page that needs a signed-in person sends everyone else to log in, and back after.
pub fn to_login(req: &Request) -> Response {
    let back = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    login_then(back)
}

/// To the log-in page, then to `back` (a page a browser can open again).
pub fn login_then(back: &str) -> Response {
    let next: String = url::form_urlencoded::byte_serialize(back.as_bytes()).collect();
    Redirect::see_other(format!("/login?next={next}")).into_response()
}

/// A short page that says what went wrong, with the status the API would give.
#[derive(Template)]
#[template(path = "problem.html")]
pub struct Problem<'a> {
    pub layout: &'a Layout,
    pub title: &'a str,
    pub message: String,
}

pub fn problem(
    state: &AppState,
    layout: &Layout,
    status: StatusCode,
    title: &str,
    message: String,
) -> Response {
    render_with(
        state,
        layout,
        status,
        &Problem {
            layout,
            title,
            message,
        },
    )
}

/// The status and page for a refused page request.
pub fn refused(state: &AppState, layout: &Layout, e: &crate::error::AppError) -> Response {
    use crate::error::AppError;
    let (status, title) = match e {
        AppError::Unauthenticated | AppError::InvalidCredentials => {
            (StatusCode::UNAUTHORIZED, "请先登录")
        }
        AppError::Forbidden { .. } => (StatusCode::FORBIDDEN, "无权访问"),
        AppError::NotFound { .. } => (StatusCode::NOT_FOUND, "没有找到"),
        AppError::Conflict { .. } => (StatusCode::CONFLICT, "暂时不能进行"),
        AppError::Unavailable { .. } => (StatusCode::SERVICE_UNAVAILABLE, "系统繁忙"),
        AppError::Internal(err) => {
            tracing::error!(error = %err, "a page failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "出错了")
        }
        _ => (StatusCode::UNPROCESSABLE_ENTITY, "填写有误"),
    };
    problem(state, layout, status, title, messages::for_error(e))
}

/// Local time as pages show it (Beijing time, as the bureau works).
pub fn local(at: chrono::DateTime<chrono::Utc>) -> String {
    crate::mail::templates::local_time(at)
}
