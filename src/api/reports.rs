//! Yearly targets and the bureau's reports. Who sees which figures is `access::report_area`:
//! the bureau the district, a street officer their street, an enterprise admin their
//! enterprise (where the report allows). Every report answers JSON, CSV or xlsx.

use crate::{
    AppState,
    access::{self, Area},
    api::{
        ApiTags,
        error::ApiResult,
        one_status::OneStatus,
        security::{BearerAuth, BureauAuth},
    },
    auth::Caller,
    courses::CourseCategory,
    error::AppError,
    reports::{self, GroupBy, Params, Report, StreetDensity, Table},
    targets::{self, NewTarget, Target},
};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use poem::Body;
use poem_openapi::{
    ApiResponse, Enum, Object, OpenApi,
    param::{Header, Path, Query},
    payload::{Binary, Json},
};

pub struct ReportsApi {
    pub state: AppState,
}

/// A yearly target with where it stands today.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct TargetView {
    pub id: i64,
    pub year: i32,
    /// The course counted, or none (then `category`, or every course).
    pub course_id: Option<i64>,
    pub category: Option<CourseCategory>,
    /// The street the target is for, or none for the district (or an industry).
    pub street_id: Option<i64>,
    pub industry: Option<String>,
    /// People to certify in the year.
    pub target: i64,
    /// Distinct people certified (first certificate) in the year so far.
    pub achieved: i64,
    /// Distinct people whose certificate was renewed (再培训) in the year, counted apart.
    pub renewed: i64,
    /// achieved / target.
    pub share: f64,
    /// People still to certify.
    pub remaining: i64,
    /// Days of the year left.
    pub days_left: i64,
    /// People a month needed for the rest of the year; absent once the year is over.
    pub pace_needed_per_month: Option<f64>,
    /// People certified by the year's end at the pace so far; absent before the year begins.
    pub forecast: Option<i64>,
    /// Whether the forecast (or the result of a past year) reaches the target.
    pub on_track: bool,
    pub created_at: DateTime<Utc>,
}

/// First-responder density of one street (the city's benchmark is 15 per km² and per 10,000
/// residents).
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct StreetDensityView {
    pub street_id: i64,
    pub name: String,
    pub area_km2: Option<f64>,
    pub population: Option<i64>,
    /// Distinct people holding a valid first-responder certificate.
    pub responders: i64,
    pub per_km2: Option<f64>,
    pub per_10k_residents: Option<f64>,
    pub meets_benchmark: bool,
}

impl From<StreetDensity> for StreetDensityView {
    fn from(d: StreetDensity) -> Self {
        Self {
            street_id: d.street_id,
            name: d.name,
            area_km2: d.area_km2,
            population: d.population,
            responders: d.responders,
            per_km2: d.per_km2,
            per_10k_residents: d.per_10k_residents,
            meets_benchmark: d.meets_benchmark,
        }
    }
}

/// A year's targets with their progress, and each street's first-responder density today.
#[derive(Debug, Object)]
pub struct TargetsPage {
    pub items: Vec<TargetView>,
    pub total: i64,
    pub density: Vec<StreetDensityView>,
}

#[derive(Debug, Object)]
pub struct CreateTargetRequest {
    pub year: i32,
    /// Count one course…
    pub course_id: Option<i64>,
    /// …or every course of a category (neither: every course).
    pub category: Option<CourseCategory>,
    /// For one street…
    pub street_id: Option<i64>,
    /// …or one industry, e.g. 电镀 (neither: the whole district).
    pub industry: Option<String>,
    /// People to certify in the year.
    pub target: i64,
}

#[derive(ApiResponse)]
pub enum CreateTargetResponse {
    #[oai(status = 201)]
    Created(Json<TargetView>),
}

/// A report column: its key in `items` and its Chinese title in exports.
#[derive(Debug, Object)]
pub struct ReportColumn {
    pub key: String,
    pub title: String,
}

