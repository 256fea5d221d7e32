//! 企业管理: an enterprise admin's console. Upload a staff roster for a sitting, see what it
//! would do row by row before anything is written, confirm it and read the result; the
//! staff's certificates with their expiry; the ZIP of certificate PDFs and the enterprise's
//! training record (一企一档). Who may enrol whom is decided by `registrations::roster`.

use super::{Layout, form_sender, local, problem, refused, render, to_login};
use crate::{
    AppState, access,
    auth::Caller,
    certificates::{self, CertificateStatus},
    courses,
    error::AppError,
    registrations::roster::{self, Planned, PreviewRow},
    sittings,
};
use askama::Template;
use chrono::Utc;
use poem::{
    Request, Response, handler,
    http::StatusCode,
    web::{Data, Form, Multipart, Query},
};
use std::collections::HashMap;

/// Certificates listed per page.
const PAGE: i64 = 50;

/// A roster larger than this is refused before it is read (a few thousand staff fit).
const MAX_ROSTER_BYTES: usize = 5 * 1024 * 1024;

/// The enterprise this person administers; everyone else is refused.
fn administered(caller: &Caller) -> Option<i64> {
    access::enterprise_admin_of(caller)
}

fn not_an_enterprise_admin(state: &AppState, layout: &Layout) -> Response {
    problem(
        state,
        layout,
        StatusCode::FORBIDDEN,
        "没有权限",
        "企业管理页面仅供企业管理员使用。".into(),
    )
}

struct SittingChoice {
    id: i64,
    label: String,
}

/// Sittings a roster may be booked into now (registration open), soonest first.
async fn bookable_sittings(state: &AppState) -> crate::error::AppResult<Vec<SittingChoice>> {
    let now = Utc::now();
    let (sittings, _) = sittings::store::list(&state.db, None, Some(now), 100, 0).await?;
    let mut titles: HashMap<i64, String> = HashMap::new();
    let mut out = Vec::new();
    for s in sittings
        .into_iter()
        .filter(|s| s.cancelled_at.is_none() && s.registration_open(now))
    {
        out.push(SittingChoice {
            id: s.id,
            label: format!(
                "{} · {} · {} · 余 {} 座",
                title_of(state, &mut titles, s.course_id).await?,
                local(s.starts_at),
                s.venue.describe(),
                s.seats_left()
            ),
        });
    }
    Ok(out)
}

/// A course's title, read once per page.
async fn title_of(
    state: &AppState,
    titles: &mut HashMap<i64, String>,
    course_id: i64,
) -> crate::error::AppResult<String> {
    if let Some(title) = titles.get(&course_id) {
        return Ok(title.clone());
    }
    let title = courses::require(state, course_id).await?.title;
    titles.insert(course_id, title.clone());
    Ok(title)
}

struct CertificateRow {
    holder: String,
    id_masked: String,
    course: String,
    number: String,
    expires: String,
    status: &'static str,
    warn: bool,
}

#[derive(Template)]
#[template(path = "enterprise.html")]
struct ConsolePage<'a> {
    layout: &'a Layout,
    enterprise_id: i64,
    enterprise: String,
    sittings: Vec<SittingChoice>,
    certificates: Vec<CertificateRow>,
    total: i64,
    days: Option<i64>,
    /// The expiry filters offered: (days, chosen).
    filters: Vec<(i64, bool)>,
    pager: super::Pager,
    /// The courses staff may be required to hold, for the compliance check: (id, title, chosen).
    courses: Vec<(i64, String, bool)>,
    /// Staff whose certificate of the chosen course is missing, expired or expiring within
    /// `days` (or 30): the compliance report's columns and rows as text.
    compliance: Option<(Vec<&'static str>, Vec<Vec<String>>)>,
    compliance_days: i64,
    required: Option<i64>,
    /// Staff with the 学时 they completed this year: (name, masked ID, job, hours), from
    /// 一企一档; the first `COMPLIANCE_SHOWN`, the export holds them all.
    study_hours: Vec<(String, String, String, String)>,
}

/// Staff shown on the page from the compliance report; the export holds them all.
const COMPLIANCE_SHOWN: usize = 100;

#[derive(serde::Deserialize)]
pub struct ConsoleQuery {
    /// Only certificates expiring within this many days.
    days: Option<i64>,
    page: Option<i64>,
    /// The course whose certificate staff must hold (合规检查).
    required: Option<i64>,
}

