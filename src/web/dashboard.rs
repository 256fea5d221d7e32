//! 统计看板: the bureau's and a street officer's view of the year: progress against each
//! target, first-responder density by street, the pass rate by month, the certificates about
//! to expire, and (for the bureau) the questions worth a look, each retirable here. Figures
//! come from `targets` and `reports`, for the area `access::report_area` gives the caller.

use super::{Layout, charts, problem, refused, render, to_login};
use crate::{
    AppState,
    access::{self, Area},
    error::AppResult,
    reports::{self, GroupBy, Params, Report},
    targets,
};
use askama::Template;
use chrono::{Datelike, NaiveDate};
use poem::{
    IntoResponse, Request, Response, handler,
    http::StatusCode,
    web::{Data, Form, Path, Redirect},
};

struct TargetRow {
    scope: String,
    achieved: i64,
    renewed: i64,
    target: i64,
    percent: String,
    forecast: String,
    pace: String,
    on_track: bool,
    bar: String,
}

struct QuestionRow {
    question_id: i64,
    reference: String,
    stem: String,
    used: String,
    facility: String,
    discrimination: String,
    options: String,
    flagged: bool,
    active: bool,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage<'a> {
    layout: &'a Layout,
    title: String,
    year: i32,
    targets: Vec<TargetRow>,
    density_km2: String,
    density_10k: String,
    streets: usize,
    pass_rates: String,
    expiring: [String; 3],
    questions: Option<Vec<QuestionRow>>,
    notice: Option<&'static str>,
    export_from: String,
    export_to: String,
    /// 学时 completed this year by course and by street: (group, learners, hours, finished).
    study_by_course: Vec<(String, String, String, String)>,
    study_by_street: Vec<(String, String, String, String)>,
    year_start: String,
}

fn percent(x: Option<f64>) -> String {
    x.map_or_else(|| "—".into(), |x| format!("{:.1}%", x * 100.0))
}

#[handler]
pub async fn dashboard(req: &Request, Data(state): Data<&AppState>) -> Response {
    let layout = Layout::of(state, req).await;
    let Some(caller) = layout.user.clone() else {
        return to_login(req);
    };
    let area = match access::report_area(&caller) {
        Some(area @ (Area::District | Area::Street(_))) => area,
        _ => {
            return problem(
                state,
                &layout,
                StatusCode::FORBIDDEN,
                "无权访问",
                "统计看板供区应急管理局和街道应急办使用。".into(),
            );
        }
    };
    match page(state, &layout, area, req).await {
        Ok(page) => render(state, &layout, &page),
        Err(e) => refused(state, &layout, &e),
    }
}

