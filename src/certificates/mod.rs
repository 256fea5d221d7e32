//! Certificates (证书): issued when an attempt passes (and the practical assessment too,
//! where the course requires one), numbered `{district}-{course}-{year}-{seq}`, verifiable
//! by anyone through an unguessable code, revocable and reissuable by the bureau, renewed by
//! passing the course's re-education exam before expiry. Owns `certificates` and
//! `certificate_sequences`.

pub mod store;
pub mod templates;

use crate::{
    AppState, access, accounts,
    auth::Caller,
    courses::{self, Course},
    domain::mask_name,
    error::{AppError, AppResult},
    mail::{Attachment, OutgoingMail, templates::local_time},
};
use argon2::password_hash::rand_core::{OsRng, RngCore};
use chrono::{DateTime, Datelike, FixedOffset, Months, NaiveDate, Utc};
use std::collections::HashMap;

pub use store::Certificate;

#[derive(Debug, Clone, Copy, PartialEq, Eq, poem_openapi::Enum)]
#[oai(rename_all = "snake_case")]
pub enum CertificateStatus {
    Valid,
    Expired,
    Revoked,
}

/// Today in Beijing, the date printed on certificates.
pub fn today() -> NaiveDate {
    Utc::now()
        .with_timezone(&FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
        .date_naive()
}

impl Certificate {
    pub fn status(&self, today: NaiveDate) -> CertificateStatus {
        if self.revoked_at.is_some() {
            CertificateStatus::Revoked
        } else if self.expires_on < today {
            CertificateStatus::Expired
        } else {
            CertificateStatus::Valid
        }
    }
}

pub fn verify_url(state: &AppState, code: &str) -> String {
    format!("{}/verify/{code}", state.config.public_base_url)
}

fn new_verify_code() -> String {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn date_zh(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// The PDF of a certificate, laid out from its course's template.
pub async fn pdf(state: &AppState, cert: &Certificate) -> AppResult<Vec<u8>> {
    let course = courses::require(state, cert.course_id).await?;
    let template = templates::for_course(&course.code);
    let mut fields: HashMap<&str, String> = HashMap::new();
    fields.insert("holder", cert.holder_name.clone());
    fields.insert(
        "id_number",
        cert.id_number_masked.clone().unwrap_or_else(|| "—".into()),
    );
    fields.insert("course", course.title.clone());
    fields.insert("hours", course.training_hours.to_string());
    fields.insert("exam_date", date_zh(cert.exam_date));
    fields.insert("issued_on", date_zh(cert.issued_on));
    fields.insert("expires_on", date_zh(cert.expires_on));
    fields.insert("number", cert.number.clone());
    fields.insert("verify_url", verify_url(state, &cert.verify_code));
    fields.insert("issuer", state.config.issuer.clone());
    let fonts = state.fonts.clone();
    tokio::task::spawn_blocking(move || crate::pdf::render_certificate(&fonts, &template, &fields))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(|e| AppError::Internal(anyhow::anyhow!("certificate PDF: {e}")))
}

fn issued_mail(
    cert: &Certificate,
    course_title: &str,
    email: &str,
    pdf: Vec<u8>,
    url: &str,
) -> OutgoingMail {
    OutgoingMail {
        kind: "certificate_issued",
        dedupe_key: Some(format!("issued:{}", cert.number)),
        to_address: email.to_string(),
        to_name: cert.holder_name.clone(),
        subject: format!("证书已签发：{course_title}"),
        body: format!(
            "{}，您好：\n\n恭喜您通过“{}”考核，证书已签发，电子证书见附件。\n\n证书编号：{}\n发证日期：{}\n有效期至：{}\n核验地址：{}\n\n区应急管理局 SafeCert",
            cert.holder_name,
            course_title,
            cert.number,
            date_zh(cert.issued_on),
            date_zh(cert.expires_on),
            url
        ),
        attachment: Some(Attachment {
            file_name: format!("certificate-{}.pdf", cert.number),
            content_type: "application/pdf".into(),
            bytes: pdf,
        }),
    }
}

/// How a certificate came to be. Targets and reports count first certifications and
/// renewals apart, and a reissue (a replacement) as neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Passed the course's own exam.
    Initial,
    /// Passed a re-education course (再培训) that renews the course.
    Renewal,
    /// The bureau replaced a certificate.
    Reissue,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Initial => "initial",
            Kind::Renewal => "renewal",
            Kind::Reissue => "reissue",
        }
    }
}

/// What a passed attempt earned (with its practical assessment where the course needs one).
/// The exam tells this module; certificates never read attempts back.
#[derive(Debug, Clone)]
pub struct Earned {
    pub attempt_id: i64,
    pub registration_id: i64,
    pub user_id: i64,
    pub course_id: i64,
    pub finished_at: DateTime<Utc>,
}

