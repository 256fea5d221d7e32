//! 培训考核统计: for a date range, grouped by course, street, industry, enterprise or month:
//! registrations, no-shows, attempts, pass rates (first try and overall), the average score,
//! and certificates issued, renewed, revoked and expiring. Registrations and attempts count
//! by their sitting's start, certificates by the day of each event, all in China time.

use super::{Column, GroupBy, Table, Value, area_filter, col, is_postgres};
use crate::{access::Area, certificates, db::Db, error::AppResult, org, with_pool};
use chrono::{FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use std::collections::BTreeMap;

const COLUMNS: &[Column] = &[
    col("group", "分组"),
    col("registrations", "报名人次"),
    col("no_shows", "缺考人次"),
    col("attempts", "参考人次"),
    col("finished", "完成考试人次"),
    col("passed", "通过人次"),
    col("first_try_pass_rate", "首考通过率"),
    col("pass_rate", "总通过率"),
    col("average_score_pct", "平均得分率(%)"),
    col("certificates_issued", "新发证书"),
    col("certificates_renewed", "复训换证"),
    col("certificates_revoked", "撤销证书"),
    col("expiring_30_days", "30天内到期"),
    col("expiring_60_days", "60天内到期"),
    col("expiring_90_days", "90天内到期"),
];

#[derive(Debug, Default, Clone)]
struct Figures {
    registrations: i64,
    no_shows: i64,
    attempts: i64,
    finished: i64,
    passed: i64,
    first_finished: i64,
    first_passed: i64,
    /// Sum of score percentages over finished attempts (the average is this / finished).
    score_pct_sum: f64,
    issued: i64,
    renewed: i64,
    revoked: i64,
    expiring: [i64; 3],
}

/// The label a row is grouped under, as SQL over `co`, `u`, `e` and `st` (the person's
/// street), with `date` the event's own date or time.
pub(super) fn group_sql(group: GroupBy, date: &str, date_is_time: bool, postgres: bool) -> String {
    match group {
        GroupBy::Course => "co.title".into(),
        GroupBy::Street => "COALESCE(st.name, '未填街道')".into(),
        GroupBy::Industry => "COALESCE(e.industry, '个人（无企业）')".into(),
        GroupBy::Enterprise => "COALESCE(e.name, '个人（无企业）')".into(),
        GroupBy::Month => match (postgres, date_is_time) {
            (true, true) => format!("to_char({date} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"),
            (true, false) => format!("to_char({date}, 'YYYY-MM')"),
            (false, true) => format!("strftime('%Y-%m', {date}, '+8 hours')"),
            (false, false) => format!("substr({date}, 1, 7)"),
        },
    }
}

/// The joins every query shares after its own table: the person, their enterprise and
/// street, and (the person's) area filter on `$3`/`$4`.
pub(super) fn person_joins() -> String {
    format!(
        "JOIN users u ON u.id = {{person}} {} LEFT JOIN streets st ON st.id = {}",
        org::PERSON_ENTERPRISE_JOIN,
        org::PERSON_STREET
    )
}

/// The joins of a query over the books (`f`): the enterprise and street they were kept by.
const BOOK_JOINS: &str =
    "LEFT JOIN enterprises e ON e.id = f.enterprise_id LEFT JOIN streets st ON st.id = f.street_id";

/// The area filter over the books, on `$3` (street) and `$4` (enterprise).
const BOOK_AREA: &str = "($3 IS NULL OR f.street_id = $3) AND ($4 IS NULL OR f.enterprise_id = $4)";

pub(super) fn area_sql(first: usize) -> String {
    format!(
        "(${first} IS NULL OR {street} = ${first}) AND (${second} IS NULL OR u.enterprise_id = ${second})",
        street = org::PERSON_STREET,
        second = first + 1
    )
}

pub(super) async fn report(
    db: &Db,
    from: NaiveDate,
    to: NaiveDate,
    group: GroupBy,
    area: Area,
    today: NaiveDate,
) -> AppResult<Table> {
    let pg = is_postgres(db);
    let china = FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    let at_start = |d: NaiveDate| {
        china
            .from_local_datetime(&d.and_time(NaiveTime::MIN))
            .single()
            .expect("China has no DST")
            .with_timezone(&Utc)
    };
    let (from_t, until_t) = (at_start(from), at_start(to.succ_opt().unwrap_or(to)));
    let (street, enterprise) = area_filter(area);
    let joins = person_joins();
    let mut groups: BTreeMap<String, Figures> = BTreeMap::new();

    // Registrations and their attempts, by the sitting's start, of the sittings in the range
    // that are not in the books yet (a few at most: those of the last hours). Their ids go
    // into the SQL as numbers, so the query reads only their bookings.
    let open_sittings: Vec<i64> = with_pool!(db, pool => {
        sqlx::query_scalar(
            "SELECT s.id FROM sittings s WHERE s.starts_at >= $1 AND s.starts_at < $2 \
             AND NOT EXISTS (SELECT 1 FROM closed_sittings cs WHERE cs.sitting_id = s.id)",
        )
        .bind(from_t).bind(until_t).fetch_all(pool).await?
    });
    // Set when the attempt was graded (`exam::store::finish`).
    let first_try = "a.first_try";
    let finished = "a.status IN ('graded', 'terminated')";
    let sql = format!(
        "SELECT {grp} AS grp, COUNT(*), \
         COALESCE(SUM(CASE WHEN a.id IS NULL AND s.ends_at < $5 THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN a.id IS NOT NULL THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN {finished} THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN a.passed THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN {finished} AND {first_try} THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN a.passed AND {first_try} THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN {finished} THEN a.score * 100.0 / a.max_score END), 0.0) \
         FROM registrations r JOIN sittings s ON s.id = r.sitting_id JOIN courses co ON co.id = s.course_id \
         {joins} LEFT JOIN attempts a ON a.registration_id = r.id \
         WHERE r.status = 'booked' AND s.starts_at >= $1 AND s.starts_at < $2 AND {area} \
         AND s.id IN ({open}) GROUP BY 1",
        grp = group_sql(group, "s.starts_at", true, pg),
        joins = joins.replace("{person}", "r.user_id"),
        area = area_sql(3),
        open = open_sittings
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    );
    type Taking = (String, i64, i64, i64, i64, i64, i64, i64, f64);
    let rows: Vec<Taking> = if open_sittings.is_empty() {
        Vec::new()
    } else {
        with_pool!(db, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(from_t).bind(until_t).bind(street).bind(enterprise)
                .bind(Utc::now()).fetch_all(pool).await?
        })
    };
    // The same figures for the closed sittings, from their books.
    let sql = format!(
        "SELECT {grp} AS grp, CAST(SUM(f.registrations) AS BIGINT), \
         CAST(SUM(CASE WHEN s.ends_at < $5 THEN f.registrations - f.attempts ELSE 0 END) AS BIGINT), \
         CAST(SUM(f.attempts) AS BIGINT), CAST(SUM(f.finished) AS BIGINT), CAST(SUM(f.passed) AS BIGINT), \
         CAST(SUM(f.first_finished) AS BIGINT), CAST(SUM(f.first_passed) AS BIGINT), SUM(f.score_pct_sum) \
         FROM sitting_facts f JOIN sittings s ON s.id = f.sitting_id JOIN courses co ON co.id = s.course_id \
         {books} WHERE s.starts_at >= $1 AND s.starts_at < $2 AND {area} GROUP BY 1",
        grp = group_sql(group, "s.starts_at", true, pg),
        books = BOOK_JOINS,
        area = BOOK_AREA,
    );
    let booked: Vec<Taking> = with_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(from_t).bind(until_t).bind(street).bind(enterprise)
            .bind(Utc::now()).fetch_all(pool).await?
    });
    for (g, regs, no_shows, attempts, fin, passed, first_fin, first_passed, pct) in
        rows.into_iter().chain(booked)
    {
        let f = groups.entry(g).or_default();
        f.registrations += regs;
        f.no_shows += no_shows;
        f.attempts += attempts;
        f.finished += fin;
        f.passed += passed;
        f.first_finished += first_fin;
        f.first_passed += first_passed;
        f.score_pct_sum += pct;
    }

    // Certificates issued and renewed in the range, by the day of issue (those revoked since
    // were issued all the same, and are counted again as revoked).
    let sql = format!(
        "SELECT {grp} AS grp, COALESCE(SUM(CASE WHEN c.kind = 'initial' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN c.kind = 'renewal' THEN 1 ELSE 0 END), 0) \
         FROM certificates c JOIN courses co ON co.id = c.course_id {joins} \
         WHERE c.issued_on >= $1 AND c.issued_on <= $2 AND {area} GROUP BY 1",
        grp = group_sql(group, "c.issued_on", false, pg),
        joins = joins.replace("{person}", "c.user_id"),
        area = area_sql(3),
    );
    // Days up to `closed` are in the books; the rows count the days after.
    let closed = super::books::certificates_closed_through(db).await?;
    let open_from = closed.map_or(from, |c| from.max(c + chrono::Duration::days(1)));
    let rows: Vec<(String, i64, i64)> = with_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(open_from).bind(to).bind(street).bind(enterprise)
            .fetch_all(pool).await?
    });
    for (g, issued, renewed) in rows {
        let f = groups.entry(g).or_default();
        f.issued += issued;
        f.renewed += renewed;
    }
    let sql = format!(
        "SELECT {grp} AS grp, CAST(SUM(f.issued) AS BIGINT), CAST(SUM(f.renewed) AS BIGINT), \
         CAST(SUM(f.revoked) AS BIGINT) FROM certificate_facts f JOIN courses co ON co.id = f.course_id \
         {books} WHERE f.day >= $1 AND f.day <= $2 AND {area} GROUP BY 1",
        grp = group_sql(group, "f.day", false, pg),
        books = BOOK_JOINS,
        area = BOOK_AREA,
    );
    let rows: Vec<(String, i64, i64, i64)> = with_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(from).bind(to).bind(street).bind(enterprise)
            .fetch_all(pool).await?
    });
    for (g, issued, renewed, revoked) in rows {
        let f = groups.entry(g).or_default();
        f.issued += issued;
        f.renewed += renewed;
        f.revoked += revoked;
    }

    // Certificates revoked in the range (a reissue's replacement is no revocation).
    let sql = format!(
        "SELECT {grp} AS grp, COUNT(*) \
         FROM certificates c JOIN courses co ON co.id = c.course_id {joins} \
         WHERE c.revoked_at >= $1 AND c.revoked_at < $2 AND NOT {counts} AND {area} GROUP BY 1",
        grp = group_sql(group, "c.revoked_at", true, pg),
        joins = joins.replace("{person}", "c.user_id"),
        counts = certificates::store::COUNTS,
        area = area_sql(3),
    );
    let open_from_t = at_start(open_from).max(from_t);
    let rows: Vec<(String, i64)> = with_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(open_from_t).bind(until_t).bind(street).bind(enterprise)
            .fetch_all(pool).await?
    });
    for (g, revoked) in rows {
        groups.entry(g).or_default().revoked += revoked;
    }

    // Valid certificates not yet renewed that expire within 30, 60 and 90 days of today.
    let sql = format!(
        "SELECT {grp} AS grp, \
         COALESCE(SUM(CASE WHEN c.expires_on <= $2 THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN c.expires_on <= $5 THEN 1 ELSE 0 END), 0), \
         COUNT(*) \
         FROM certificates c JOIN courses co ON co.id = c.course_id {joins} \
         WHERE c.revoked_at IS NULL AND c.expires_on >= $1 AND c.expires_on <= $6 \
         AND NOT EXISTS (SELECT 1 FROM certificates n WHERE n.previous_id = c.id) AND {area} GROUP BY 1",
        grp = group_sql(group, "c.expires_on", false, pg),
        joins = joins.replace("{person}", "c.user_id"),
        area = area_sql(3),
    );
    let day = |n: u64| {
        today
            .checked_add_days(chrono::Days::new(n))
            .unwrap_or(today)
    };
    let rows: Vec<(String, i64, i64, i64)> = with_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(today).bind(day(30)).bind(street).bind(enterprise)
            .bind(day(60)).bind(day(90)).fetch_all(pool).await?
    });
    for (g, d30, d60, d90) in rows {
        groups.entry(g).or_default().expiring = [d30, d60, d90];
    }

    let total = groups.values().fold(Figures::default(), |mut t, f| {
        t.registrations += f.registrations;
        t.no_shows += f.no_shows;
        t.attempts += f.attempts;
        t.finished += f.finished;
        t.passed += f.passed;
        t.first_finished += f.first_finished;
        t.first_passed += f.first_passed;
        t.score_pct_sum += f.score_pct_sum;
        t.issued += f.issued;
        t.renewed += f.renewed;
        t.revoked += f.revoked;
        for i in 0..3 {
            t.expiring[i] += f.expiring[i];
        }
        t
    });
    let mut rows: Vec<Vec<Value>> = groups
        .into_iter()
        .map(|(g, f)| row(Value::text(g), &f))
        .collect();
    rows.push(row(Value::text("合计"), &total));
    Ok(Table {
        name: "activity",
        title: format!("培训考核统计（{from} 至 {to}）"),
        columns: COLUMNS,
        rows,
    })
}

fn rate(part: i64, whole: i64) -> Value {
    Value::Num((whole > 0).then(|| part as f64 / whole as f64))
}

fn row(group: Value, f: &Figures) -> Vec<Value> {
    vec![
        group,
        Value::Int(f.registrations),
        Value::Int(f.no_shows),
        Value::Int(f.attempts),
        Value::Int(f.finished),
        Value::Int(f.passed),
        rate(f.first_passed, f.first_finished),
        rate(f.passed, f.finished),
        Value::Num((f.finished > 0).then(|| f.score_pct_sum / f.finished as f64)),
        Value::Int(f.issued),
        Value::Int(f.renewed),
        Value::Int(f.revoked),
        Value::Int(f.expiring[0]),
        Value::Int(f.expiring[1]),
        Value::Int(f.expiring[2]),
    ]
}