async fn page<'a>(
    state: &AppState,
    layout: &'a Layout,
    area: Area,
    req: &Request,
) -> AppResult<DashboardPage<'a>> {
    let today = crate::certificates::today();
    let year = today.year();
    // The last twelve months, this one included; and this year, for the 学时.
    let first_month = NaiveDate::from_ymd_opt(year, today.month(), 1)
        .and_then(|d| d.checked_sub_months(chrono::Months::new(11)))
        .unwrap_or(today);
    let year_start = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(today);
    let study = |group_by: GroupBy| {
        let params = Params {
            from: Some(year_start),
            to: Some(today),
            group_by,
            ..Params::default()
        };
        async move { reports::run(state, Report::StudyHours, &params, area).await }
    };
    let by_month = Params {
        from: Some(first_month),
        to: Some(today),
        group_by: GroupBy::Month,
        ..Params::default()
    };
    // Every figure of the page is read side by side: one after another, the page took as
    // long as all its reports together.
    let (courses, streets, achieved, density, months, stats, study_by_course, study_by_street) = tokio::try_join!(
        async { AppResult::Ok(crate::courses::store::list(&state.db, 1000, 0).await?.0) },
        async { AppResult::Ok(crate::org::store::list_streets(&state.db, 1000, 0).await?.0) },
        async {
            let listed = targets::list(state, year, area).await?;
            targets::achieved_all(state, listed).await
        },
        reports::street_density(state, area, today),
        reports::run(state, Report::Activity, &by_month, area),
        async {
            match area {
                Area::District => Ok(Some(
                    reports::run(state, Report::QuestionStats, &Params::default(), area).await?,
                )),
                _ => Ok(None),
            }
        },
        study(GroupBy::Course),
        study(GroupBy::Street),
    )?;
    let mut target_rows = Vec::new();
    for (t, achieved) in achieved {
        let p = targets::progress(t.year, t.target, achieved.certified, today);
        let what = match (t.course_id, t.category) {
            (Some(id), _) => courses
                .iter()
                .find(|c| c.id == id)
                .map_or_else(|| format!("课程 {id}"), |c| c.title.clone()),
            (None, Some(category)) => crate::web::messages::category(category).to_string(),
            (None, None) => "全部课程".into(),
        };
        let whom = match (t.street_id, &t.industry) {
            (Some(id), _) => streets
                .iter()
                .find(|s| s.id == id)
                .map_or_else(|| format!("街道 {id}"), |s| s.name.clone()),
            (None, Some(industry)) => format!("{industry}行业"),
            (None, None) => "全区".into(),
        };
        let forecast_share = p.forecast.map(|f| f as f64 / t.target as f64);
        target_rows.push(TargetRow {
            scope: format!("{whom} · {what}"),
            achieved: achieved.certified,
            renewed: achieved.renewed,
            target: t.target,
            percent: percent(Some(p.share)),
            forecast: p.forecast.map_or_else(|| "—".into(), |f| f.to_string()),
            pace: p
                .pace_needed_per_month
                .map_or_else(|| "—".into(), |x| format!("{:.0}", x.ceil())),
            on_track: p.on_track,
            bar: charts::progress(p.share, forecast_share, &format!("{whom}完成进度")),
        });
    }

    let bar = |f: fn(&reports::StreetDensity) -> Option<f64>| -> Vec<charts::Bar> {
        density
            .iter()
            .map(|d| charts::Bar {
                label: d.name.clone(),
                value: f(d),
            })
            .collect()
    };
    let benchmark = reports::BENCHMARK;
    let density_km2 = charts::bars(&bar(|d| d.per_km2), benchmark, "每平方公里应急第一响应人");
    let density_10k = charts::bars(
        &bar(|d| d.per_10k_residents),
        benchmark,
        "每万人应急第一响应人",
    );

    let mut rates = Vec::new();
    let mut month = first_month;
    while month <= today {
        let label = month.format("%Y-%m").to_string();
        let row = months
            .rows
            .iter()
            .find(|r| months.text(r, "group") == label);
        rates.push((
            label,
            row.and_then(|r| months.number(r, "pass_rate")),
            row.and_then(|r| months.number(r, "finished"))
                .unwrap_or(0.0) as i64,
        ));
        month = match month.checked_add_months(chrono::Months::new(1)) {
            Some(next) => next,
            None => break,
        };
    }
    let total = months.rows.last();
    let expiring = ["expiring_30_days", "expiring_60_days", "expiring_90_days"].map(|key| {
        total
            .and_then(|r| months.number(r, key))
            .map_or_else(|| "0".into(), |n| format!("{n:.0}"))
    });

    let questions = stats.map(|stats| {
        stats
            .rows
            .iter()
            .take(20)
            .map(|r| QuestionRow {
                question_id: stats.number(r, "question_id").unwrap_or(0.0) as i64,
                reference: stats.text(r, "ref"),
                stem: stats.text(r, "stem"),
                used: stats.text(r, "used"),
                facility: percent(stats.number(r, "facility")),
                discrimination: stats
                    .number(r, "discrimination")
                    .map_or_else(|| "—".into(), |d| format!("{d:.2}")),
                options: stats.text(r, "options"),
                flagged: !stats.text(r, "flagged").is_empty(),
                active: stats.text(r, "status") == "在用",
            })
            .collect()
    });
    // 学时 this year, by course and by street.
    let study_rows = |table: reports::Table| -> Vec<(String, String, String, String)> {
        table
            .rows
            .iter()
            .map(|r| {
                (
                    table.text(r, "group"),
                    table.text(r, "learners"),
                    table.text(r, "study_hours"),
                    table.text(r, "courses_completed"),
                )
            })
            .collect()
    };
    let (study_by_course, study_by_street) =
        (study_rows(study_by_course), study_rows(study_by_street));
    let title = match area {
        Area::Street(id) => streets
            .iter()
            .find(|s| s.id == id)
            .map_or_else(|| "街道".into(), |s| s.name.clone()),
        _ => "全区".into(),
    };
    Ok(DashboardPage {
        layout,
        title,
        year,
        targets: target_rows,
        streets: density.len(),
        density_km2,
        density_10k,
        pass_rates: charts::monthly_rates(&rates, "近十二个月考试通过率"),
        expiring,
        questions,
        notice: match req.uri().query() {
            Some(q) if q.contains("retired=1") => Some("已停用该试题，此后抽取的试卷不再使用它。"),
            _ => None,
        },
        export_from: first_month.to_string(),
        export_to: today.to_string(),
        study_by_course,
        study_by_street,
        year_start: year_start.to_string(),
    })
}

#[derive(serde::Deserialize)]
pub struct RetireForm {
    csrf: Option<String>,
}

/// Retires a question from the statistics table (bureau only).
#[handler]
pub async fn retire_question(
    req: &Request,
    Data(state): Data<&AppState>,
    Path(id): Path<i64>,
    Form(form): Form<RetireForm>,
) -> Response {
    let (layout, caller) =
        match super::form_sender(state, req, form.csrf.as_deref(), "/dashboard").await {
            Ok(sender) => sender,
            Err(resp) => return resp,
        };
    if !caller.is_bureau() {
        return problem(
            state,
            &layout,
            StatusCode::FORBIDDEN,
            "无权访问",
            "只有区应急管理局可以停用试题。".into(),
        );
    }
    match crate::question_bank::retire(state, id).await {
        Ok(()) => Redirect::see_other("/dashboard?retired=1#questions").into_response(),
        Err(e) => refused(state, &layout, &e),
    }
}