/// Issues the certificate an attempt earned, once: the course's own certificate, or (for a
/// re-education course) a renewal of the holder's certificate of the renewed course.
pub async fn issue(state: &AppState, earned: &Earned) -> AppResult<Certificate> {
    if let Some(existing) = store::by_attempt(&state.db, earned.attempt_id).await? {
        return Ok(existing);
    }
    let course = courses::require(state, earned.course_id).await?;
    let person = accounts::require_user(state, earned.user_id).await?;
    let today = today();
    let (target, previous, starts_from): (Course, Option<Certificate>, NaiveDate) =
        match course.renews_course_id {
            Some(renewed) => {
                let target = courses::require(state, renewed).await?;
                let old = store::latest_valid(&state.db, person.id, target.id, today).await?;
                // Renewal continues the old validity; without one (expired meanwhile) it starts today.
                let from = old.as_ref().map_or(today, |c| c.expires_on.max(today));
                (target, old, from)
            }
            None => (course.clone(), None, today),
        };
    let expires_on = starts_from
        .checked_add_months(Months::new(target.validity_months as u32))
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("expiry out of range")))?;
    let cst = FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    let exam_date = earned.finished_at.with_timezone(&cst).date_naive();
    let year = today.year();
    let seq = store::next_number(&state.db, &format!("{}-{year}", target.code)).await?;
    let draft = Certificate {
        id: 0,
        number: format!(
            "{}-{}-{year}-{seq:06}",
            state.config.district_code, target.code
        ),
        verify_code: new_verify_code(),
        user_id: person.id,
        course_id: target.id,
        registration_id: Some(earned.registration_id),
        attempt_id: Some(earned.attempt_id),
        holder_name: person.name.clone(),
        id_number_masked: person.id_number_masked.clone(),
        exam_date,
        issued_on: today,
        expires_on,
        revoked_at: None,
        revoke_reason: None,
        previous_id: previous.as_ref().map(|c| c.id),
        kind: if course.renews_course_id.is_some() {
            Kind::Renewal
        } else {
            Kind::Initial
        }
        .as_str()
        .into(),
        created_at: Utc::now(),
    };
    let mail = match &person.email {
        Some(email) => {
            let document = pdf(state, &draft).await?;
            vec![issued_mail(
                &draft,
                &target.title,
                email,
                document,
                &verify_url(state, &draft.verify_code),
            )]
        }
        None => vec![],
    };
    match store::insert(&state.db, &draft, &mail).await? {
        Some(cert) => {
            tracing::info!(number = %cert.number, user_id = cert.user_id, renewal = cert.previous_id.is_some(), "certificate issued");
            Ok(cert)
        }
        // Another instance issued it first.
        None => store::by_attempt(&state.db, earned.attempt_id)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("certificate insert clashed"))),
    }
}

pub async fn require_visible(state: &AppState, caller: &Caller, id: i64) -> AppResult<Certificate> {
    let not_found = || AppError::not_found("certificate_not_found", "no such certificate");
    let cert = store::certificate(&state.db, id)
        .await?
        .ok_or_else(not_found)?;
    // Only an enterprise admin's answer depends on where the holder works.
    let holder_enterprise = match access::enterprise_admin_of(caller) {
        Some(_) => {
            accounts::require_user(state, cert.user_id)
                .await?
                .enterprise_id
        }
        None => None,
    };
    if access::sees_person(caller, cert.user_id, [holder_enterprise]) {
        Ok(cert)
    } else {
        Err(not_found())
    }
}

fn holder_mail(
    cert: &Certificate,
    email: &str,
    subject: String,
    body: String,
    kind: &'static str,
) -> OutgoingMail {
    OutgoingMail {
        kind,
        dedupe_key: None,
        to_address: email.to_string(),
        to_name: cert.holder_name.clone(),
        subject,
        body,
        attachment: None,
    }
}

/// The bureau revokes a certificate with a reason; the holder is mailed.
pub async fn revoke(state: &AppState, id: i64, reason: &str) -> AppResult<Certificate> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::invalid(
            "reason",
            "say why the certificate is revoked",
        ));
    }
    let cert = store::certificate(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("certificate_not_found", "no such certificate"))?;
    if cert.revoked_at.is_some() {
        return Ok(cert);
    }
    let person = accounts::require_user(state, cert.user_id).await?;
    let mail: Vec<OutgoingMail> = person
        .email
        .iter()
        .map(|email| {
            holder_mail(
                &cert,
                email,
                format!("证书已撤销：{}", cert.number),
                format!(
                    "{}，您好：\n\n您的证书（编号 {}）已于{}被撤销。\n原因：{reason}\n\n如有异议，请联系区应急管理局。\n\n区应急管理局 SafeCert",
                    cert.holder_name,
                    cert.number,
                    local_time(Utc::now())
                ),
                "certificate_revoked",
            )
        })
        .collect();
    store::revoke(&state.db, id, reason, &mail, Utc::now()).await?;
    store::certificate(&state.db, id)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("certificate vanished")))
}

