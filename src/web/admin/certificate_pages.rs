//! 证书: finding certificates at the counter, revoking and reissuing them.

use super::*;

struct CertificateRow {
    id: i64,
    number: String,
    holder: String,
    id_masked: String,
    course: String,
    issued: String,
    expires: String,
    status: &'static str,
    revoked: bool,
    reason: String,
}

#[derive(Template)]
#[template(path = "admin_certificates.html")]
struct CertificatesPage<'a> {
    layout: &'a Layout,
    query: String,
    certificates: Vec<CertificateRow>,
    total: i64,
    notice: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct CertificateQuery {
    q: Option<String>,
    /// What was just done, to say so.
    done: Option<String>,
}

/// Finds certificates by number, or by the holder's mobile number or name, to revoke or
/// reissue them.
#[handler]
pub async fn certificates_list(
    req: &Request,
    Query(q): Query<CertificateQuery>,
    Data(state): Data<&AppState>,
) -> Response {
    let (layout, _) = match bureau(state, req).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let query = q.q.unwrap_or_default().trim().to_string();
    let notice = match q.done.as_deref() {
        Some("revoked") => Some("证书已撤销，持证人会收到邮件。".to_string()),
        Some("reissued") => Some("已补发新证书，原证书已作废。".to_string()),
        _ => None,
    };
    let mut rows = Vec::new();
    let mut total = 0;
    if !query.is_empty() {
        let found = async {
            let (certs, total) =
                crate::certificates::store::search(&state.db, &query, PAGE, 0).await?;
            let (courses, _) = courses::store::list(&state.db, 500, 0).await?;
            AppResult::Ok((certs, total, courses))
        }
        .await;
        let (certs, count, courses) = match found {
            Ok(f) => f,
            Err(e) => return refused(state, &layout, &e),
        };
        total = count;
        let titles: HashMap<i64, String> = courses.into_iter().map(|c| (c.id, c.title)).collect();
        let today = crate::certificates::today();
        rows = certs
            .into_iter()
            .map(|c| {
                let status = c.status(today);
                CertificateRow {
                    id: c.id,
                    number: c.number.clone(),
                    holder: c.holder_name.clone(),
                    id_masked: c.id_number_masked.clone().unwrap_or_default(),
                    course: titles.get(&c.course_id).cloned().unwrap_or_default(),
                    issued: c.issued_on.format("%Y-%m-%d").to_string(),
                    expires: c.expires_on.format("%Y-%m-%d").to_string(),
                    status: match status {
                        crate::certificates::CertificateStatus::Valid => "有效",
                        crate::certificates::CertificateStatus::Expired => "已过期",
                        crate::certificates::CertificateStatus::Revoked => "已撤销",
                    },
                    revoked: c.revoked_at.is_some(),
                    reason: c.revoke_reason.clone().unwrap_or_default(),
                }
            })
            .collect();
    }
    render(
        state,
        &layout,
        &CertificatesPage {
            layout: &layout,
            query,
            certificates: rows,
            total,
            notice,
        },
    )
}

#[derive(serde::Deserialize)]
pub struct RevokeForm {
    csrf: Option<String>,
    reason: Option<String>,
    /// The search to come back to.
    q: Option<String>,
}

fn back_to_search(q: &Option<String>, done: &str) -> Response {
    let q: String =
        url::form_urlencoded::byte_serialize(q.as_deref().unwrap_or("").as_bytes()).collect();
    see_other(&format!("/admin/certificates?q={q}&done={done}"))
}

/// Revokes a certificate with a reason; the holder is mailed.
#[handler]
pub async fn revoke_certificate(
    req: &Request,
    Path(id): Path<i64>,
    Form(form): Form<RevokeForm>,
    Data(state): Data<&AppState>,
) -> Response {
    let back = "/admin/certificates";
    let (layout, _) = match bureau_form(state, req, form.csrf.as_deref(), back).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let reason = form.reason.as_deref().unwrap_or_default();
    match crate::certificates::revoke(state, id, reason).await {
        Ok(_) => back_to_search(&form.q, "revoked"),
        Err(AppError::Invalid(_)) => problem(
            state,
            &layout,
            StatusCode::UNPROCESSABLE_ENTITY,
            "请填写撤销原因",
            "撤销证书需要填写原因，持证人会在邮件中看到它。".into(),
        ),
        Err(e) => refused(state, &layout, &e),
    }
}

/// Reissues a certificate (a new number, the same dates); the old one stops being valid.
#[handler]
pub async fn reissue_certificate(
    req: &Request,
    Path(id): Path<i64>,
    Form(form): Form<RevokeForm>,
    Data(state): Data<&AppState>,
) -> Response {
    let back = "/admin/certificates";
    let (layout, _) = match bureau_form(state, req, form.csrf.as_deref(), back).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    match crate::certificates::reissue(state, id).await {
        Ok(_) => back_to_search(&form.q, "reissued"),
        Err(e) => refused(state, &layout, &e),
    }
}
