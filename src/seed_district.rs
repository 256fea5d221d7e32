//! `safecert seed-district`: a district-sized data set for measuring the reports: 11
//! streets, 30,000 enterprises, 200,000 people, five years of sittings, 300,000 graded
//! attempts with their answers, the certificates they earned (renewals and a few
//! revocations among them), and the question statistics grading would have kept. Written in
//! bulk with explicit ids. The people have no password and the attempts no paper: the set
//! is for reports, not for logging in or reviewing. Never for production (`cli` refuses it
//! there unless told otherwise).

use crate::{
    AppState,
    courses::{Course, CourseCategory},
    db::Db,
    domain::{IdDocument, IdType},
    error::{AppError, AppResult},
    paper::Rng,
    question_stats, with_pool, with_writer,
};
use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, TimeZone, Utc};
use std::collections::{HashMap, HashSet};

/// How big a district to make; `scale` multiplies every count but the streets.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    pub streets: usize,
    pub enterprises: usize,
    pub people: usize,
    pub years: i32,
    pub attempts: usize,
    pub answers_per_attempt: usize,
}

impl Scale {
    pub fn district(scale: f64) -> Self {
        let n = |x: f64| ((x * scale).round() as usize).max(1);
        Scale {
            streets: 11,
            enterprises: n(30_000.0),
            people: n(200_000.0),
            years: 5,
            attempts: n(300_000.0),
            answers_per_attempt: 50,
        }
    }
}

#[derive(Debug, Default)]
pub struct Seeded {
    pub streets: usize,
    pub enterprises: usize,
    pub people: usize,
    pub sittings: usize,
    pub registrations: usize,
    pub attempts: usize,
    pub answers: usize,
    pub certificates: usize,
}

const STREETS: [&str; 11] = [
    "新安街道",
    "西乡街道",
    "航城街道",
    "福永街道",
    "福海街道",
    "沙井街道",
    "新桥街道",
    "松岗街道",
    "燕罗街道",
    "石岩街道",
    "海湾街道",
];
const INDUSTRIES: [&str; 8] = [
    "电镀",
    "锂电池",
    "粉尘涉爆",
    "危险化学品",
    "涉氨制冷",
    "有限空间作业",
    "建筑施工",
    "商贸",
];
const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘";
const GIVEN: &str = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红燕辉鹏斌宇浩凯";

/// Rows per INSERT: under SQLite's and PostgreSQL's limits on bound values at 17 columns.
const BATCH: usize = 1000;

/// Inserts `rows` in batches of [`BATCH`], each pushed by `$push`.
macro_rules! bulk {
    ($db:expr, $head:expr, $rows:expr, |$b:ident, $r:ident| $push:expr) => {
        for chunk in $rows.chunks(BATCH) {
            with_writer!($db, pool => {
                let mut q = sqlx::QueryBuilder::new($head);
                q.push_values(chunk, |mut $b, $r| { $push; });
                q.build().execute(pool).await.map_err(AppError::from)?;
            });
        }
    };
}

async fn next_id(db: &Db, table: &str) -> AppResult<i64> {
    let sql = format!("SELECT COALESCE(MAX(id), 0) + 1 FROM {table}");
    Ok(with_pool!(db, pool => {
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql)).fetch_one(pool).await?
    }))
}

/// PostgreSQL's identity sequences do not see explicit ids: move each past the seeded ones.
async fn resync_sequences(db: &Db) -> AppResult<()> {
    if let Db::Postgres(pool) = db {
        for table in [
            "streets",
            "enterprises",
            "users",
            "sittings",
            "registrations",
            "attempts",
            "certificates",
        ] {
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(pool).await?;
        }
    }
    Ok(())
}

/// A valid GB 32100 code numbered by `n`.
fn credit_code(n: i64) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let mut body = String::from("91440306");
    let mut rest = n as u64;
    let mut digits = Vec::new();
    for _ in 0..9 {
        digits.push(ALPHABET[(rest % 31) as usize] as char);
        rest /= 31;
    }
    body.extend(digits.iter().rev());
    let check = crate::domain::gb32100_check(&body).expect("17 characters of the alphabet");
    body.push(check);
    body
}