/// The console: roster upload, the staff's certificates (filterable by expiry), downloads.
#[handler]
pub async fn console(
    req: &Request,
    Query(q): Query<ConsoleQuery>,
    Data(state): Data<&AppState>,
) -> Response {
    let layout = Layout::of(state, req).await;
    let Some(caller) = layout.user.clone() else {
        return to_login(req);
    };
    let Some(enterprise_id) = administered(&caller) else {
        return not_an_enterprise_admin(state, &layout);
    };
    let days = q.days.filter(|d| (0..=3650).contains(d));
    let page = q.page.unwrap_or(1).max(1);
    let loaded = async {
        let enterprise = crate::org::store::enterprise(&state.db, enterprise_id)
            .await?
            .ok_or_else(|| AppError::not_found("enterprise_not_found", "no such enterprise"))?;
        let (certs, total) = certificates::store::list(
            &state.db,
            access::Scope::Enterprise(enterprise_id),
            days.map(certificates::expiring_within),
            PAGE,
            (page - 1) * PAGE,
        )
        .await?;
        let mut titles: HashMap<i64, String> = HashMap::new();
        let today = certificates::today();
        let mut rows = Vec::with_capacity(certs.len());
        for c in certs {
            let status = c.status(today);
            rows.push(CertificateRow {
                holder: c.holder_name.clone(),
                id_masked: c.id_number_masked.clone().unwrap_or_default(),
                course: title_of(state, &mut titles, c.course_id).await?,
                number: c.number.clone(),
                expires: c.expires_on.format("%Y-%m-%d").to_string(),
                status: status_label(status, c.expires_on, today),
                warn: status != CertificateStatus::Valid
                    || c.expires_on <= certificates::expiring_within(90),
            });
        }
        let sittings = bookable_sittings(state).await?;
        let compliance = match q.required {
            Some(course_id) => {
                // The same report, and the same rule of who sees what, as the API's.
                let params = crate::reports::Params {
                    course_id: Some(course_id),
                    days: Some(days.unwrap_or(30)),
                    ..Default::default()
                };
                let table = crate::reports::run(
                    state,
                    crate::reports::Report::Compliance,
                    &params,
                    crate::access::Area::Enterprise(enterprise_id),
                )
                .await?;
                let heads = table.columns.iter().map(|c| c.title).collect();
                let rows = table
                    .rows
                    .iter()
                    .take(COMPLIANCE_SHOWN)
                    .map(|row| row.iter().map(|v| v.to_text()).collect())
                    .collect();
                Some((heads, rows))
            }
            None => None,
        };
        // Their study, from 一企一档: the same report and rule as the API's.
        let record = crate::reports::run(
            state,
            crate::reports::Report::EnterpriseRecord,
            &crate::reports::Params {
                enterprise_id: Some(enterprise_id),
                ..Default::default()
            },
            crate::access::Area::Enterprise(enterprise_id),
        )
        .await?;
        let study_hours = record
            .rows
            .iter()
            .take(COMPLIANCE_SHOWN)
            .map(|row| {
                (
                    record.text(row, "name"),
                    record.text(row, "id_number"),
                    record.text(row, "job_role"),
                    record.text(row, "study_hours_this_year"),
                )
            })
            .collect::<Vec<_>>();
        let (all_courses, _) = courses::store::list(&state.db, 500, 0).await?;
        let course_choices = all_courses
            .into_iter()
            .map(|c| (c.id, c.title, q.required == Some(c.id)))
            .collect();
        crate::error::AppResult::Ok((
            enterprise.name,
            rows,
            total,
            sittings,
            compliance,
            course_choices,
            study_hours,
        ))
    }
    .await;
    let (enterprise, certificates, total, sittings, compliance, course_choices, study_hours) =
        match loaded {
            Ok(l) => l,
            Err(e) => return refused(state, &layout, &e),
        };
    render(
        state,
        &layout,
        &ConsolePage {
            layout: &layout,
            enterprise_id,
            enterprise,
            sittings,
            certificates,
            total,
            days,
            filters: [30, 60, 90, 180]
                .into_iter()
                .map(|d| (d, days == Some(d)))
                .collect(),
            pager: super::Pager::new(
                page,
                ((total + PAGE - 1) / PAGE).max(1),
                "/enterprise?page=",
                days.map(|d| format!("&days={d}")).unwrap_or_default(),
            ),
            courses: course_choices,
            compliance,
            compliance_days: days.unwrap_or(30),
            required: q.required,
            study_hours,
        },
    )
}

fn status_label(
    status: CertificateStatus,
    expires_on: chrono::NaiveDate,
    today: chrono::NaiveDate,
) -> &'static str {
    match status {
        CertificateStatus::Revoked => "已撤销",
        CertificateStatus::Expired => "已过期",
        CertificateStatus::Valid if expires_on <= today + chrono::Duration::days(90) => "即将到期",
        CertificateStatus::Valid => "有效",
    }
}

