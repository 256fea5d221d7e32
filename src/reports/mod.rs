//! The bureau's reports (统计报表): each a table with Chinese column titles, computed for the
//! part of the district the caller oversees (`access::Area`) and exported as CSV or xlsx by
//! `export`. The SQL lives beside each report; knows nothing of HTTP.

mod activity;
pub mod books;
mod density;
pub mod export;
mod questions;
mod records;
pub mod study;

pub use density::{BENCHMARK, StreetDensity, street_density};

use crate::{
    AppState,
    access::Area,
    db::Db,
    error::{AppError, AppResult},
};
use chrono::{Datelike, NaiveDate};

/// One cell of a report.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Int(i64),
    /// A rate or an average; None where nothing was there to divide (shown empty).
    Num(Option<f64>),
    Date(Option<NaiveDate>),
}

impl Value {
    fn text(s: impl Into<String>) -> Self {
        Value::Text(s.into())
    }

    /// As JSON: numbers stay numbers, dates are ISO strings, nothing is null.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Text(s) => s.clone().into(),
            Value::Int(n) => (*n).into(),
            Value::Num(Some(x)) => serde_json::Number::from_f64(*x)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::Num(None) | Value::Date(None) => serde_json::Value::Null,
            Value::Date(Some(d)) => d.to_string().into(),
        }
    }

    /// As a CSV cell: rates with four decimals at most.
    pub fn to_text(&self) -> String {
        match self {
            Value::Text(s) => s.clone(),
            Value::Int(n) => n.to_string(),
            Value::Num(Some(x)) => format!("{}", (x * 10_000.0).round() / 10_000.0),
            Value::Num(None) | Value::Date(None) => String::new(),
            Value::Date(Some(d)) => d.to_string(),
        }
    }
}

/// A column: its key in JSON and its title in exports.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub key: &'static str,
    pub title: &'static str,
}

const fn col(key: &'static str, title: &'static str) -> Column {
    Column { key, title }
}

/// A report as computed.
#[derive(Debug, Clone)]
pub struct Table {
    pub name: &'static str,
    pub title: String,
    pub columns: &'static [Column],
    pub rows: Vec<Vec<Value>>,
}

impl Table {
    /// The cell of `row` under the column `key`.
    pub fn cell<'a>(&self, row: &'a [Value], key: &str) -> Option<&'a Value> {
        let i = self.columns.iter().position(|c| c.key == key)?;
        row.get(i)
    }

    /// The cell as a number (an integer or a rate).
    pub fn number(&self, row: &[Value], key: &str) -> Option<f64> {
        match self.cell(row, key)? {
            Value::Int(n) => Some(*n as f64),
            Value::Num(x) => *x,
            _ => None,
        }
    }

    /// The cell as text.
    pub fn text(&self, row: &[Value], key: &str) -> String {
        self.cell(row, key).map(Value::to_text).unwrap_or_default()
    }
}

/// The reports there are, by the name in `/api/v1/reports/{name}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    /// Registrations, attendance, attempts, pass rates, scores and certificates, grouped.
    Activity,
    /// Certified first responders per street, per km² and per 10,000 residents.
    StreetDensity,
    /// Staff whose required certificate is missing, expired or expiring.
    Compliance,
    /// 一人一档: one person's bookings, attempts and certificates.
    PersonRecord,
    /// 一企一档: one enterprise's staff with their training and certificates.
    EnterpriseRecord,
    /// 试题分析: uses, facility, discrimination and option counts per question version.
    QuestionStats,
    /// 学时统计: lessons studied in full and their 学时, grouped.
    StudyHours,
}

impl Report {
    pub const ALL: [Report; 7] = [
        Report::Activity,
        Report::StreetDensity,
        Report::Compliance,
        Report::PersonRecord,
        Report::EnterpriseRecord,
        Report::QuestionStats,
        Report::StudyHours,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Report::Activity => "activity",
            Report::StreetDensity => "street-density",
            Report::Compliance => "compliance",
            Report::PersonRecord => "person-record",
            Report::EnterpriseRecord => "enterprise-record",
            Report::QuestionStats => "question-stats",
            Report::StudyHours => "study-hours",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.name() == name)
    }

    /// Whether its JSON comes a page at a time even unasked: a list of people, not a summary.
    pub fn pages_by_default(self) -> bool {
        self == Report::Compliance
    }
}

/// How the activity report groups its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupBy {
    #[default]
    Course,
    Street,
    Industry,
    Enterprise,
    Month,
}

impl GroupBy {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "course" => GroupBy::Course,
            "street" => GroupBy::Street,
            "industry" => GroupBy::Industry,
            "enterprise" => GroupBy::Enterprise,
            "month" => GroupBy::Month,
            _ => return None,
        })
    }
}

