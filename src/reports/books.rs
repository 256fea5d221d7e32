//! The books (账簿) the activity report reads for what is over: a sitting whose window has
//! passed and whose attempts are all graded cannot change, nor can a day that has ended, so
//! each is summed once (per street and enterprise, as they stood then) and the report reads a
//! few thousand sums instead of every booking, attempt and certificate of five years. What is
//! not closed yet (today, sittings still running) the report counts from the rows as before.
//! Closing runs in the background (`run`) and after `seed-district`.

use super::is_postgres;
use crate::{AppState, db::Db, error::AppResult, org, with_pool, with_writer};
use chrono::{DateTime, Duration, NaiveDate, Utc};

/// How long after its window a sitting waits before it is closed: late submits and the
/// sweeper's grading land first.
const SITTING_GRACE_MINUTES: i64 = 60;

/// The last day whose certificates are in `certificate_facts`.
pub async fn certificates_closed_through(db: &Db) -> AppResult<Option<NaiveDate>> {
    Ok(with_pool!(db, pool => {
        sqlx::query_scalar::<_, NaiveDate>(
            "SELECT closed_through FROM report_books WHERE name = 'certificates'",
        )
        .fetch_optional(pool).await?
    }))
}

/// Closes every sitting and day that is over at `now` (China dates by `today`). Returns how
/// many sittings and days it closed.
pub async fn close(db: &Db, now: DateTime<Utc>, today: NaiveDate) -> AppResult<(u64, i64)> {
    let sittings = close_sittings(db, now - Duration::minutes(SITTING_GRACE_MINUTES)).await?;
    let days = close_days(db, today).await?;
    Ok((sittings, days))
}

async fn close_sittings(db: &Db, ended_before: DateTime<Utc>) -> AppResult<u64> {
    let stamp = Utc::now();
    let facts = format!(
        "INSERT INTO sitting_facts (sitting_id, street_id, enterprise_id, registrations, attempts, finished, \
         passed, first_finished, first_passed, score_pct_sum) \
         SELECT r.sitting_id, {street}, u.enterprise_id, COUNT(*), \
         COALESCE(SUM(CASE WHEN a.id IS NOT NULL THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN a.status IN ('graded', 'terminated') THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN a.passed THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN a.status IN ('graded', 'terminated') AND a.first_try THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN a.passed AND a.first_try THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN a.status IN ('graded', 'terminated') THEN a.score * 100.0 / a.max_score END), 0.0) \
         FROM registrations r JOIN users u ON u.id = r.user_id {join} \
         LEFT JOIN attempts a ON a.registration_id = r.id \
         WHERE r.status = 'booked' AND r.sitting_id IN (SELECT sitting_id FROM closed_sittings WHERE closed_at = $1) \
         GROUP BY r.sitting_id, {street}, u.enterprise_id",
        street = org::PERSON_STREET,
        join = org::PERSON_ENTERPRISE_JOIN,
    );
    let closed = with_writer!(db, pool => {
        let mut tx = pool.begin().await?;
        let closed = sqlx::query(
            "INSERT INTO closed_sittings (sitting_id, closed_at) SELECT s.id, $1 FROM sittings s \
             WHERE s.ends_at < $2 AND NOT EXISTS (SELECT 1 FROM closed_sittings c WHERE c.sitting_id = s.id) \
             AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.sitting_id = s.id AND a.status = 'in_progress')",
        )
        .bind(stamp).bind(ended_before).execute(&mut *tx).await?.rows_affected();
        if closed > 0 {
            sqlx::query(sqlx::AssertSqlSafe(facts)).bind(stamp).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        closed
    });
    Ok(closed)
}

async fn close_days(db: &Db, today: NaiveDate) -> AppResult<i64> {
    let through = today - Duration::days(1);
    let last = certificates_closed_through(db).await?;
    let from = match last {
        Some(last) if last >= through => return Ok(0),
        Some(last) => last + Duration::days(1),
        None => NaiveDate::from_ymd_opt(1970, 1, 1).expect("a date"),
    };
    let revoke_day = if is_postgres(db) {
        "(c.revoked_at AT TIME ZONE 'Asia/Shanghai')::date"
    } else {
        "date(c.revoked_at, '+8 hours')"
    };
    let issued = format!(
        "INSERT INTO certificate_facts (day, course_id, street_id, enterprise_id, issued, renewed, revoked) \
         SELECT c.issued_on, c.course_id, {street}, u.enterprise_id, \
         COALESCE(SUM(CASE WHEN c.kind = 'initial' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN c.kind = 'renewal' THEN 1 ELSE 0 END), 0), 0 \
         FROM certificates c JOIN users u ON u.id = c.user_id {join} \
         WHERE c.issued_on >= $1 AND c.issued_on <= $2 \
         GROUP BY c.issued_on, c.course_id, {street}, u.enterprise_id",
        street = org::PERSON_STREET,
        join = org::PERSON_ENTERPRISE_JOIN,
    );
    let revoked = format!(
        "INSERT INTO certificate_facts (day, course_id, street_id, enterprise_id, issued, renewed, revoked) \
         SELECT {revoke_day}, c.course_id, {street}, u.enterprise_id, 0, 0, COUNT(*) \
         FROM certificates c JOIN users u ON u.id = c.user_id {join} \
         WHERE c.revoked_at IS NOT NULL AND {revoke_day} >= $1 AND {revoke_day} <= $2 AND NOT {counts} \
         GROUP BY {revoke_day}, c.course_id, {street}, u.enterprise_id",
        street = org::PERSON_STREET,
        join = org::PERSON_ENTERPRISE_JOIN,
        counts = crate::certificates::store::COUNTS,
    );
    with_writer!(db, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query(sqlx::AssertSqlSafe(issued)).bind(from).bind(through).execute(&mut *tx).await?;
        sqlx::query(sqlx::AssertSqlSafe(revoked)).bind(from).bind(through).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO report_books (name, closed_through) VALUES ('certificates', $1) \
             ON CONFLICT (name) DO UPDATE SET closed_through = excluded.closed_through",
        )
        .bind(through).execute(&mut *tx).await?;
        tx.commit().await?;
    });
    Ok((through - from).num_days() + 1)
}

/// Closes the books every few minutes.
pub async fn run(
    state: AppState,
    every: std::time::Duration,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        match close(&state.db, Utc::now(), crate::certificates::today()).await {
            Ok((0, 0)) => {}
            Ok((sittings, days)) => tracing::info!(sittings, days, "report books closed"),
            Err(e) => tracing::warn!(error = %e, "report books not closed"),
        }
        if crate::background::stop_after(every, &mut shutdown).await {
            return;
        }
    }
}