/// The roster template: the columns `registrations::roster` reads, with one example row.
/// CSV with a BOM, so Excel opens the Chinese headers correctly.
#[handler]
pub async fn roster_template(req: &Request, Data(state): Data<&AppState>) -> Response {
    let layout = Layout::of(state, req).await;
    let Some(caller) = layout.user.clone() else {
        return to_login(req);
    };
    if administered(&caller).is_none() {
        return not_an_enterprise_admin(state, &layout);
    }
    let body = "\u{feff}姓名,证件类型,证件号码,手机号,邮箱,岗位\r\n\
                张三,身份证,110101199003071234,13800138000,zhangsan@example.com,安全员\r\n";
    Response::builder()
        .content_type("text/csv; charset=utf-8")
        .header(
            "Content-Disposition",
            "attachment; filename=\"roster-template.csv\"; filename*=UTF-8''%E6%8A%A5%E5%90%8D%E5%90%8D%E5%8D%95%E6%A8%A1%E6%9D%BF.csv",
        )
        .body(body)
}

/// A roster as uploaded. From the preview to the confirmation it travels sealed by the
/// server's key (`pii::Vault::seal_bytes`); on confirming it is checked again, and nothing is
/// kept on the server in between.
struct Upload {
    sitting_id: i64,
    file_name: String,
    bytes: Vec<u8>,
    xlsx: bool,
}

struct PlannedRow {
    line: usize,
    name: String,
    id_masked: String,
    phone_masked: String,
    job_role: String,
    planned: &'static str,
}

struct Issue {
    line: usize,
    reason: String,
}

#[derive(Template)]
#[template(path = "enterprise_roster.html")]
struct PreviewPage<'a> {
    layout: &'a Layout,
    sitting_id: i64,
    sitting: String,
    file_name: String,
    /// The file, sealed, for the confirmation form.
    file: String,
    xlsx: bool,
    rows: Vec<PlannedRow>,
    issues: Vec<Issue>,
    message: Option<String>,
    new_bookings: usize,
    new_accounts: usize,
}

fn planned_label(p: Planned) -> &'static str {
    match p {
        Planned::NewAccount => "新建账号并报名",
        Planned::Link => "关联已有账号并报名",
        Planned::Book => "报名",
        Planned::AlreadyBooked => "已报名（不变）",
    }
}

/// Reads the upload form: the cross-site token, the sitting and the file.
async fn read_upload(mut form: Multipart) -> Result<(Option<String>, Option<Upload>), String> {
    let (mut csrf, mut sitting_id, mut file) = (None, None, None);
    while let Ok(Some(field)) = form.next_field().await {
        match field.name() {
            Some("csrf") => csrf = field.text().await.ok(),
            Some("sitting_id") => {
                sitting_id = field.text().await.ok().and_then(|t| t.trim().parse().ok())
            }
            Some("roster") => {
                let name = field.file_name().unwrap_or("").to_string();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|_| "文件没有上传完整，请重试。")?;
                if bytes.len() > MAX_ROSTER_BYTES {
                    return Err("文件太大（最多 5 MB），请分批上传。".into());
                }
                file = Some((name, bytes));
            }
            _ => {}
        }
    }
    let upload = match (sitting_id, file) {
        (Some(sitting_id), Some((file_name, bytes))) if !bytes.is_empty() => {
            // xlsx files are zip archives.
            let xlsx = bytes.starts_with(b"PK\x03\x04");
            Some(Upload {
                sitting_id,
                file_name,
                bytes,
                xlsx,
            })
        }
        _ => None,
    };
    Ok((csrf, upload))
}

/// Step 1: the upload, checked and shown row by row; nothing is written.
#[handler]
pub async fn preview(req: &Request, form: Multipart, Data(state): Data<&AppState>) -> Response {
    let (csrf, upload) = match read_upload(form).await {
        Ok(read) => read,
        Err(message) => {
            let layout = Layout::of(state, req).await;
            return problem(state, &layout, StatusCode::BAD_REQUEST, "上传失败", message);
        }
    };
    let (layout, caller) = match form_sender(state, req, csrf.as_deref(), "/enterprise").await {
        Ok(sender) => sender,
        Err(resp) => return resp,
    };
    let Some(enterprise_id) = administered(&caller) else {
        return not_an_enterprise_admin(state, &layout);
    };
    let Some(upload) = upload else {
        return problem(
            state,
            &layout,
            StatusCode::BAD_REQUEST,
            "请选择场次和名单文件",
            "请选择要报名的场次，并选择名单文件（xlsx 或 CSV）后再上传。".into(),
        );
    };
    let checked = roster::preview(
        state,
        &caller,
        enterprise_id,
        upload.sitting_id,
        &upload.bytes,
        upload.xlsx,
    )
    .await;
    let sitting = sitting_label(state, upload.sitting_id).await;
    let mut page = PreviewPage {
        layout: &layout,
        sitting_id: upload.sitting_id,
        sitting,
        file_name: upload.file_name,
        file: state.vault.seal_bytes(&upload.bytes),
        xlsx: upload.xlsx,
        rows: Vec::new(),
        issues: Vec::new(),
        message: None,
        new_bookings: 0,
        new_accounts: 0,
    };
    match checked {
        Ok(rows) => {
            page.new_bookings = rows
                .iter()
                .filter(|r| r.planned != Planned::AlreadyBooked)
                .count();
            page.new_accounts = rows
                .iter()
                .filter(|r| r.planned == Planned::NewAccount)
                .count();
            page.rows = rows.into_iter().map(planned_row).collect();
        }
        Err(AppError::RosterInvalid(issues)) => {
            page.issues = issues
                .into_iter()
                .map(|i| Issue {
                    line: i.line,
                    reason: i.reason,
                })
                .collect();
        }
        Err(e) => page.message = Some(super::messages::for_error(&e)),
    }
    let status = if page.issues.is_empty() && page.message.is_none() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    super::render_with(state, &layout, status, &page)
}

