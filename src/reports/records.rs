//! Records of people and enterprises: enterprise compliance (持证合规), 一人一档 and 一企一档.
//! ID numbers are shown masked in every one of them.

use super::{Column, Export, ROWS_AHEAD, Table, Value, col};
use crate::{
    AppState,
    access::{Area, area_covers},
    courses::Course,
    db::Db,
    error::{AppError, AppResult},
    org, with_pool,
};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

fn china_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
        .date_naive()
}

fn certificate_status(revoked: bool, expires_on: NaiveDate, today: NaiveDate) -> &'static str {
    if revoked {
        "已撤销"
    } else if expires_on < today {
        "已过期"
    } else {
        "有效"
    }
}

const COMPLIANCE: &[Column] = &[
    col("enterprise", "企业"),
    col("industry", "行业"),
    col("name", "姓名"),
    col("id_number", "证件号码"),
    col("job_role", "岗位"),
    col("status", "状态"),
    col("certificate", "证书编号"),
    col("expires_on", "有效期至"),
];

type ComplianceRow = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<NaiveDate>,
);

/// The last day a certificate may expire on and still be listed.
fn compliance_horizon(days: i64, today: NaiveDate) -> NaiveDate {
    today
        .checked_add_days(chrono::Days::new(days as u64))
        .unwrap_or(today)
}

/// Who the compliance report lists: staff of an enterprise in `area` who hold no unrevoked
/// certificate of the course valid beyond `horizon` (so theirs is missing, expired or
/// expiring). Asked as "no such certificate exists", which the database answers in one pass
/// over the course's certificates instead of finding each person's latest one.
fn push_listed<DB>(q: &mut sqlx::QueryBuilder<DB>, course_id: i64, horizon: NaiveDate, area: Area)
where
    DB: sqlx::Database,
    i64: sqlx::Encode<'static, DB> + sqlx::Type<DB>,
    NaiveDate: sqlx::Encode<'static, DB> + sqlx::Type<DB>,
{
    q.push(
        " FROM users u JOIN enterprises e ON e.id = u.enterprise_id WHERE NOT EXISTS (\
         SELECT 1 FROM certificates c WHERE c.user_id = u.id AND c.course_id = ",
    )
    .push_bind(course_id)
    .push(" AND c.revoked_at IS NULL AND c.expires_on > ")
    .push_bind(horizon)
    .push(")");
    match area {
        Area::District => {}
        Area::Street(street) => {
            q.push(format_args!(" AND {} = ", org::PERSON_STREET))
                .push_bind(street);
        }
        Area::Enterprise(enterprise) => {
            q.push(" AND u.enterprise_id = ").push_bind(enterprise);
        }
    }
}

/// The listed people in order, each with their latest unrevoked certificate of the course if
/// any: the list is sorted (and paged) first, narrow, and the certificates are looked up for
/// the rows handed over only.
fn push_compliance_rows<DB>(
    q: &mut sqlx::QueryBuilder<DB>,
    course_id: i64,
    horizon: NaiveDate,
    area: Area,
    page: Option<(i64, i64)>,
) where
    DB: sqlx::Database,
    i64: sqlx::Encode<'static, DB> + sqlx::Type<DB>,
    NaiveDate: sqlx::Encode<'static, DB> + sqlx::Type<DB>,
{
    q.push(
        "SELECT l.enterprise, l.industry, l.name, l.id_number_masked, l.job_role, c.number, \
         c.expires_on FROM (SELECT u.id AS user_id, e.name AS enterprise, e.industry, u.name, \
         u.id_number_masked, u.job_role",
    );
    push_listed(q, course_id, horizon, area);
    q.push(" ORDER BY e.name, u.name, u.id");
    if let Some((limit, offset)) = page {
        q.push(" LIMIT ").push_bind(limit);
        q.push(" OFFSET ").push_bind(offset);
    }
    q.push(
        ") l LEFT JOIN certificates c ON c.id = (SELECT c2.id FROM certificates c2 \
         WHERE c2.user_id = l.user_id AND c2.course_id = ",
    )
    .push_bind(course_id)
    .push(
        " AND c2.revoked_at IS NULL ORDER BY c2.expires_on DESC, c2.id DESC LIMIT 1) \
         ORDER BY l.enterprise, l.name, l.user_id",
    );
}

fn compliance_title(course: &Course, days: i64) -> String {
    format!("企业持证情况：{}（{days}天内到期）", course.title)
}