/// What a report is asked for; each report reads the parameters it needs.
#[derive(Debug, Clone, Default)]
pub struct Params {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub group_by: GroupBy,
    pub course_id: Option<i64>,
    pub days: Option<i64>,
    pub user_id: Option<i64>,
    pub enterprise_id: Option<i64>,
    /// The page asked for, as JSON (`?limit=&offset=`); files hold every row.
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// The filter an area puts on a person's rows: (street, enterprise), for SQL of the form
/// `($n IS NULL OR PERSON_STREET = $n) AND ($m IS NULL OR u.enterprise_id = $m)`.
fn area_filter(area: Area) -> (Option<i64>, Option<i64>) {
    match area {
        Area::District => (None, None),
        Area::Street(s) => (Some(s), None),
        Area::Enterprise(e) => (None, Some(e)),
    }
}

fn is_postgres(db: &Db) -> bool {
    matches!(db, Db::Postgres(_))
}

/// Computes `report` for the area the caller oversees.
pub async fn run(
    state: &AppState,
    report: Report,
    params: &Params,
    area: Area,
) -> AppResult<Table> {
    let today = crate::certificates::today();
    match report {
        Report::Activity => {
            let from = params
                .from
                .unwrap_or_else(|| NaiveDate::from_ymd_opt(today.year(), 1, 1).expect("Jan 1"));
            let to = params.to.unwrap_or(today);
            if to < from {
                return Err(AppError::invalid("to", "the range ends before it begins"));
            }
            activity::report(&state.db, from, to, params.group_by, area, today).await
        }
        Report::StreetDensity => {
            let rows = street_density(state, area, today).await?;
            Ok(density::table(rows))
        }
        Report::Compliance => {
            let (course, days) = compliance_params(state, params).await?;
            records::compliance(&state.db, &course, days, area, today).await
        }
        Report::PersonRecord => {
            let user_id = params
                .user_id
                .ok_or_else(|| AppError::invalid("user_id", "name the person"))?;
            records::person(state, user_id, area, today).await
        }
        Report::EnterpriseRecord => {
            let enterprise_id = match (params.enterprise_id, area) {
                (Some(id), _) => id,
                (None, Area::Enterprise(own)) => own,
                (None, _) => {
                    return Err(AppError::invalid("enterprise_id", "name the enterprise"));
                }
            };
            records::enterprise(state, enterprise_id, area, today).await
        }
        Report::StudyHours => {
            let from = params
                .from
                .unwrap_or_else(|| NaiveDate::from_ymd_opt(today.year(), 1, 1).expect("Jan 1"));
            let to = params.to.unwrap_or(today);
            if to < from {
                return Err(AppError::invalid("to", "the range ends before it begins"));
            }
            study::report(&state.db, from, to, params.group_by, area).await
        }
        Report::QuestionStats => match area {
            Area::District => questions::report(&state.db).await,
            _ => Err(AppError::forbidden("question statistics are the bureau's")),
        },
    }
}

/// One page of `report` for the caller's area, `(limit, offset)`, and how many rows it has
/// in all. The compliance list, which runs to 100,000 rows on a district, is paged by the
/// database; the others, a few thousand rows at most, are computed whole and cut.
pub async fn page(
    state: &AppState,
    report: Report,
    params: &Params,
    area: Area,
    (limit, offset): (i64, i64),
) -> AppResult<(Table, i64)> {
    if report == Report::Compliance {
        let (course, days) = compliance_params(state, params).await?;
        let today = crate::certificates::today();
        return records::compliance_page(&state.db, &course, days, area, today, (limit, offset))
            .await;
    }
    let mut table = run(state, report, params, area).await?;
    let total = table.rows.len() as i64;
    table.rows = table
        .rows
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(0))
        .collect();
    Ok((table, total))
}

/// The compliance report's course and horizon in days (default 30), checked.
async fn compliance_params(
    state: &AppState,
    params: &Params,
) -> AppResult<(crate::courses::Course, i64)> {
    let course_id = params
        .course_id
        .ok_or_else(|| AppError::invalid("course_id", "name the required course"))?;
    let course = crate::courses::store::course(&state.db, course_id)
        .await?
        .ok_or_else(|| AppError::invalid("course_id", "no such course"))?;
    let days = params.days.unwrap_or(30);
    if !(0..=3650).contains(&days) {
        return Err(AppError::invalid("days", "from 0 to 3650 days"));
    }
    Ok((course, days))
}

/// A report for a file (`export`): its head, then its rows as they come. A report of a few
/// thousand rows at most is computed whole and handed over; the one that runs to 100,000
/// rows on a district (compliance) comes straight from the database's cursor, at most
/// `ROWS_AHEAD` rows ahead of the file being written.
pub struct Export {
    pub name: &'static str,
    pub title: String,
    pub columns: &'static [Column],
    pub rows: tokio::sync::mpsc::Receiver<AppResult<Vec<Value>>>,
}

const ROWS_AHEAD: usize = 1024;

impl From<Table> for Export {
    fn from(table: Table) -> Self {
        let (rows, out) = tokio::sync::mpsc::channel(table.rows.len().max(1));
        for row in table.rows {
            rows.try_send(Ok(row)).expect("room for every row");
        }
        Export {
            name: table.name,
            title: table.title,
            columns: table.columns,
            rows: out,
        }
    }
}

/// `report` for the caller's area, for a file.
pub async fn export(
    state: &AppState,
    report: Report,
    params: &Params,
    area: Area,
) -> AppResult<Export> {
    if report == Report::Compliance {
        let (course, days) = compliance_params(state, params).await?;
        let today = crate::certificates::today();
        return Ok(records::compliance_export(
            state.db.clone(),
            &course,
            days,
            area,
            today,
        ));
    }
    Ok(run(state, report, params, area).await?.into())
}