/// A report as JSON: `items` are objects keyed by the columns' keys.
#[derive(Debug, Object)]
pub struct ReportView {
    pub name: String,
    pub title: String,
    pub columns: Vec<ReportColumn>,
    pub items: Vec<serde_json::Value>,
    pub total: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum ReportFormat {
    Json,
    Csv,
    Xlsx,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum Grouping {
    Course,
    Street,
    Industry,
    Enterprise,
    Month,
}

#[derive(ApiResponse)]
pub enum ReportResponse {
    #[oai(status = 200)]
    Json(Json<ReportView>),
    /// UTF-8 with a byte-order mark, Chinese column titles.
    #[oai(status = 200, content_type = "text/csv; charset=utf-8")]
    Csv(Binary<Body>, #[oai(header = "Content-Disposition")] String),
    #[oai(
        status = 200,
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )]
    Xlsx(Binary<Body>, #[oai(header = "Content-Disposition")] String),
}

const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn area_of(caller: &Caller) -> Result<Area, AppError> {
    access::report_area(caller).ok_or_else(|| {
        AppError::forbidden("reports are for the bureau, street officers and enterprise admins")
    })
}

impl ReportsApi {
    fn target_view(target: Target, achieved: targets::Achieved, today: NaiveDate) -> TargetView {
        let p = targets::progress(target.year, target.target, achieved.certified, today);
        TargetView {
            id: target.id,
            year: target.year,
            course_id: target.course_id,
            category: target.category,
            street_id: target.street_id,
            industry: target.industry,
            target: target.target,
            achieved: achieved.certified,
            renewed: achieved.renewed,
            share: p.share,
            remaining: p.remaining,
            days_left: p.days_left,
            pace_needed_per_month: p.pace_needed_per_month,
            forecast: p.forecast,
            on_track: p.on_track,
            created_at: target.created_at,
        }
    }

    /// Runs a report for the caller's area and answers in the format asked for: `?format=`,
    /// else the `Accept` header, else JSON.
    async fn serve(
        &self,
        caller: &Caller,
        report: Report,
        params: Params,
        format: Option<ReportFormat>,
        accept: Option<String>,
    ) -> ApiResult<OneStatus<ReportResponse>> {
        let area = area_of(caller)?;
        let format = format.unwrap_or_else(|| match accept.as_deref() {
            Some(a) if a.contains("text/csv") => ReportFormat::Csv,
            Some(a) if a.contains(XLSX_TYPE) => ReportFormat::Xlsx,
            _ => ReportFormat::Json,
        });
        if format == ReportFormat::Json {
            let (table, total) =
                if report.pages_by_default() || params.limit.is_some() || params.offset.is_some() {
                    let window = super::page::window(params.limit, params.offset);
                    reports::page(&self.state, report, &params, area, window).await?
                } else {
                    let table = reports::run(&self.state, report, &params, area).await?;
                    let total = table.rows.len() as i64;
                    (table, total)
                };
            return Ok(OneStatus(ReportResponse::Json(Json(view(&table, total)))));
        }
        // Files are streamed: the rows go out as the database hands them over.
        let export = reports::export(&self.state, report, &params, area).await?;
        let name = |ext: &str| super::attachment(report.name(), &export.title, ext);
        Ok(OneStatus(match format {
            ReportFormat::Csv => {
                let name = name("csv");
                let body = Body::from_bytes_stream(reports::export::csv(export));
                ReportResponse::Csv(Binary(body), name)
            }
            _ => {
                let name = name("xlsx");
                let body = Body::from_bytes_stream(reports::export::xlsx(export));
                ReportResponse::Xlsx(Binary(body), name)
            }
        }))
    }
}

fn grouping(asked: Option<Grouping>) -> GroupBy {
    match asked {
        None | Some(Grouping::Course) => GroupBy::Course,
        Some(Grouping::Street) => GroupBy::Street,
        Some(Grouping::Industry) => GroupBy::Industry,
        Some(Grouping::Enterprise) => GroupBy::Enterprise,
        Some(Grouping::Month) => GroupBy::Month,
    }
}

fn view(table: &Table, total: i64) -> ReportView {
    ReportView {
        name: table.name.into(),
        title: table.title.clone(),
        columns: table
            .columns
            .iter()
            .map(|c| ReportColumn {
                key: c.key.into(),
                title: c.title.into(),
            })
            .collect(),
        items: table
            .rows
            .iter()
            .map(|row| {
                serde_json::Value::Object(
                    table
                        .columns
                        .iter()
                        .zip(row)
                        .map(|(c, v)| (c.key.to_string(), v.to_json()))
                        .collect(),
                )
            })
            .collect(),
        total,
    }
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Reports")]
impl ReportsApi {
    /// A year's targets with progress (default: this year), and each street's
    /// first-responder density. The bureau sees all; a street officer their street's.
    #[oai(path = "/targets", method = "get")]
    async fn targets(
        &self,
        auth: BearerAuth,
        year: Query<Option<i32>>,
    ) -> ApiResult<Json<TargetsPage>> {
        let area = area_of(&auth.0)?;
        let today = crate::certificates::today();
        let year = year.0.unwrap_or(today.year());
        let listed = targets::list(&self.state, year, area).await?;
        let items: Vec<TargetView> = targets::achieved_all(&self.state, listed)
            .await?
            .into_iter()
            .map(|(target, achieved)| Self::target_view(target, achieved, today))
            .collect();
        let density = reports::street_density(&self.state, area, today)
            .await?
            .into_iter()
            .map(Into::into)
            .collect();
        Ok(Json(TargetsPage {
            total: items.len() as i64,
            items,
            density,
        }))
    }

    /// Set a yearly target (bureau_admin): for a course or a category, for the district or
    /// one street or one industry. The same year and scope twice is a 409.
    #[oai(path = "/targets", method = "post")]
    async fn create_target(
        &self,
        auth: BureauAuth,
        body: Json<CreateTargetRequest>,
    ) -> ApiResult<CreateTargetResponse> {
        let target = targets::create(
            &self.state,
            NewTarget {
                year: body.year,
                course_id: body.course_id,
                category: body.category,
                street_id: body.street_id,
                industry: body.industry.as_deref(),
                target: body.target,
            },
            auth.0.user_id,
        )
        .await?;
        let achieved = targets::achieved(&self.state, &target).await?;
        let view = Self::target_view(target, achieved, crate::certificates::today());
        Ok(CreateTargetResponse::Created(Json(view)))
    }

    /// 培训考核统计: registrations, no-shows, attempts, pass rates (first try and overall),
    /// average score, certificates issued, renewed, revoked and expiring in 30/60/90 days,
    /// grouped by course, street, industry, enterprise or month, with a 合计 row. Dates are
    /// inclusive, China time; the default range is this year to today.
    #[oai(path = "/reports/activity", method = "get")]
    async fn activity(
        &self,
        auth: BearerAuth,
        from: Query<Option<NaiveDate>>,
        to: Query<Option<NaiveDate>>,
        group_by: Query<Option<Grouping>>,
        format: Query<Option<ReportFormat>>,
        #[oai(name = "Accept")] accept: Header<Option<String>>,
    ) -> ApiResult<OneStatus<ReportResponse>> {
        let params = Params {
            from: from.0,
            to: to.0,
            group_by: grouping(group_by.0),
            ..Params::default()
        };
        self.serve(&auth.0, Report::Activity, params, format.0, accept.0)
            .await
    }

    /// 各街道应急第一响应人密度: holders of a valid first-responder certificate per street,
    /// per km² and per 10,000 residents (bureau and street officers).
    #[oai(path = "/reports/street-density", method = "get")]
    async fn street_density(
        &self,
        auth: BearerAuth,
        format: Query<Option<ReportFormat>>,
        #[oai(name = "Accept")] accept: Header<Option<String>>,
    ) -> ApiResult<OneStatus<ReportResponse>> {
        self.serve(
            &auth.0,
            Report::StreetDensity,
            Params::default(),
            format.0,
            accept.0,
        )
        .await
    }

    /// 企业持证情况: enterprise staff whose certificate of `course_id` is missing, expired or
    /// expiring within `days` (default 30), by enterprise and name. As JSON a page at a time
    /// (`limit`, default 50, at most 500; `offset`) with the count of all in `total`; a file
    /// holds every row.
    #[oai(path = "/reports/compliance", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn compliance(
        &self,
        auth: BearerAuth,
        course_id: Query<Option<i64>>,
        days: Query<Option<i64>>,
        limit: Query<Option<i64>>,
        offset: Query<Option<i64>>,
        format: Query<Option<ReportFormat>>,
        #[oai(name = "Accept")] accept: Header<Option<String>>,
    ) -> ApiResult<OneStatus<ReportResponse>> {
        let params = Params {
            course_id: course_id.0,
            days: days.0,
            limit: limit.0,
            offset: offset.0,
            ..Params::default()
        };
        self.serve(&auth.0, Report::Compliance, params, format.0, accept.0)
            .await
    }

    /// 学时统计: lessons studied in full (and their 学时, 45 minutes each) in a date range
    /// (default: this year to today), grouped by course (default), street, industry,
    /// enterprise or month, for the caller's area; and people who finished every lesson of a
    /// course in the range.
    #[oai(path = "/reports/study-hours", method = "get")]
    async fn study_hours(
        &self,
        auth: BearerAuth,
        from: Query<Option<NaiveDate>>,
        to: Query<Option<NaiveDate>>,
        group_by: Query<Option<Grouping>>,
        format: Query<Option<ReportFormat>>,
        #[oai(name = "Accept")] accept: Header<Option<String>>,
    ) -> ApiResult<OneStatus<ReportResponse>> {
        let params = Params {
            from: from.0,
            to: to.0,
            group_by: grouping(group_by.0),
            ..Params::default()
        };
        self.serve(&auth.0, Report::StudyHours, params, format.0, accept.0)
            .await
    }

    /// 一人一档: one person's bookings, attempts, scores and certificates.
    #[oai(path = "/reports/person-record", method = "get")]
    async fn person_record(
        &self,
        auth: BearerAuth,
        user_id: Query<Option<i64>>,
        format: Query<Option<ReportFormat>>,
        #[oai(name = "Accept")] accept: Header<Option<String>>,
    ) -> ApiResult<OneStatus<ReportResponse>> {
        let params = Params {
            user_id: user_id.0,
            ..Params::default()
        };
        self.serve(&auth.0, Report::PersonRecord, params, format.0, accept.0)
            .await
    }

    /// Any report by its name (`activity`, `street-density`, `compliance`, `person-record`,
    /// `enterprise-record`, `question-stats`, `study-hours`), the same as its own path; each reads the
    /// parameters it needs. As JSON, `limit` and `offset` ask for a page (compliance always
    /// comes a page at a time); `total` counts every row.
    #[oai(path = "/reports/:name", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn report_by_name(
        &self,
        auth: BearerAuth,
        name: Path<String>,
        from: Query<Option<NaiveDate>>,
        to: Query<Option<NaiveDate>>,
        group_by: Query<Option<Grouping>>,
        course_id: Query<Option<i64>>,
        days: Query<Option<i64>>,
        user_id: Query<Option<i64>>,
        enterprise_id: Query<Option<i64>>,
        limit: Query<Option<i64>>,
        offset: Query<Option<i64>>,
        format: Query<Option<ReportFormat>>,
        #[oai(name = "Accept")] accept: Header<Option<String>>,
    ) -> ApiResult<OneStatus<ReportResponse>> {
        let report = Report::parse(&name.0).ok_or_else(|| {
            AppError::not_found("report_not_found", format!("no report named {:?}", name.0))
        })?;
        let params = Params {
            from: from.0,
            to: to.0,
            group_by: grouping(group_by.0),
            course_id: course_id.0,
            days: days.0,
            user_id: user_id.0,
            enterprise_id: enterprise_id.0,
            limit: limit.0,
            offset: offset.0,
        };
        self.serve(&auth.0, report, params, format.0, accept.0)
            .await
    }

    /// 试题分析 (bureau_admin): each question version that was on a finished paper, with its
    /// uses, facility (share right), discrimination index (upper against lower 27 %) and how
    /// often each option was chosen (by its key in the question); flagged questions first.
    /// Retire one with `PUT /api/v1/questions/{id}` and `"status": "retired"`.
    #[oai(path = "/reports/question-stats", method = "get")]
    async fn question_stats(
        &self,
        auth: BearerAuth,
        format: Query<Option<ReportFormat>>,
        #[oai(name = "Accept")] accept: Header<Option<String>>,
    ) -> ApiResult<OneStatus<ReportResponse>> {
        self.serve(
            &auth.0,
            Report::QuestionStats,
            Params::default(),
            format.0,
            accept.0,
        )
        .await
    }

    /// 一企一档: each staff member of an enterprise with bookings, attempts, passes and their
    /// latest certificate. An enterprise admin may leave out `enterprise_id`.
    #[oai(path = "/reports/enterprise-record", method = "get")]
    async fn enterprise_record(
        &self,
        auth: BearerAuth,
        enterprise_id: Query<Option<i64>>,
        format: Query<Option<ReportFormat>>,
        #[oai(name = "Accept")] accept: Header<Option<String>>,
    ) -> ApiResult<OneStatus<ReportResponse>> {
        let params = Params {
            enterprise_id: enterprise_id.0,
            ..Params::default()
        };
        self.serve(
            &auth.0,
            Report::EnterpriseRecord,
            params,
            format.0,
            accept.0,
        )
        .await
    }
}