/// The bureau replaces a certificate (e.g. after correcting the holder's name): a new number
/// and code with the same dates; the old one is revoked.
pub async fn reissue(state: &AppState, id: i64) -> AppResult<Certificate> {
    let old = store::certificate(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("certificate_not_found", "no such certificate"))?;
    let person = accounts::require_user(state, old.user_id).await?;
    let course = courses::require(state, old.course_id).await?;
    let year = today().year();
    let seq = store::next_number(&state.db, &format!("{}-{year}", course.code)).await?;
    let new = Certificate {
        id: 0,
        number: format!(
            "{}-{}-{year}-{seq:06}",
            state.config.district_code, course.code
        ),
        verify_code: new_verify_code(),
        holder_name: person.name.clone(),
        id_number_masked: person.id_number_masked.clone(),
        attempt_id: None,
        previous_id: Some(old.id),
        kind: Kind::Reissue.as_str().into(),
        revoked_at: None,
        revoke_reason: None,
        created_at: Utc::now(),
        ..old.clone()
    };
    let mail = match &person.email {
        Some(email) => {
            let document = pdf(state, &new).await?;
            vec![issued_mail(
                &new,
                &course.title,
                email,
                document,
                &verify_url(state, &new.verify_code),
            )]
        }
        None => vec![],
    };
    if old.revoked_at.is_none() {
        store::revoke(
            &state.db,
            old.id,
            &format!("换发新证 {}", new.number),
            &[],
            Utc::now(),
        )
        .await?;
    }
    store::insert(&state.db, &new, &mail)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("reissue clashed")))
}

/// What anyone may learn from a verification code.
pub struct Verification {
    pub cert: Certificate,
    pub status: CertificateStatus,
    pub holder_masked: String,
    pub course_title: String,
    pub renewed_by: Option<String>,
}

pub async fn verify(state: &AppState, code: &str) -> AppResult<Verification> {
    let not_found = || AppError::not_found("not_found", "no certificate has this code");
    if code.len() != 32 || !code.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(not_found());
    }
    let cert = store::by_verify_code(&state.db, code)
        .await?
        .ok_or_else(not_found)?;
    let course = courses::require(state, cert.course_id).await?;
    let renewed_by = store::successor(&state.db, cert.id)
        .await?
        .map(|c| c.number);
    Ok(Verification {
        status: cert.status(today()),
        holder_masked: mask_name(&cert.holder_name),
        course_title: course.title,
        renewed_by,
        cert,
    })
}

/// Queues the 90- and 30-day expiry reminders (each once per certificate).
pub async fn enqueue_expiry_reminders(state: &AppState) -> AppResult<usize> {
    let today = today();
    let mut mails = Vec::new();
    for days in [90_i64, 30] {
        let until = today + chrono::Duration::days(days);
        for (cert, email) in
            store::expiring_without_reminder(&state.db, today, until, &format!("expiry{days}:"))
                .await?
        {
            mails.push(OutgoingMail {
                kind: "certificate_expiring",
                dedupe_key: Some(format!("expiry{days}:{}", cert.id)),
                to_address: email,
                to_name: cert.holder_name.clone(),
                subject: format!("证书即将到期：{}（{}天内）", cert.number, days),
                body: format!(
                    "{}，您好：\n\n您的证书（编号 {}）将于{}到期。请在到期前报名参加再培训考核以延续证书。\n\n区应急管理局 SafeCert",
                    cert.holder_name,
                    cert.number,
                    date_zh(cert.expires_on)
                ),
                attachment: None,
            });
        }
    }
    if !mails.is_empty() {
        crate::mail::outbox::enqueue(&state.db, &mails, Utc::now()).await?;
    }
    Ok(mails.len())
}

/// The last expiry date of "expiring within `days` days" from today. Ten years at most: a
/// larger number would overflow the date arithmetic, and no certificate lasts longer.
pub fn expiring_within(days: i64) -> NaiveDate {
    today() + chrono::Duration::days(days.clamp(0, 3650))
}

/// All of an enterprise's staff certificates (optionally expiring within `days`) as one ZIP.
pub async fn enterprise_zip(
    state: &AppState,
    caller: &Caller,
    enterprise_id: i64,
    within_days: Option<i64>,
) -> AppResult<Vec<u8>> {
    if !access::acts_for_enterprise(caller, enterprise_id) {
        return Err(AppError::forbidden(
            "only this enterprise's admin (or the bureau)",
        ));
    }
    let until = within_days.map(expiring_within);
    let (certs, _) = store::list(
        &state.db,
        access::Scope::Enterprise(enterprise_id),
        until,
        10_000,
        0,
    )
    .await?;
    let mut documents = Vec::with_capacity(certs.len());
    for cert in &certs {
        documents.push((
            format!("{}-{}.pdf", cert.number, cert.holder_name),
            pdf(state, cert).await?,
        ));
    }
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        // PDFs are compressed already: store them.
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for (name, bytes) in documents {
            zip.start_file(name, options)?;
            zip.write_all(&bytes)?;
        }
        Ok::<_, anyhow::Error>(zip.finish()?.into_inner())
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
    .map_err(AppError::Internal)
}