fn compliance_row(
    (ent, industry, name, id, job, number, expires): ComplianceRow,
    today: NaiveDate,
) -> Vec<Value> {
    let status = match expires {
        None => "缺证".to_string(),
        Some(d) if d < today => "已过期".to_string(),
        Some(d) => format!("{}天内到期", (d - today).num_days()),
    };
    vec![
        Value::Text(ent),
        Value::Text(industry),
        Value::Text(name),
        Value::Text(id.unwrap_or_default()),
        Value::Text(job.unwrap_or_default()),
        Value::Text(status),
        Value::Text(number.unwrap_or_default()),
        Value::Date(expires),
    ]
}

/// Enterprise staff whose certificate of `course` is missing, expired, or expires within
/// `days` of today.
pub(super) async fn compliance(
    db: &Db,
    course: &Course,
    days: i64,
    area: Area,
    today: NaiveDate,
) -> AppResult<Table> {
    let horizon = compliance_horizon(days, today);
    let rows: Vec<ComplianceRow> = with_pool!(db, pool => {
        let mut q = sqlx::QueryBuilder::new("");
        push_compliance_rows(&mut q, course.id, horizon, area, None);
        q.build_query_as().fetch_all(pool).await?
    });
    Ok(Table {
        name: "compliance",
        title: compliance_title(course, days),
        columns: COMPLIANCE,
        rows: rows.into_iter().map(|r| compliance_row(r, today)).collect(),
    })
}

/// One page of the same report, in the caller's order, and how many rows it has in all (a
/// district's list is 100,000 rows, most of a second to send as JSON). The count is its own
/// query: counted beside the rows, the database had to keep the whole sorted list, where for a
/// page it keeps only the rows up to the page's end.
pub(super) async fn compliance_page(
    db: &Db,
    course: &Course,
    days: i64,
    area: Area,
    today: NaiveDate,
    (limit, offset): (i64, i64),
) -> AppResult<(Table, i64)> {
    let horizon = compliance_horizon(days, today);
    // The count and the page side by side, each on its own connection.
    let count = async {
        let total: i64 = with_pool!(db, pool => {
            let mut q = sqlx::QueryBuilder::new("SELECT COUNT(*)");
            push_listed(&mut q, course.id, horizon, area);
            q.build_query_scalar().fetch_one(pool).await?
        });
        Ok::<_, sqlx::Error>(total)
    };
    let page = async {
        let rows: Vec<ComplianceRow> = with_pool!(db, pool => {
            let mut q = sqlx::QueryBuilder::new("");
            push_compliance_rows(&mut q, course.id, horizon, area, Some((limit, offset)));
            q.build_query_as().fetch_all(pool).await?
        });
        Ok(rows)
    };
    let (total, rows) = tokio::try_join!(count, page)?;
    let rows = rows.into_iter().map(|r| compliance_row(r, today)).collect();
    let table = Table {
        name: "compliance",
        title: compliance_title(course, days),
        columns: COMPLIANCE,
        rows,
    };
    Ok((table, total))
}

/// The same report for a file, its rows handed over as the database returns them: a
/// district's compliance list is 100,000 rows, and an export must not hold them all.
pub(super) fn compliance_export(
    db: Db,
    course: &Course,
    days: i64,
    area: Area,
    today: NaiveDate,
) -> Export {
    let (course_id, horizon) = (course.id, compliance_horizon(days, today));
    let (rows, out) = tokio::sync::mpsc::channel(ROWS_AHEAD);
    tokio::spawn(async move {
        use tokio_stream::StreamExt;
        let read: Result<(), sqlx::Error> = async {
            with_pool!(&db, pool => {
                let mut q = sqlx::QueryBuilder::new("");
                push_compliance_rows(&mut q, course_id, horizon, area, None);
                let mut fetched = q.build_query_as::<ComplianceRow>().fetch(pool);
                while let Some(row) = fetched.next().await {
                    if rows.send(Ok(compliance_row(row?, today))).await.is_err() {
                        break; // the client went away
                    }
                }
                Ok(())
            })
        }
        .await;
        if let Err(e) = read {
            let _ = rows.send(Err(e.into())).await;
        }
    });
    Export {
        name: "compliance",
        title: compliance_title(course, days),
        columns: COMPLIANCE,
        rows: out,
    }
}

const PERSON: &[Column] = &[
    col("kind", "记录类别"),
    col("date", "日期"),
    col("course", "课程"),
    col("status", "状态"),
    col("score", "得分"),
    col("passed", "是否通过"),
    col("certificate", "证书编号"),
    col("expires_on", "有效期至"),
];

