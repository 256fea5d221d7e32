//! Certificates: lists and PDFs for holders, their enterprises and the bureau; revocation and
//! reissue by the bureau; public verification (JSON and the page the QR code opens).

use crate::{
    AppState,
    api::{
        ApiTags,
        error::{ApiError, ApiResult, ErrorBody},
        page::{Page, window},
        security::{BearerAuth, BureauAuth},
    },
    certificates::{self, Certificate, CertificateStatus},
    courses,
    error::AppError,
};
use chrono::NaiveDate;
use poem::web::RemoteAddr;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::{Binary, Html, Json},
};

pub struct CertificatesApi {
    pub state: AppState,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CertificateView {
    pub id: i64,
    /// e.g. `BA-FR-THEORY-2026-000123`.
    pub number: String,
    /// The holder's name (whole: only the holder, their enterprise and the bureau see this).
    pub holder: String,
    pub user_id: i64,
    pub course: String,
    pub course_id: i64,
    pub exam_date: NaiveDate,
    pub issued_on: NaiveDate,
    pub expires_on: NaiveDate,
    pub status: CertificateStatus,
    pub revoke_reason: Option<String>,
    /// The certificate this one renews or replaces.
    pub previous_id: Option<i64>,
    /// `initial` (passed the course's exam), `renewal` (passed a re-education course) or
    /// `reissue` (a replacement made by the bureau).
    pub kind: String,
    /// The QR code's target: the public verification page.
    pub verify_url: String,
}

async fn view(state: &AppState, c: Certificate) -> Result<CertificateView, AppError> {
    let course = courses::require(state, c.course_id).await?;
    Ok(CertificateView {
        status: c.status(certificates::today()),
        verify_url: certificates::verify_url(state, &c.verify_code),
        id: c.id,
        number: c.number,
        holder: c.holder_name,
        user_id: c.user_id,
        course: course.title,
        course_id: c.course_id,
        exam_date: c.exam_date,
        issued_on: c.issued_on,
        expires_on: c.expires_on,
        revoke_reason: c.revoke_reason,
        previous_id: c.previous_id,
        kind: c.kind,
    })
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RevokeRequest {
    #[oai(validator(max_length = 500, pattern = r"\S"))]
    pub reason: String,
}

/// What anyone learns by verifying: no ID number, the name masked.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct VerificationView {
    pub status: CertificateStatus,
    /// Masked, e.g. 张*三.
    pub holder: String,
    pub course: String,
    pub issued_on: NaiveDate,
    pub expires_on: NaiveDate,
    pub number: String,
    /// Set when a newer certificate renews or replaces this one.
    pub renewed_by: Option<String>,
}

#[derive(ApiResponse)]
pub enum PdfResponse {
    #[oai(status = 200, content_type = "application/pdf")]
    Pdf(
        Binary<Vec<u8>>,
        #[oai(header = "Content-Disposition")] String,
    ),
}

#[derive(ApiResponse)]
pub enum ZipResponse {
    #[oai(status = 200, content_type = "application/zip")]
    Zip(
        Binary<Vec<u8>>,
        #[oai(header = "Content-Disposition")] String,
    ),
}

#[derive(ApiResponse)]
pub enum VerifyPage {
    #[oai(status = 200)]
    Found(Html<String>),
    #[oai(status = 404)]
    NotFound(Html<String>),
    #[oai(status = 429)]
    TooMany(Html<String>),
}

fn client(addr: &RemoteAddr) -> String {
    addr.as_socket_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| addr.to_string())
}

fn rate_limited() -> ApiError {
    ApiError::TooManyRequests(Json(ErrorBody::new(
        "rate_limited",
        "too many verifications; try again in a minute",
        None,
    )))
}

fn escape(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

/// The verification page in the site's frame and stylesheet (the pages of `crate::web`),
/// readable on the phone that scanned the QR code.
fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t} · SafeCert 应急培训考核</title><link rel=\"stylesheet\" href=\"/assets/site.css\">\
         <style>.valid{{color:#166534}}.expired{{color:#8a4b00}}.revoked{{color:#b42318}}dd{{font-size:1.1rem}}</style></head>\
         <body><header class=\"top\"><nav class=\"bar\" aria-label=\"主导航\"><a class=\"brand\" href=\"/\">SafeCert<span> 应急培训考核</span></a></nav></header>\
         <main id=\"main\"><section class=\"card narrow verify\"><h1>{t}</h1>{body}</section></main>\
         <footer class=\"foot\"><p>区应急管理局 SafeCert 证书核验</p></footer></body></html>",
        t = escape(title)
    )
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Certificates")]
impl CertificatesApi {
    /// Certificates: your own; your staff's (enterprise admin); all (bureau). With
    /// `expiring_within_days`, only unrevoked ones expiring within that many days.
    #[oai(path = "/certificates", method = "get")]
    async fn list(
        &self,
        auth: BearerAuth,
        #[oai(validator(minimum(value = "0"), maximum(value = "3650")))]
        expiring_within_days: Query<Option<i64>>,
        limit: Query<Option<i64>>,
        offset: Query<Option<i64>>,
    ) -> ApiResult<Json<Page<CertificateView>>> {
        let (limit, offset) = window(limit.0, offset.0);
        let until = expiring_within_days.0.map(certificates::expiring_within);
        let (items, total) = certificates::store::list(
            &self.state.db,
            crate::access::scope(&auth.0),
            until,
            limit,
            offset,
        )
        .await?;
        let mut out = Vec::with_capacity(items.len());
        for c in items {
            out.push(view(&self.state, c).await?);
        }
        Ok(Json(Page { items: out, total }))
    }