fn planned_row(r: PreviewRow) -> PlannedRow {
    PlannedRow {
        line: r.line,
        name: r.name,
        id_masked: r.id_masked,
        phone_masked: r.phone_masked,
        job_role: r.job_role.unwrap_or_default(),
        planned: planned_label(r.planned),
    }
}

async fn sitting_label(state: &AppState, sitting_id: i64) -> String {
    let Ok(s) = sittings::require(state, sitting_id).await else {
        return "（场次不存在）".into();
    };
    let title = courses::require(state, s.course_id)
        .await
        .map(|c| c.title)
        .unwrap_or_default();
    format!("{title} · {} · {}", local(s.starts_at), s.venue.describe())
}

#[derive(serde::Deserialize)]
pub struct ConfirmForm {
    csrf: Option<String>,
    sitting_id: i64,
    file: String,
    xlsx: Option<String>,
}

struct ResultRow {
    line: usize,
    name: String,
    seat: i64,
    new_account: bool,
    new_booking: bool,
    registration_id: i64,
}

#[derive(Template)]
#[template(path = "enterprise_result.html")]
struct ResultPage<'a> {
    layout: &'a Layout,
    sitting: String,
    enrolled: usize,
    already: usize,
    created: usize,
    linked: usize,
    rows: Vec<ResultRow>,
}

/// Step 2: the confirmed roster is checked again and booked, all or nothing.
#[handler]
pub async fn confirm(
    req: &Request,
    Form(form): Form<ConfirmForm>,
    Data(state): Data<&AppState>,
) -> Response {
    let (layout, caller) = match form_sender(state, req, form.csrf.as_deref(), "/enterprise").await
    {
        Ok(sender) => sender,
        Err(resp) => return resp,
    };
    let Some(enterprise_id) = administered(&caller) else {
        return not_an_enterprise_admin(state, &layout);
    };
    let Ok(bytes) = state.vault.open_bytes(&form.file) else {
        return problem(
            state,
            &layout,
            StatusCode::BAD_REQUEST,
            "名单无法读取",
            "名单文件在提交中损坏，请返回重新上传。".into(),
        );
    };
    let report = roster::enrol(
        state,
        &caller,
        enterprise_id,
        form.sitting_id,
        &bytes,
        form.xlsx.is_some(),
    )
    .await;
    let report = match report {
        Ok(r) => r,
        Err(AppError::RosterInvalid(issues)) => {
            // Something changed since the preview (a seat taken, an account made): say which rows.
            let lines: Vec<String> = issues
                .iter()
                .map(|i| format!("第 {} 行：{}", i.line, i.reason))
                .collect();
            return problem(
                state,
                &layout,
                StatusCode::UNPROCESSABLE_ENTITY,
                "名单未能报名",
                format!(
                    "预览之后情况有变，没有报名任何人：{}。请返回重新上传。",
                    lines.join("；")
                ),
            );
        }
        Err(e) => return refused(state, &layout, &e),
    };
    let sitting = sitting_label(state, form.sitting_id).await;
    render(
        state,
        &layout,
        &ResultPage {
            layout: &layout,
            sitting,
            enrolled: report.enrolled,
            already: report.already_registered,
            created: report.accounts_created,
            linked: report.accounts_linked,
            rows: report
                .rows
                .into_iter()
                .map(|r| ResultRow {
                    line: r.line,
                    name: r.name,
                    seat: r.seat,
                    new_account: r.new_account,
                    new_booking: r.new_booking,
                    registration_id: r.registration_id,
                })
                .collect(),
        },
    )
}