/// 一人一档: every booking with its attempt, then every certificate, of one person in `area`.
pub(super) async fn person(
    state: &AppState,
    user_id: i64,
    area: Area,
    today: NaiveDate,
) -> AppResult<Table> {
    let hidden = || AppError::not_found("user_not_found", "no such user");
    let user = crate::accounts::store::user(&state.db, user_id)
        .await?
        .ok_or_else(hidden)?;
    let enterprise = match user.enterprise_id {
        Some(id) => org::store::enterprise(&state.db, id).await?,
        None => None,
    };
    let street = user
        .street_id
        .or(enterprise.as_ref().and_then(|e| e.street_id));
    if !area_covers(area, street, user.enterprise_id) {
        return Err(hidden());
    }
    type Booking = (
        DateTime<Utc>,
        String,
        String,
        Option<String>,
        Option<f64>,
        Option<f64>,
        Option<bool>,
    );
    let bookings: Vec<Booking> = with_pool!(&state.db, pool => {
        sqlx::query_as(
            "SELECT s.starts_at, co.title, r.status, a.status, a.score, a.max_score, a.passed \
             FROM registrations r JOIN sittings s ON s.id = r.sitting_id JOIN courses co ON co.id = s.course_id \
             LEFT JOIN attempts a ON a.registration_id = r.id WHERE r.user_id = $1 ORDER BY s.starts_at, r.id",
        )
        .bind(user_id).fetch_all(pool).await?
    });
    type Held = (NaiveDate, String, String, NaiveDate, Option<DateTime<Utc>>);
    let certificates: Vec<Held> = with_pool!(&state.db, pool => {
        sqlx::query_as(
            "SELECT c.issued_on, co.title, c.number, c.expires_on, c.revoked_at FROM certificates c \
             JOIN courses co ON co.id = c.course_id WHERE c.user_id = $1 ORDER BY c.issued_on, c.id",
        )
        .bind(user_id).fetch_all(pool).await?
    });
    let mut rows: Vec<Vec<Value>> = bookings
        .into_iter()
        .map(|(starts, course, booking, attempt, score, _max, passed)| {
            let status = match (booking.as_str(), attempt.as_deref()) {
                ("cancelled", _) => "已取消报名",
                (_, Some("graded")) => "已完成考试",
                (_, Some("terminated")) => "考试被终止",
                (_, Some(_)) => "考试中",
                (_, None) if china_date(starts) > today => "已报名",
                (_, None) => "未参加",
            };
            vec![
                Value::text("考试"),
                Value::Date(Some(china_date(starts))),
                Value::Text(course),
                Value::text(status),
                Value::Num(score),
                Value::text(match passed {
                    Some(true) => "通过",
                    Some(false) => "未通过",
                    None => "",
                }),
                Value::text(""),
                Value::Date(None),
            ]
        })
        .collect();
    rows.extend(
        certificates
            .into_iter()
            .map(|(issued, course, number, expires, revoked)| {
                vec![
                    Value::text("证书"),
                    Value::Date(Some(issued)),
                    Value::Text(course),
                    Value::text(certificate_status(revoked.is_some(), expires, today)),
                    Value::Num(None),
                    Value::text(""),
                    Value::Text(number),
                    Value::Date(Some(expires)),
                ]
            }),
    );
    rows.extend(study_rows(state, user_id).await?);
    Ok(Table {
        name: "person-record",
        title: format!(
            "一人一档：{}（{}）",
            user.name,
            user.id_number_masked.unwrap_or_default()
        ),
        columns: PERSON,
        rows,
    })
}

/// The person's online study in 一人一档: each course studied with its 学时 done and asked,
/// their practice, and each mock exam (never an exam: no certificate comes of it).
async fn study_rows(state: &AppState, user_id: i64) -> AppResult<Vec<Vec<Value>>> {
    use crate::study::{hours_left_text, hours_text};
    let mut rows = Vec::new();
    for course in crate::study::store::study_by_course(&state.db, user_id).await? {
        if course.credited_seconds == 0 {
            continue;
        }
        let title = crate::courses::require(state, course.course_id)
            .await?
            .title;
        let status = if course.missing_seconds() == 0 {
            format!("已学完 {} 学时", hours_text(course.required_seconds))
        } else {
            format!(
                "学习中：已学 {} 学时，还差 {} 学时",
                hours_text(course.credited_seconds),
                hours_left_text(course.missing_seconds())
            )
        };
        rows.push(vec![
            Value::text("线上学习"),
            Value::Date(None),
            Value::Text(title),
            Value::Text(status),
            Value::Num(None),
            Value::text(""),
            Value::text(""),
            Value::Date(None),
        ]);
    }
    let (answered, right, last, in_book) =
        crate::practice::store::summary(&state.db, user_id).await?;
    if answered > 0 {
        rows.push(vec![
            Value::text("练习"),
            Value::Date(last.map(china_date)),
            Value::text(""),
            Value::Text(format!(
                "练习 {answered} 题，答对 {right} 题；错题本中 {in_book} 题"
            )),
            Value::Num(None),
            Value::text(""),
            Value::text(""),
            Value::Date(None),
        ]);
    }
    let mut mocks = crate::mock_exam::store::of_user(&state.db, user_id, 50).await?;
    mocks.reverse();
    for mock in mocks {
        let title = crate::courses::require(state, mock.course_id).await?.title;
        rows.push(vec![
            Value::text("模拟考试"),
            Value::Date(Some(china_date(mock.started_at))),
            Value::Text(title),
            Value::text(if mock.finished_at.is_some() {
                "已交卷"
            } else {
                "进行中"
            }),
            Value::Num(mock.score),
            Value::text(match mock.passed {
                Some(true) => "达到合格线",
                Some(false) => "未达到合格线",
                None => "",
            }),
            Value::text(""),
            Value::Date(None),
        ]);
    }
    Ok(rows)
}

