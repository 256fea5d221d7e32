//! 应急第一响应人密度: the people holding a valid first-responder certificate in each street,
//! per km² and per 10,000 residents, against the city's benchmark of 15 of each.

use super::{Column, Table, Value, col};
use crate::{AppState, access::Area, error::AppResult, org, with_pool};
use chrono::NaiveDate;

/// The city's benchmark: at least this many responders per km² and per 10,000 residents.
pub const BENCHMARK: f64 = 15.0;

#[derive(Debug, Clone, PartialEq)]
pub struct StreetDensity {
    pub street_id: i64,
    pub name: String,
    pub area_km2: Option<f64>,
    pub population: Option<i64>,
    /// Distinct people holding a valid first-responder certificate.
    pub responders: i64,
    pub per_km2: Option<f64>,
    pub per_10k_residents: Option<f64>,
    /// Both densities at or above [`BENCHMARK`] (false when area or population is unknown).
    pub meets_benchmark: bool,
}

/// Each street's responders on `on`; a street officer gets their own street only, an
/// enterprise admin nothing.
pub async fn street_density(
    state: &AppState,
    area: Area,
    on: NaiveDate,
) -> AppResult<Vec<StreetDensity>> {
    let street = match area {
        Area::District => None,
        Area::Street(id) => Some(id),
        Area::Enterprise(_) => {
            return Err(crate::error::AppError::forbidden(
                "street figures are the bureau's and the streets'",
            ));
        }
    };
    let sql = format!(
        "SELECT s.id, s.name, s.area_km2, s.population, COUNT(DISTINCT h.user_id) \
         FROM streets s LEFT JOIN ( \
           SELECT c.user_id, {person_street} AS street_id FROM certificates c \
           JOIN courses co ON co.id = c.course_id JOIN users u ON u.id = c.user_id {join} \
           WHERE co.category = 'first_responder' AND c.revoked_at IS NULL \
           AND c.expires_on >= $1) h ON h.street_id = s.id \
         WHERE ($2 IS NULL OR s.id = $2) \
         GROUP BY s.id, s.name, s.area_km2, s.population ORDER BY s.id",
        person_street = org::PERSON_STREET,
        join = org::PERSON_ENTERPRISE_JOIN,
    );
    type Row = (i64, String, Option<f64>, Option<i64>, i64);
    let rows: Vec<Row> = with_pool!(&state.db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(on).bind(street).fetch_all(pool).await?
    });
    Ok(rows
        .into_iter()
        .map(|(street_id, name, area_km2, population, responders)| {
            // A figure only where it is one: an area too small to divide by gives none.
            let per_km2 = area_km2
                .filter(|a| *a > 0.0)
                .map(|a| responders as f64 / a)
                .filter(|d| d.is_finite());
            let per_10k_residents = population
                .filter(|p| *p > 0)
                .map(|p| responders as f64 * 10_000.0 / p as f64);
            StreetDensity {
                street_id,
                name,
                area_km2,
                population,
                responders,
                per_km2,
                per_10k_residents,
                meets_benchmark: per_km2.is_some_and(|d| d >= BENCHMARK)
                    && per_10k_residents.is_some_and(|d| d >= BENCHMARK),
            }
        })
        .collect())
}

const COLUMNS: &[Column] = &[
    col("street", "街道"),
    col("area_km2", "面积(km²)"),
    col("population", "常住人口"),
    col("responders", "持证应急第一响应人"),
    col("per_km2", "每平方公里"),
    col("per_10k_residents", "每万人"),
    col("meets_benchmark", "达到15人标准"),
];

pub(super) fn table(rows: Vec<StreetDensity>) -> Table {
    Table {
        name: "street-density",
        title: "各街道应急第一响应人密度".into(),
        columns: COLUMNS,
        rows: rows
            .into_iter()
            .map(|d| {
                vec![
                    Value::Text(d.name),
                    Value::Num(d.area_km2),
                    d.population.map_or(Value::Num(None), Value::Int),
                    Value::Int(d.responders),
                    Value::Num(d.per_km2),
                    Value::Num(d.per_10k_residents),
                    Value::text(if d.meets_benchmark { "是" } else { "否" }),
                ]
            })
            .collect(),
    }
}