    /// One certificate (holder, their enterprise admin, bureau).
    #[oai(path = "/certificates/:id", method = "get")]
    async fn get(&self, auth: BearerAuth, id: Path<i64>) -> ApiResult<Json<CertificateView>> {
        let c = certificates::require_visible(&self.state, &auth.0, id.0).await?;
        Ok(Json(view(&self.state, c).await?))
    }

    /// The certificate PDF (holder, their enterprise admin, bureau).
    #[oai(path = "/certificates/:id/pdf", method = "get")]
    async fn pdf(&self, auth: BearerAuth, id: Path<i64>) -> ApiResult<PdfResponse> {
        let c = certificates::require_visible(&self.state, &auth.0, id.0).await?;
        let pdf = certificates::pdf(&self.state, &c).await?;
        Ok(PdfResponse::Pdf(
            Binary(pdf),
            format!("inline; filename=\"certificate-{}.pdf\"", c.number),
        ))
    }

    /// Revoke with a reason; the holder is mailed (bureau_admin).
    #[oai(path = "/certificates/:id/revoke", method = "post")]
    async fn revoke(
        &self,
        _auth: BureauAuth,
        id: Path<i64>,
        body: Json<RevokeRequest>,
    ) -> ApiResult<Json<CertificateView>> {
        let c = certificates::revoke(&self.state, id.0, &body.reason).await?;
        Ok(Json(view(&self.state, c).await?))
    }

    /// Replace a certificate with a new number and code, same dates; the old one is revoked
    /// (bureau_admin).
    #[oai(path = "/certificates/:id/reissue", method = "post")]
    async fn reissue(&self, _auth: BureauAuth, id: Path<i64>) -> ApiResult<Json<CertificateView>> {
        let c = certificates::reissue(&self.state, id.0).await?;
        Ok(Json(view(&self.state, c).await?))
    }

    /// All staff certificates of an enterprise as one ZIP of PDFs (that enterprise's admin,
    /// bureau); `expiring_within_days` narrows to those expiring soon.
    #[oai(path = "/enterprises/:id/certificates.zip", method = "get")]
    async fn zip(
        &self,
        auth: BearerAuth,
        id: Path<i64>,
        #[oai(validator(minimum(value = "0"), maximum(value = "3650")))]
        expiring_within_days: Query<Option<i64>>,
    ) -> ApiResult<ZipResponse> {
        let zip = certificates::enterprise_zip(&self.state, &auth.0, id.0, expiring_within_days.0)
            .await?;
        Ok(ZipResponse::Zip(
            Binary(zip),
            format!("attachment; filename=\"certificates-{}.zip\"", id.0),
        ))
    }

    /// Verify a certificate by the code in its QR code (anyone; rate-limited per client).
    /// Unknown codes: 404 without hints.
    #[oai(path = "/verify/:code", method = "get")]
    async fn verify(
        &self,
        code: Path<String>,
        addr: &RemoteAddr,
    ) -> ApiResult<Json<VerificationView>> {
        if !self.state.verify_limiter.allow(&client(addr)) {
            return Err(rate_limited());
        }
        let v = certificates::verify(&self.state, &code.0).await?;
        Ok(Json(VerificationView {
            status: v.status,
            holder: v.holder_masked,
            course: v.course_title,
            issued_on: v.cert.issued_on,
            expires_on: v.cert.expires_on,
            number: v.cert.number,
            renewed_by: v.renewed_by,
        }))
    }
}

/// The page the QR code opens: the same facts as `/api/v1/verify/{code}`, readable on a phone.
pub struct VerifyPageApi {
    pub state: AppState,
}

#[OpenApi(tag = "ApiTags::Certificates")]
impl VerifyPageApi {
    /// The verification page (anyone; rate-limited per client).
    #[oai(path = "/verify/:code", method = "get")]
    async fn verify_page(&self, code: Path<String>, addr: &RemoteAddr) -> VerifyPage {
        if !self.state.verify_limiter.allow(&client(addr)) {
            return VerifyPage::TooMany(Html(page(
                "请稍后再试",
                "<p>核验过于频繁，请一分钟后再试。</p>",
            )));
        }
        match certificates::verify(&self.state, &code.0).await {
            Ok(v) => {
                let (class, word) = match v.status {
                    CertificateStatus::Valid => ("valid", "有效"),
                    CertificateStatus::Expired => ("expired", "已过期"),
                    CertificateStatus::Revoked => ("revoked", "已撤销"),
                };
                let renewed = v
                    .renewed_by
                    .map(|n| format!("<dt>已换发新证</dt><dd>{}</dd>", escape(&n)))
                    .unwrap_or_default();
                VerifyPage::Found(Html(page(
                    "证书核验",
                    &format!(
                        "<p class=\"{class}\" style=\"font-size:1.6rem\">{word}</p><dl class=\"facts\"><dt>持证人</dt><dd>{}</dd><dt>培训考核项目</dt><dd>{}</dd>\
                         <dt>证书编号</dt><dd>{}</dd><dt>发证日期</dt><dd>{}</dd><dt>有效期至</dt><dd>{}</dd>{renewed}</dl>",
                        escape(&v.holder_masked),
                        escape(&v.course_title),
                        escape(&v.cert.number),
                        v.cert.issued_on,
                        v.cert.expires_on
                    ),
                )))
            }
            Err(_) => VerifyPage::NotFound(Html(page(
                "未找到证书",
                "<p>没有与此核验码对应的证书。</p>",
            ))),
        }
    }
}