const ENTERPRISE: &[Column] = &[
    col("name", "姓名"),
    col("id_number", "证件号码"),
    col("job_role", "岗位"),
    col("bookings", "报名次数"),
    col("attempts", "参考次数"),
    col("passed", "通过次数"),
    col("certificate", "最近证书编号"),
    col("expires_on", "有效期至"),
    col("certificate_status", "证书状态"),
    col("study_hours_this_year", "本年完成学时"),
];

/// 一企一档: each staff member of one enterprise in `area`, with their training and latest
/// certificate.
pub(super) async fn enterprise(
    state: &AppState,
    enterprise_id: i64,
    area: Area,
    today: NaiveDate,
) -> AppResult<Table> {
    let hidden = || AppError::not_found("enterprise_not_found", "no such enterprise");
    let ent = org::store::enterprise(&state.db, enterprise_id)
        .await?
        .ok_or_else(hidden)?;
    if !area_covers(area, ent.street_id, Some(ent.id)) {
        return Err(hidden());
    }
    type Row = (
        String,
        Option<String>,
        Option<String>,
        i64,
        i64,
        i64,
        Option<String>,
        Option<NaiveDate>,
        Option<DateTime<Utc>>,
        i64,
    );
    // 学时 count on the day a lesson is studied in full (`reports::study`).
    let year_start = super::study::china_start(
        NaiveDate::from_ymd_opt(chrono::Datelike::year(&today), 1, 1).expect("Jan 1"),
    );
    let rows: Vec<Row> = with_pool!(&state.db, pool => {
        sqlx::query_as(
            "SELECT u.name, u.id_number_masked, u.job_role, \
             (SELECT COUNT(*) FROM registrations r WHERE r.user_id = u.id AND r.status = 'booked'), \
             (SELECT COUNT(*) FROM attempts a WHERE a.user_id = u.id), \
             (SELECT COUNT(*) FROM attempts a WHERE a.user_id = u.id AND a.passed), \
             c.number, c.expires_on, c.revoked_at, \
             (SELECT CAST(COALESCE(SUM(l.required_seconds), 0) AS BIGINT) FROM lesson_progress lp \
               JOIN lessons l ON l.id = lp.lesson_id WHERE lp.user_id = u.id AND lp.completed_at >= $2) \
             FROM users u LEFT JOIN certificates c ON c.id = (SELECT c2.id FROM certificates c2 \
               WHERE c2.user_id = u.id ORDER BY c2.issued_on DESC, c2.id DESC LIMIT 1) \
             WHERE u.enterprise_id = $1 ORDER BY u.name, u.id",
        )
        .bind(enterprise_id).bind(year_start).fetch_all(pool).await?
    });
    Ok(Table {
        name: "enterprise-record",
        title: format!("一企一档：{}（{}）", ent.name, ent.credit_code),
        columns: ENTERPRISE,
        rows: rows
            .into_iter()
            .map(
                |(name, id, job, bookings, attempts, passed, number, expires, revoked, studied)| {
                    vec![
                        Value::Text(name),
                        Value::Text(id.unwrap_or_default()),
                        Value::Text(job.unwrap_or_default()),
                        Value::Int(bookings),
                        Value::Int(attempts),
                        Value::Int(passed),
                        Value::Text(number.unwrap_or_default()),
                        Value::Date(expires),
                        Value::text(match expires {
                            Some(d) => certificate_status(revoked.is_some(), d, today),
                            None => "无证书",
                        }),
                        Value::Num(Some(super::study::study_hours(studied))),
                    ]
                },
            )
            .collect(),
    })
}