/// A valid resident ID number (GB 11643) numbered by `n`: unique for n under 15 million.
fn resident_id(n: i64) -> String {
    let born = NaiveDate::from_ymd_opt(1960, 1, 1).expect("a date") + Duration::days(n % 15_000);
    let first17 = format!("440306{}{:03}", born.format("%Y%m%d"), (n / 15_000) % 1000);
    let check = crate::domain::gb11643_check(&first17).expect("17 digits");
    format!("{first17}{check}")
}

fn pick<'a, T>(rng: &mut Rng, items: &'a [T]) -> &'a T {
    &items[(rng.next_u64() % items.len() as u64) as usize]
}

fn chance(rng: &mut Rng, p: f64) -> bool {
    (rng.next_u64() % 1_000_000) as f64 / 1_000_000.0 < p
}

fn name(rng: &mut Rng) -> String {
    let s: Vec<char> = SURNAMES.chars().collect();
    let g: Vec<char> = GIVEN.chars().collect();
    let mut n = String::new();
    n.push(*pick(rng, &s));
    n.push(*pick(rng, &g));
    if chance(rng, 0.6) {
        n.push(*pick(rng, &g));
    }
    n
}

struct Person {
    id: i64,
    name: String,
    masked: String,
    enterprise: Option<i64>,
}

