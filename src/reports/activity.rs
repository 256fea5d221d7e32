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

/// A query over the books (`f`, with `s` and `co` where its `from` joins them): `sums` per
/// group. Grouped by enterprise, the books are summed by the enterprise's id first and named
/// after: grouping 200,000 rows of five years by a Chinese name made PostgreSQL sort them on
/// disk in its collation (bench/README.md, activity by enterprise).
fn books_sql(group: GroupBy, sums: &[&str], from: &str, filter: &str, grp: &str) -> String {
    if group == GroupBy::Enterprise {
        let named: Vec<String> = (0..sums.len()).map(|i| format!("t.s{i}")).collect();
        let summed: Vec<String> = sums
            .iter()
            .enumerate()
            .map(|(i, sum)| format!("{sum} AS s{i}"))
            .collect();
        format!(
            "SELECT COALESCE(e.name, '个人（无企业）') AS grp, {named} FROM (SELECT f.enterprise_id AS gid, \
             {summed} FROM {from} WHERE {filter} AND {BOOK_AREA} GROUP BY f.enterprise_id) t \
             LEFT JOIN enterprises e ON e.id = t.gid",
            named = named.join(", "),
            summed = summed.join(", "),
        )
    } else {
        format!(
            "SELECT {grp} AS grp, {sums} FROM {from} {BOOK_JOINS} WHERE {filter} AND {BOOK_AREA} GROUP BY 1",
            sums = sums.join(", "),
        )
    }
}

/// One group's registrations and attempts: registrations, no-shows, attempts, finished,
/// passed, first tries finished and passed, and the sum of score percentages.
type Taking = (String, i64, i64, i64, i64, i64, i64, i64, f64);

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
    let now = Utc::now();

    // The queries below are independent and run side by side, each on its own connection.

    // Registrations and their attempts, by the sitting's start, of the sittings in the range
    // that are not in the books yet (a few at most: those of the last hours). Their ids go
    // into the SQL as numbers, so the query reads only their bookings.
    let open_takings = async {
        let open_sittings: Vec<i64> = with_pool!(db, pool => {
            sqlx::query_scalar(
                "SELECT s.id FROM sittings s WHERE s.starts_at >= $1 AND s.starts_at < $2 \
                 AND NOT EXISTS (SELECT 1 FROM closed_sittings cs WHERE cs.sitting_id = s.id)",
            )
            .bind(from_t).bind(until_t).fetch_all(pool).await?
        });
        if open_sittings.is_empty() {
            return Ok(Vec::new());
        }
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
        let rows: Vec<Taking> = with_pool!(db, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(from_t).bind(until_t).bind(street).bind(enterprise)
                .bind(now).fetch_all(pool).await?
        });
        AppResult::Ok(rows)
    };

    // The same figures for the closed sittings, from their books.
    let booked_takings = async {
        let sql = books_sql(
            group,
            &[
                "CAST(SUM(f.registrations) AS BIGINT)",
                "CAST(SUM(CASE WHEN s.ends_at < $5 THEN f.registrations - f.attempts ELSE 0 END) AS BIGINT)",
                "CAST(SUM(f.attempts) AS BIGINT)",
                "CAST(SUM(f.finished) AS BIGINT)",
                "CAST(SUM(f.passed) AS BIGINT)",
                "CAST(SUM(f.first_finished) AS BIGINT)",
                "CAST(SUM(f.first_passed) AS BIGINT)",
                "SUM(f.score_pct_sum)",
            ],
            "sitting_facts f JOIN sittings s ON s.id = f.sitting_id JOIN courses co ON co.id = s.course_id",
            "s.starts_at >= $1 AND s.starts_at < $2",
            &group_sql(group, "s.starts_at", true, pg),
        );
        let rows: Vec<Taking> = with_pool!(db, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(from_t).bind(until_t).bind(street).bind(enterprise)
                .bind(now).fetch_all(pool).await?
        });
        AppResult::Ok(rows)
    };

    // Certificates issued and renewed in the days not yet in the books, by the day of issue
    // (those revoked since were issued all the same, and are counted again as revoked); then
    // those revoked in the range (a reissue's replacement is no revocation).
    let open_certificates = async {
        // Days up to `closed` are in the books; the rows count the days after.
        let closed = super::books::certificates_closed_through(db).await?;
        let open_from = closed.map_or(from, |c| from.max(c + chrono::Duration::days(1)));
        let sql = format!(
            "SELECT {grp} AS grp, COALESCE(SUM(CASE WHEN c.kind = 'initial' THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN c.kind = 'renewal' THEN 1 ELSE 0 END), 0) \
             FROM certificates c JOIN courses co ON co.id = c.course_id {joins} \
             WHERE c.issued_on >= $1 AND c.issued_on <= $2 AND {area} GROUP BY 1",
            grp = group_sql(group, "c.issued_on", false, pg),
            joins = joins.replace("{person}", "c.user_id"),
            area = area_sql(3),
        );
        let issued: Vec<(String, i64, i64)> = with_pool!(db, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(open_from).bind(to).bind(street).bind(enterprise)
                .fetch_all(pool).await?
        });
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
        let revoked: Vec<(String, i64)> = with_pool!(db, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(open_from_t).bind(until_t).bind(street).bind(enterprise)
                .fetch_all(pool).await?
        });
        AppResult::Ok((issued, revoked))
    };

    // Certificates issued, renewed and revoked on the days in the books.
    let booked_certificates = async {
        let sql = books_sql(
            group,
            &[
                "CAST(SUM(f.issued) AS BIGINT)",
                "CAST(SUM(f.renewed) AS BIGINT)",
                "CAST(SUM(f.revoked) AS BIGINT)",
            ],
            "certificate_facts f JOIN courses co ON co.id = f.course_id",
            "f.day >= $1 AND f.day <= $2",
            &group_sql(group, "f.day", false, pg),
        );
        let rows: Vec<(String, i64, i64, i64)> = with_pool!(db, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(from).bind(to).bind(street).bind(enterprise)
                .fetch_all(pool).await?
        });
        AppResult::Ok(rows)
    };

    // Valid certificates not yet renewed that expire within 30, 60 and 90 days of today.
    let expiring = async {
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
        AppResult::Ok(rows)
    };

    let (open_takings, booked_takings, (issued, revoked), booked_certificates, expiring) = tokio::try_join!(
        open_takings,
        booked_takings,
        open_certificates,
        booked_certificates,
        expiring
    )?;

    let mut groups: BTreeMap<String, Figures> = BTreeMap::new();
    for (g, regs, no_shows, attempts, fin, passed, first_fin, first_passed, pct) in
        open_takings.into_iter().chain(booked_takings)
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
    for (g, issued, renewed) in issued {
        let f = groups.entry(g).or_default();
        f.issued += issued;
        f.renewed += renewed;
    }
    for (g, issued, renewed, revoked) in booked_certificates {
        let f = groups.entry(g).or_default();
        f.issued += issued;
        f.renewed += renewed;
        f.revoked += revoked;
    }
    for (g, revoked) in revoked {
        groups.entry(g).or_default().revoked += revoked;
    }
    for (g, d30, d60, d90) in expiring {
        let f = groups.entry(g).or_default();
        for (sum, n) in f.expiring.iter_mut().zip([d30, d60, d90]) {
            *sum += n;
        }
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
