//! 学时统计: the study the server credited (`crate::study`), for a date range, grouped by
//! course, street, industry, enterprise or month. A lesson's 学时 count when it is studied in
//! full, on the day it was (its `completed_at`), so a range and a year mean what they say.

use super::{Column, GroupBy, Table, Value, activity, area_filter, col, is_postgres};
use crate::{access::Area, db::Db, error::AppResult, study::SECONDS_PER_STUDY_HOUR, with_pool};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use std::collections::{BTreeMap, HashMap, HashSet};

const COLUMNS: &[Column] = &[
    col("group", "分组"),
    col("learners", "学习人数"),
    col("lessons_completed", "学完课时数"),
    col("study_hours", "完成学时"),
    col("courses_completed", "学完全部课程人次"),
];

#[derive(Default)]
struct Figures {
    learners: HashSet<i64>,
    lessons: i64,
    seconds: i64,
    courses_completed: i64,
}

/// 学时 with one decimal, as the certificate and the pages show them.
pub fn study_hours(seconds: i64) -> f64 {
    (seconds as f64 / SECONDS_PER_STUDY_HOUR as f64 * 10.0).round() / 10.0
}

pub(super) fn china_start(d: NaiveDate) -> DateTime<Utc> {
    FixedOffset::east_opt(8 * 3600)
        .expect("UTC+8")
        .from_local_datetime(&d.and_time(NaiveTime::MIN))
        .single()
        .expect("China has no DST")
        .with_timezone(&Utc)
}

pub(super) async fn report(
    db: &Db,
    from: NaiveDate,
    to: NaiveDate,
    group: GroupBy,
    area: Area,
) -> AppResult<Table> {
    let pg = is_postgres(db);
    let (from_t, until_t) = (china_start(from), china_start(to.succ_opt().unwrap_or(to)));
    let (street, enterprise) = area_filter(area);
    let joins = activity::person_joins().replace("{person}", "lp.user_id");
    // Lessons studied in full within the range, by group, person and course.
    let sql = format!(
        "SELECT {grp}, lp.user_id, l.course_id, COUNT(*), CAST(COALESCE(SUM(l.required_seconds), 0) AS BIGINT) \
         FROM lesson_progress lp JOIN lessons l ON l.id = lp.lesson_id JOIN courses co ON co.id = l.course_id \
         {joins} WHERE lp.completed_at >= $1 AND lp.completed_at < $2 AND {area} GROUP BY 1, 2, 3",
        grp = activity::group_sql(group, "lp.completed_at", true, pg),
        area = activity::area_sql(3),
    );
    let rows: Vec<(String, i64, i64, i64, i64)> = with_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(from_t).bind(until_t).bind(street).bind(enterprise)
            .fetch_all(pool).await?
    });
    let mut groups: BTreeMap<String, Figures> = BTreeMap::new();
    // The group of each (person, course) pair: where finishing the course is counted.
    let mut pair_group: HashMap<(i64, i64), String> = HashMap::new();
    for (label, user, course, lessons, seconds) in rows {
        let g = groups.entry(label.clone()).or_default();
        g.learners.insert(user);
        g.lessons += lessons;
        g.seconds += seconds;
        pair_group.entry((user, course)).or_insert(label);
    }
    // A course is finished by a person when every lesson it has is studied in full; it is
    // counted in the range when the last of them was.
    let lessons_per_course: HashMap<i64, i64> = with_pool!(db, pool => {
        sqlx::query_as::<_, (i64, i64)>("SELECT course_id, COUNT(*) FROM lessons GROUP BY course_id")
            .fetch_all(pool).await?
    })
    .into_iter()
    .collect();
    let finished_sql = format!(
        "SELECT lp.user_id, l.course_id, COUNT(*), MAX(lp.completed_at) \
         FROM lesson_progress lp JOIN lessons l ON l.id = lp.lesson_id {joins} \
         WHERE lp.completed_at IS NOT NULL AND {area} GROUP BY 1, 2",
        area = activity::area_sql(1),
    );
    let finished: Vec<(i64, i64, i64, DateTime<Utc>)> = with_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(finished_sql)).bind(street).bind(enterprise)
            .fetch_all(pool).await?
    });
    for (user, course, done, last) in finished {
        if lessons_per_course.get(&course) == Some(&done) && last >= from_t && last < until_t {
            let label = match group {
                GroupBy::Month => last
                    .with_timezone(&FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
                    .format("%Y-%m")
                    .to_string(),
                _ => pair_group.get(&(user, course)).cloned().unwrap_or_default(),
            };
            groups.entry(label).or_default().courses_completed += 1;
        }
    }
    Ok(Table {
        name: "study-hours",
        title: format!("学时统计（{from} 至 {to}）"),
        columns: COLUMNS,
        rows: groups
            .into_iter()
            .map(|(label, f)| {
                vec![
                    Value::Text(label),
                    Value::Int(f.learners.len() as i64),
                    Value::Int(f.lessons),
                    Value::Num(Some(study_hours(f.seconds))),
                    Value::Int(f.courses_completed),
                ]
            })
            .collect(),
    })
}