pub async fn seed(state: &AppState, scale: Scale) -> AppResult<Seeded> {
    let db = &state.db;
    let mut rng = Rng::new(0x5EED_D157);
    let now = Utc::now();
    let mut out = Seeded::default();

    // Streets.
    let first_street = next_id(db, "streets").await?;
    let streets: Vec<(i64, String, f64, i64)> = (0..scale.streets)
        .map(|i| {
            let id = first_street + i as i64;
            let name = match first_street {
                1 => STREETS[i % STREETS.len()].to_string(),
                _ => format!("{}{}", STREETS[i % STREETS.len()], id),
            };
            (
                id,
                name,
                8.0 + (i as f64 * 3.7) % 40.0,
                60_000 + (i as i64 * 37_000) % 250_000,
            )
        })
        .collect();
    bulk!(
        db,
        "INSERT INTO streets (id, name, area_km2, population, created_at) ",
        streets,
        |b, s| b
            .push_bind(s.0)
            .push_bind(&s.1)
            .push_bind(s.2)
            .push_bind(s.3)
            .push_bind(now)
    );
    out.streets = streets.len();

    // Enterprises.
    let first_enterprise = next_id(db, "enterprises").await?;
    let enterprises: Vec<(i64, String, String, &str, i64)> = (0..scale.enterprises)
        .map(|i| {
            let id = first_enterprise + i as i64;
            (
                id,
                format!("示范企业{id:06}有限公司"),
                credit_code(id),
                *pick(&mut rng, &INDUSTRIES),
                pick(&mut rng, &streets).0,
            )
        })
        .collect();
    bulk!(
        db,
        "INSERT INTO enterprises (id, name, credit_code, industry, street_id, created_at) ",
        enterprises,
        |b, e| b
            .push_bind(e.0)
            .push_bind(&e.1)
            .push_bind(&e.2)
            .push_bind(e.3)
            .push_bind(e.4)
            .push_bind(now)
    );
    out.enterprises = enterprises.len();

    // People: three in five work for an enterprise; the rest give their street.
    let first_person = next_id(db, "users").await?;
    let mut people = Vec::with_capacity(scale.people);
    for chunk_start in (0..scale.people).step_by(BATCH * 10) {
        let mut rows = Vec::new();
        for i in chunk_start..(chunk_start + BATCH * 10).min(scale.people) {
            let id = first_person + i as i64;
            let doc = IdDocument::parse(IdType::ResidentId, &resident_id(id))
                .map_err(|e| AppError::Internal(anyhow::anyhow!("seed ID number: {e:?}")))?;
            let sealed = state.vault.seal(&doc);
            let enterprise = chance(&mut rng, 0.6).then(|| pick(&mut rng, &enterprises).0);
            let street = match enterprise {
                Some(_) => None,
                None => Some(pick(&mut rng, &streets).0),
            };
            let person = Person {
                id,
                name: name(&mut rng),
                masked: sealed.masked.clone(),
                enterprise,
            };
            rows.push((
                person.id,
                person.name.clone(),
                format!("199{id:08}"),
                sealed,
                enterprise,
                street,
            ));
            people.push(person);
        }
        bulk!(
            db,
            "INSERT INTO users (id, name, phone, id_type, id_number_cipher, id_number_hash, id_number_masked, \
                   enterprise_id, street_id, job_role, created_at) ",
            rows,
            |b, r| b
                .push_bind(r.0)
                .push_bind(&r.1)
                .push_bind(&r.2)
                .push_bind("resident_id")
                .push_bind(&r.3.cipher)
                .push_bind(&r.3.lookup_hash)
                .push_bind(&r.3.masked)
                .push_bind(r.4)
                .push_bind(r.5)
                .push_bind(r.4.map(|_| "安全管理人员"))
                .push_bind(now)
        );
        bulk!(
            db,
            "INSERT INTO user_roles (user_id, role) ",
            rows,
            |b, r| b.push_bind(r.0).push_bind("candidate")
        );
    }
    out.people = people.len();

    // Courses: the shipped first-responder and safety courses, and the re-education ones.
    let (courses, _) = crate::courses::store::list(db, 1000, 0).await?;
    let examined: Vec<&Course> = courses
        .iter()
        .filter(|c| {
            matches!(
                c.category,
                CourseCategory::FirstResponder | CourseCategory::SafetyManager
            )
        })
        .collect();
    if examined.is_empty() {
        return Err(AppError::conflict(
            "no_courses",
            None,
            "seed-district needs the shipped courses: start with SHIPPED_BANKS on",
        ));
    }
    let versions: Vec<(i64, Vec<String>, Vec<String>)> =
        crate::question_bank::store::active_questions(db)
            .await?
            .into_iter()
            .map(|q| {
                let keys = q.content.options.iter().map(|o| o.key.clone()).collect();
                (q.version_id, q.content.answer, keys)
            })
            .collect();

    // Sittings: one per course and month over the years, mid-month, closed long since.
    let this_year = crate::certificates::today().year();
    let first_sitting = next_id(db, "sittings").await?;
    let mut sittings: Vec<(i64, &Course, DateTime<Utc>)> = Vec::new();
    for year in (this_year - scale.years + 1)..=this_year {
        for month in 1..=12u32 {
            let starts = Utc
                .with_ymd_and_hms(year, month, 15, 1, 0, 0)
                .single()
                .expect("a time");
            if starts > now - Duration::days(2) {
                continue;
            }
            for course in &examined {
                sittings.push((first_sitting + sittings.len() as i64, course, starts));
            }
        }
    }
    bulk!(
        db,
        "INSERT INTO sittings (id, course_id, starts_at, ends_at, capacity, seats_taken, venue_kind, venue_name, \
               registration_opens_at, registration_closes_at, created_at) ",
        sittings,
        |b, s| b
            .push_bind(s.0)
            .push_bind(s.1.id)
            .push_bind(s.2)
            .push_bind(s.2 + Duration::hours(3))
            .push_bind(100_000i64)
            .push_bind(0i64)
            .push_bind("station")
            .push_bind("区应急管理局考点")
            .push_bind(s.2 - Duration::days(30))
            .push_bind(s.2 - Duration::hours(2))
            .push_bind(s.2 - Duration::days(30))
    );
    out.sittings = sittings.len();

    // Registrations, attempts, answers and certificates, a thousand attempts at a time.
    let mut registration_id = next_id(db, "registrations").await?;
    let mut attempt_id = next_id(db, "attempts").await?;
    let mut certificate_id = next_id(db, "certificates").await?;
    let mut booked: HashSet<(i64, i64)> = HashSet::new();
    let mut band_counts: HashMap<(i64, i64), (i64, i64)> = HashMap::new();
    let mut option_counts: HashMap<(i64, String), i64> = HashMap::new();
    let mut made = 0;
    while made < scale.attempts {
        let mut registrations = Vec::new();
        let mut attempts = Vec::new();
        let mut answers = Vec::new();
        let mut certificates = Vec::new();
        while attempts.len() < BATCH && made + attempts.len() < scale.attempts {
            let person = pick(&mut rng, &people);
            let (sitting, course, starts) = *pick(&mut rng, &sittings);
            if !booked.insert((sitting, person.id)) {
                continue;
            }
            let rid = registration_id;
            registration_id += 1;
            registrations.push((
                rid,
                sitting,
                person.id,
                person.enterprise,
                format!("{:016x}{rid:x}", rng.next_u64()),
            ));
            // One booking in ten is a no-show.
            if chance(&mut rng, 0.1) {
                continue;
            }
            let aid = attempt_id;
            attempt_id += 1;
            let skill = 0.7 + (rng.next_u64() % 30) as f64 / 100.0;
            let mut right = 0;
            for position in 1..=scale.answers_per_attempt {
                let (version, key, keys) = pick(&mut rng, &versions);
                let correct = chance(&mut rng, skill);
                let choice = if correct {
                    key.clone()
                } else {
                    vec![
                        keys.iter()
                            .find(|k| !key.contains(k))
                            .cloned()
                            .unwrap_or_default(),
                    ]
                };
                right += usize::from(correct);
                answers.push((aid, position as i64, *version, choice, correct));
            }
            let max = scale.answers_per_attempt as f64;
            let score = right as f64;
            let passed = score * 100.0 / max >= course.pass_mark;
            let band = question_stats::band(score, max);
            for (_, _, version, choice, correct) in
                answers.iter().rev().take(scale.answers_per_attempt)
            {
                let e = band_counts.entry((*version, band)).or_default();
                e.0 += 1;
                e.1 += i64::from(*correct);
                for k in choice {
                    *option_counts.entry((*version, k.clone())).or_default() += 1;
                }
            }
            let finished = starts + Duration::minutes(40 + (rng.next_u64() % 50) as i64);
            attempts.push((
                aid, rid, sitting, person.id, course.id, starts, finished, score, max, passed,
            ));
            if passed {
                let cid = certificate_id;
                certificate_id += 1;
                let (target, kind) = match course.renews_course_id {
                    Some(renewed) => (renewed, "renewal"),
                    None => (course.id, "initial"),
                };
                let issued = finished.date_naive() + Duration::days(3);
                let expires = issued
                    .checked_add_months(Months::new(course.validity_months as u32))
                    .unwrap_or(issued);
                let revoked = chance(&mut rng, 0.005).then_some(finished + Duration::days(30));
                certificates.push((
                    cid,
                    target,
                    person,
                    rid,
                    aid,
                    finished.date_naive(),
                    issued,
                    expires,
                    revoked,
                    kind,
                    format!("{:016x}{cid:x}", rng.next_u64()),
                ));
            }
        }
        bulk!(
            db,
            "INSERT INTO registrations (id, sitting_id, user_id, seat, status, enterprise_id, booked_by, check_code, created_at) ",
            registrations,
            |b, r| b
                .push_bind(r.0)
                .push_bind(r.1)
                .push_bind(r.2)
                .push_bind(r.0)
                .push_bind("booked")
                .push_bind(r.3)
                .push_bind(r.2)
                .push_bind(&r.4)
                .push_bind(now)
        );
        bulk!(
            db,
            "INSERT INTO attempts (id, registration_id, sitting_id, user_id, course_id, status, started_at, deadline, \
                   finished_at, score, max_score, passed) ",
            attempts,
            |b, a| b
                .push_bind(a.0)
                .push_bind(a.1)
                .push_bind(a.2)
                .push_bind(a.3)
                .push_bind(a.4)
                .push_bind("graded")
                .push_bind(a.5)
                .push_bind(a.5 + Duration::minutes(90))
                .push_bind(a.6)
                .push_bind(a.7)
                .push_bind(a.8)
                .push_bind(a.9)
        );
        bulk!(
            db,
            "INSERT INTO attempt_answers (attempt_id, position, question_version_id, choice, seq, correct, awarded) ",
            answers,
            |b, a| b
                .push_bind(a.0)
                .push_bind(a.1)
                .push_bind(a.2)
                .push_bind(a.3.join(","))
                .push_bind(1i64)
                .push_bind(a.4)
                .push_bind(if a.4 { 1.0 } else { 0.0 })
        );
        bulk!(
            db,
            "INSERT INTO certificates (id, number, verify_code, user_id, course_id, registration_id, attempt_id, holder_name, \
                   id_number_masked, exam_date, issued_on, expires_on, revoked_at, revoke_reason, kind, created_at) ",
            certificates,
            |b, c| b
                .push_bind(c.0)
                .push_bind(format!("SEED-{}-{:07}", c.1, c.0))
                .push_bind(&c.10)
                .push_bind(c.2.id)
                .push_bind(c.1)
                .push_bind(c.3)
                .push_bind(c.4)
                .push_bind(&c.2.name)
                .push_bind(&c.2.masked)
                .push_bind(c.5)
                .push_bind(c.6)
                .push_bind(c.7)
                .push_bind(c.8)
                .push_bind(c.8.map(|_| "考试违纪"))
                .push_bind(c.9)
                .push_bind(now)
        );
        made += attempts.len();
        out.registrations += registrations.len();
        out.attempts += attempts.len();
        out.answers += answers.len();
        out.certificates += certificates.len();
    }

    // The statistics grading keeps, for the seeded answers.
    let bands: Vec<((i64, i64), (i64, i64))> = band_counts.into_iter().collect();
    let options: Vec<((i64, String), i64)> = option_counts.into_iter().collect();
    with_writer!(db, pool => {
        for chunk in bands.chunks(BATCH) {
            let mut q = sqlx::QueryBuilder::new("INSERT INTO question_stats (question_version_id, band, used, correct) ");
            q.push_values(chunk, |mut b, r| { b.push_bind(r.0.0).push_bind(r.0.1).push_bind(r.1.0).push_bind(r.1.1); });
            q.push(" ON CONFLICT (question_version_id, band) DO UPDATE SET used = question_stats.used + excluded.used, \
                    correct = question_stats.correct + excluded.correct");
            q.build().execute(pool).await.map_err(AppError::from)?;
        }
        for chunk in options.chunks(BATCH) {
            let mut q = sqlx::QueryBuilder::new("INSERT INTO question_option_counts (question_version_id, option_key, chosen) ");
            q.push_values(chunk, |mut b, r| { b.push_bind(r.0.0).push_bind(&r.0.1).push_bind(r.1); });
            q.push(" ON CONFLICT (question_version_id, option_key) DO UPDATE SET chosen = question_option_counts.chosen + excluded.chosen");
            q.build().execute(pool).await.map_err(AppError::from)?;
        }
    });
    // Which attempts were first tries, as grading records it.
    with_writer!(db, pool => {
        sqlx::query(
            "UPDATE attempts SET first_try = NOT EXISTS (SELECT 1 FROM attempts p WHERE p.user_id = attempts.user_id \
             AND p.course_id = attempts.course_id AND p.started_at < attempts.started_at) WHERE first_try IS NULL",
        )
        .execute(pool).await.map_err(AppError::from)?;
    });
    resync_sequences(db).await?;
    // What is over goes into the report books, as the server's own job would do.
    crate::reports::books::close(db, now, crate::certificates::today()).await?;
    // Fresh statistics for the planner after a bulk load.
    with_pool!(db, pool => { sqlx::query("ANALYZE").execute(pool).await.map_err(AppError::from)?; });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_pass_their_own_checks() {
        for n in [1, 2, 31, 30_000, 14_999_999] {
            crate::domain::CreditCode::parse(&credit_code(n)).expect("a valid credit code");
            IdDocument::parse(IdType::ResidentId, &resident_id(n)).expect("a valid ID number");
        }
        assert_ne!(resident_id(1), resident_id(15_001));
        assert_ne!(credit_code(1), credit_code(32));
    }
}
