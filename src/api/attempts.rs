//! The live exam over HTTP: start or resume, save answers, submit, results, and the
//! proctor's roster and controls. Answer keys never appear in a candidate's view of a
//! running attempt.

use crate::{
    AppState,
    api::{
        ApiTags,
        error::ApiResult,
        rendered::RenderedJson,
        security::{BearerAuth, ProctorAuth},
    },
    error::{AppError, AppResult},
    exam::{self, Attempt, AttemptStatus, LiveView, grading::Subtotal},
    question_bank::content::{ChoiceOption, QuestionKind},
};
use chrono::{DateTime, Utc};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Header, Path},
    payload::Json,
};
use serde::Serialize;
use serde_json::value::RawValue;

pub struct AttemptsApi {
    pub state: AppState,
}

/// A question as the candidate sees it: no key, no explanation.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CandidateQuestion {
    pub position: u32,
    pub kind: QuestionKind,
    pub stem: String,
    pub options: Vec<ChoiceOption>,
    pub points: f64,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AnswerView {
    pub position: u32,
    pub choice: Vec<String>,
    pub seq: i64,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AttemptView {
    pub id: i64,
    pub status: AttemptStatus,
    pub sitting_id: i64,
    pub started_at: DateTime<Utc>,
    /// The server's deadline; saves after it are refused.
    pub deadline: DateTime<Utc>,
    pub remaining_seconds: i64,
    /// Names this paper. Send it back as `If-None-Match` on a resume or reload and the reply
    /// leaves `questions` out: the page already holds them.
    pub paper_etag: String,
    /// The paper; absent when the request's `If-None-Match` named this `paper_etag`.
    pub questions: Option<Vec<CandidateQuestion>>,
    pub answers: Vec<AnswerView>,
}

/// The papers an `If-None-Match` header names: its tags, quoted or not, weak or not.
fn held_papers(if_none_match: Option<&str>) -> Vec<String> {
    if_none_match
        .map(|header| {
            header
                .split(',')
                .map(|tag| {
                    let tag = tag.trim();
                    tag.strip_prefix("W/")
                        .unwrap_or(tag)
                        .trim_matches('"')
                        .to_string()
                })
                .filter(|tag| !tag.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// Renders the `AttemptView` of a start or reload around its pre-rendered questions (see
/// `rendered`); `attempt_view_matches_the_schema_rendering` holds it to `AttemptView`.
fn render_attempt(v: &LiveView, now: DateTime<Utc>) -> AppResult<Vec<u8>> {
    #[derive(Serialize)]
    struct Answer<'a> {
        position: u32,
        choice: &'a [String],
        seq: i64,
    }
    #[derive(Serialize)]
    struct View<'a> {
        id: i64,
        status: AttemptStatus,
        sitting_id: i64,
        started_at: String,
        deadline: String,
        remaining_seconds: i64,
        paper_etag: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        questions: Option<&'a RawValue>,
        answers: Vec<Answer<'a>>,
    }
    let questions: Option<&RawValue> = match &v.questions_json {
        None => None,
        Some(json) => Some(
            serde_json::from_str(json)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("paper view unreadable: {e}")))?,
        ),
    };
    let a = &v.attempt;
    let view = View {
        id: a.id,
        status: a.status,
        sitting_id: a.sitting_id,
        started_at: a.started_at.to_rfc3339(),
        deadline: a.deadline.to_rfc3339(),
        remaining_seconds: if a.status == AttemptStatus::InProgress {
            (a.deadline - now).num_seconds().max(0)
        } else {
            0
        },
        paper_etag: &v.paper_etag,
        questions,
        answers: v
            .answers
            .iter()
            .map(|(&position, a)| Answer {
                position,
                choice: &a.choice,
                seq: a.seq,
            })
            .collect(),
    };
    let paper_len = v.questions_json.as_ref().map_or(0, String::len);
    let mut body = Vec::with_capacity(paper_len + 256 + 48 * v.answers.len());
    serde_json::to_writer(&mut body, &view).expect("attempt view serialises");
    Ok(body)
}

#[derive(ApiResponse)]
pub enum StartResponse {
    /// A new attempt.
    #[oai(status = 201)]
    Started(RenderedJson<AttemptView>),
    /// The attempt already running (or finished): resumed.
    #[oai(status = 200)]
    Resumed(RenderedJson<AttemptView>),
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SaveAnswerRequest {
    /// Option keys, e.g. `["B"]`, `["A","C"]`, `["T"]`; `[]` clears the answer.
    pub choice: Vec<String>,
    /// The client's sequence number for this question; a lower or equal one changes nothing.
    pub seq: i64,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct OfflineAnswer {
    pub position: u32,
    pub choice: Vec<String>,
    pub seq: i64,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SubmitRequest {
    /// What the page kept while offline; merged by `seq` if the submit arrives in time.
    #[oai(default)]
    pub answers: Vec<OfflineAnswer>,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SubtotalView {
    pub title: String,
    pub score: f64,
    pub max_score: f64,
}

impl From<Subtotal> for SubtotalView {
    fn from(s: Subtotal) -> Self {
        Self {
            title: s.title,
            score: s.score,
            max_score: s.max_score,
        }
    }
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct GradedQuestion {
    pub position: u32,
    pub choice: Vec<String>,
    pub correct: bool,
    pub awarded: f64,
    pub key: Vec<String>,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ResultView {
    pub id: i64,
    pub status: AttemptStatus,
    pub score: f64,
    pub max_score: f64,
    pub passed: bool,
    pub finished_at: Option<DateTime<Utc>>,
    pub sections: Vec<SubtotalView>,
    pub tags: Vec<SubtotalView>,
    pub terminated_reason: Option<String>,
    /// Per question with the key: for the bureau and proctors, and for the candidate as the
    /// course's `review_after` allows.
    #[oai(skip_serializing_if_is_none)]
    pub questions: Option<Vec<GradedQuestion>>,
}

fn result_view(a: &Attempt) -> ResultView {
    let summary = a.summary.clone();
    ResultView {
        id: a.id,
        status: a.status,
        score: a.score.unwrap_or(0.0),
        max_score: a.max_score,
        passed: a.passed.unwrap_or(false),
        finished_at: a.finished_at,
        sections: summary
            .as_ref()
            .map(|s| s.sections.iter().cloned().map(Into::into).collect())
            .unwrap_or_default(),
        tags: summary
            .map(|s| s.tags.into_iter().map(Into::into).collect())
            .unwrap_or_default(),
        terminated_reason: a.terminated_reason.clone(),
        questions: None,
    }
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ExtendRequest {
    #[oai(validator(minimum(value = "1"), maximum(value = "240")))]
    pub minutes: i64,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct TerminateRequest {
    #[oai(validator(max_length = 500, pattern = r"\S"))]
    pub reason: String,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ProctorAttemptView {
    pub id: i64,
    pub status: AttemptStatus,
    pub deadline: DateTime<Utc>,
    pub remaining_seconds: i64,
    pub extended_minutes: i64,
}

fn proctor_view(a: &Attempt) -> ProctorAttemptView {
    ProctorAttemptView {
        id: a.id,
        status: a.status,
        deadline: a.deadline,
        remaining_seconds: if a.status == AttemptStatus::InProgress {
            (a.deadline - Utc::now()).num_seconds().max(0)
        } else {
            0
        },
        extended_minutes: a.extended_minutes,
    }
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct LiveRow {
    pub attempt_id: i64,
    pub user_id: i64,
    pub name: String,
    pub status: AttemptStatus,
    pub answered: u64,
    pub remaining_seconds: i64,
    pub last_seen_at: Option<DateTime<Utc>>,
    /// Times the candidate's page reported it was left (`page_hidden`).
    pub left_page: i64,
    /// Times the candidate's page came back after losing the network (`reconnected`).
    pub reconnects: i64,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct LiveRoster {
    pub items: Vec<LiveRow>,
    pub total: i64,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct EventRequest {
    /// `reconnected`, `page_hidden`, `page_visible`, `offline` or `online`.
    #[oai(validator(pattern = "^(reconnected|page_hidden|page_visible|offline|online)$"))]
    pub kind: String,
    #[oai(validator(max_length = 500))]
    pub detail: Option<String>,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct EventView {
    pub kind: String,
    pub detail: Option<String>,
    pub actor_id: Option<i64>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PracticalRequest {
    pub passed: bool,
    #[oai(validator(max_length = 2000))]
    pub notes: Option<String>,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Recorded {
    pub recorded: bool,
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Exams")]
impl AttemptsApi {
    /// Start (201) or resume (200) your attempt in a sitting, inside its window. The paper
    /// carries no answer key. Not booked: 403 `not_registered`; outside the window: 409
    /// `sitting_not_open`.
    ///
    /// A resume sent with `If-None-Match: <paper_etag>` gets the same body without
    /// `questions`.
    #[oai(path = "/sittings/:id/attempts", method = "post")]
    async fn start(
        &self,
        auth: BearerAuth,
        id: Path<i64>,
        #[oai(name = "If-None-Match")] if_none_match: Header<Option<String>>,
    ) -> ApiResult<StartResponse> {
        let held = held_papers(if_none_match.0.as_deref());
        let view = exam::start(&self.state, &auth.0, id.0, &held).await?;
        let body = RenderedJson::new(render_attempt(&view, Utc::now())?);
        Ok(if view.created {
            StartResponse::Started(body)
        } else {
            StartResponse::Resumed(body)
        })
    }

    /// Your attempt: the paper, saved answers, the deadline and the true time left. With
    /// `If-None-Match: <paper_etag>` the paper is left out.
    #[oai(path = "/attempts/:id", method = "get")]
    async fn get(
        &self,
        auth: BearerAuth,
        id: Path<i64>,
        #[oai(name = "If-None-Match")] if_none_match: Header<Option<String>>,
    ) -> ApiResult<RenderedJson<AttemptView>> {
        let held = held_papers(if_none_match.0.as_deref());
        let view = exam::reload(&self.state, &auth.0, id.0, &held).await?;
        Ok(RenderedJson::new(render_attempt(&view, Utc::now())?))
    }

    /// Save one answer. Closed attempt: 409 `attempt_closed`; no such question: 404; a key not
    /// among the options: 422; an older `seq`: 200 with what is stored. Store down: 503
    /// `store_unavailable` (retry).
    #[oai(path = "/attempts/:id/answers/:position", method = "put")]
    async fn save(
        &self,
        auth: BearerAuth,
        id: Path<i64>,
        position: Path<u32>,
        body: Json<SaveAnswerRequest>,
    ) -> ApiResult<Json<AnswerView>> {
        let stored = exam::save_answer(
            &self.state,
            &auth.0,
            id.0,
            position.0,
            &body.choice,
            body.seq,
        )
        .await?;
        Ok(Json(AnswerView {
            position: position.0,
            choice: stored.choice,
            seq: stored.seq,
        }))
    }

    /// Submit and grade; every repeat returns the same body.
    #[oai(path = "/attempts/:id/submit", method = "post")]
    async fn submit(
        &self,
        auth: BearerAuth,
        id: Path<i64>,
        body: Json<SubmitRequest>,
    ) -> ApiResult<Json<ResultView>> {
        let offline: Vec<(u32, Vec<String>, i64)> = body
            .0
            .answers
            .into_iter()
            .map(|a| (a.position, a.choice, a.seq))
            .collect();
        let attempt = exam::submit(&self.state, &auth.0, id.0, &offline).await?;
        Ok(Json(result_view(&attempt)))
    }

    /// The result (the candidate, the bureau, the sitting's proctors). Before grading: 409
    /// `attempt_open`.
    #[oai(path = "/attempts/:id/result", method = "get")]
    async fn result(&self, auth: BearerAuth, id: Path<i64>) -> ApiResult<Json<ResultView>> {
        let (attempt, reviewed) = exam::review(&self.state, &auth.0, id.0).await?;
        let mut view = result_view(&attempt);
        view.questions = reviewed.map(|questions| {
            questions
                .into_iter()
                .map(|q| GradedQuestion {
                    position: q.position,
                    choice: q.choice,
                    correct: q.correct,
                    awarded: q.awarded,
                    key: q.key,
                })
                .collect()
        });
        Ok(Json(view))
    }

    /// Who has started, answered how many, time left, last seen (proctors, bureau).
    #[oai(path = "/sittings/:id/live", method = "get")]
    async fn live(&self, auth: ProctorAuth, id: Path<i64>) -> ApiResult<Json<LiveRoster>> {
        let now = Utc::now();
        let rows = exam::live_roster(&self.state, &auth.0, id.0).await?;
        let items: Vec<LiveRow> = rows
            .into_iter()
            .map(|r| LiveRow {
                attempt_id: r.attempt.id,
                user_id: r.attempt.user_id,
                name: r.name,
                status: r.attempt.status,
                answered: r.answered as u64,
                remaining_seconds: if r.attempt.status == AttemptStatus::InProgress {
                    (r.attempt.deadline - now).num_seconds().max(0)
                } else {
                    0
                },
                last_seen_at: r.last_seen,
                left_page: r.left_page,
                reconnects: r.reconnects,
            })
            .collect();
        let total = items.len() as i64;
        Ok(Json(LiveRoster { items, total }))
    }

    /// Give one candidate more minutes (proctors, bureau).
    #[oai(path = "/attempts/:id/extend", method = "post")]
    async fn extend(
        &self,
        auth: ProctorAuth,
        id: Path<i64>,
        body: Json<ExtendRequest>,
    ) -> ApiResult<Json<ProctorAttemptView>> {
        Ok(Json(proctor_view(
            &exam::extend(&self.state, &auth.0, id.0, body.minutes).await?,
        )))
    }

    /// End an attempt for misconduct, with a reason (proctors, bureau).
    #[oai(path = "/attempts/:id/terminate", method = "post")]
    async fn terminate(
        &self,
        auth: ProctorAuth,
        id: Path<i64>,
        body: Json<TerminateRequest>,
    ) -> ApiResult<Json<ProctorAttemptView>> {
        Ok(Json(proctor_view(
            &exam::terminate(&self.state, &auth.0, id.0, &body.reason).await?,
        )))
    }

    /// The candidate's page reports reconnects and leaving the page, for the proctor.
    #[oai(path = "/attempts/:id/events", method = "post")]
    async fn add_event(
        &self,
        auth: BearerAuth,
        id: Path<i64>,
        body: Json<EventRequest>,
    ) -> ApiResult<Json<Recorded>> {
        exam::record_event(
            &self.state,
            &auth.0,
            id.0,
            &body.kind,
            body.detail.as_deref(),
        )
        .await?;
        Ok(Json(Recorded { recorded: true }))
    }

    /// An attempt's events (proctors, bureau).
    #[oai(path = "/attempts/:id/events", method = "get")]
    async fn events(&self, auth: ProctorAuth, id: Path<i64>) -> ApiResult<Json<Vec<EventView>>> {
        let events = exam::events(&self.state, &auth.0, id.0).await?;
        Ok(Json(
            events
                .into_iter()
                .map(|e| EventView {
                    kind: e.kind,
                    detail: e.detail,
                    actor_id: e.actor_id,
                    at: e.at,
                })
                .collect(),
        ))
    }

    /// Record the practical assessment (e.g. CPR on a manikin) for a booking (proctors, bureau).
    #[oai(path = "/registrations/:id/practical", method = "post")]
    async fn practical(
        &self,
        auth: ProctorAuth,
        id: Path<i64>,
        body: Json<PracticalRequest>,
    ) -> ApiResult<Json<Recorded>> {
        exam::record_practical(
            &self.state,
            &auth.0,
            id.0,
            body.passed,
            body.notes.as_deref(),
        )
        .await?;
        Ok(Json(Recorded { recorded: true }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        blueprint::Scoring,
        live::StoredAnswer,
        paper::{Paper, PaperQuestion},
    };
    use poem_openapi::types::ToJSON;

    fn question(position: u32, kind: QuestionKind, stem: &str, keys: &[&str]) -> PaperQuestion {
        PaperQuestion {
            position,
            section: 0,
            question_id: i64::from(position),
            version_id: i64::from(position),
            kind,
            stem: stem.into(),
            options: keys
                .iter()
                .map(|k| ChoiceOption {
                    key: k.to_string(),
                    text: format!("选项 {k} “引号” \\ 反斜杠\n换行"),
                })
                .collect(),
            answer: vec![keys[0].to_string()],
            points: 1.5,
            scoring: Scoring::AllOrNothing,
            tags: vec!["火灾".into()],
            source_keys: vec![],
        }
    }

    /// The rendered start/reload reply is exactly what `AttemptView` itself would render, so
    /// the OpenAPI document tells clients the truth and no key slips in.
    #[test]
    fn attempt_view_matches_the_schema_rendering() {
        let paper = Paper {
            seed: 7,
            questions: vec![
                question(
                    1,
                    QuestionKind::Single,
                    "发现火情应首先？",
                    &["A", "B", "C", "D"],
                ),
                question(
                    2,
                    QuestionKind::Multiple,
                    "心肺复苏 \"CPR\" 的要点",
                    &["A", "B", "C"],
                ),
                question(
                    3,
                    QuestionKind::TrueFalse,
                    "灭火器应定期检查。",
                    &["T", "F"],
                ),
            ],
        };
        let now = Utc::now();
        let attempt = Attempt {
            id: 42,
            registration_id: 9,
            sitting_id: 3,
            user_id: 5,
            course_id: 2,
            status: AttemptStatus::InProgress,
            started_at: now - chrono::Duration::minutes(3),
            deadline: now + chrono::Duration::minutes(57),
            extended_minutes: 0,
            finished_at: None,
            score: None,
            max_score: 4.5,
            passed: None,
            summary: None,
            terminated_reason: None,
        };
        let answers = [
            (
                1,
                StoredAnswer {
                    choice: vec!["B".into()],
                    seq: 3,
                },
            ),
            (
                2,
                StoredAnswer {
                    choice: vec!["A".into(), "C".into()],
                    seq: 1,
                },
            ),
        ];
        let live = LiveView {
            paper_etag: exam::paper_etag(&attempt),
            attempt: attempt.clone(),
            questions_json: Some(paper.face().questions_json),
            answers: answers.iter().cloned().collect(),
            created: true,
        };
        let rendered: serde_json::Value =
            serde_json::from_slice(&render_attempt(&live, now).unwrap()).unwrap();

        let schema_view = AttemptView {
            id: attempt.id,
            status: attempt.status,
            sitting_id: attempt.sitting_id,
            started_at: attempt.started_at,
            deadline: attempt.deadline,
            remaining_seconds: (attempt.deadline - now).num_seconds(),
            paper_etag: live.paper_etag.clone(),
            questions: Some(
                paper
                    .questions
                    .iter()
                    .map(|q| CandidateQuestion {
                        position: q.position,
                        kind: q.kind,
                        stem: q.stem.clone(),
                        options: q.options.clone(),
                        points: q.points,
                    })
                    .collect(),
            ),
            answers: answers
                .iter()
                .map(|(position, a)| AnswerView {
                    position: *position,
                    choice: a.choice.clone(),
                    seq: a.seq,
                })
                .collect(),
        };
        assert_eq!(rendered, schema_view.to_json().unwrap());
        assert!(
            !rendered.to_string().contains("\"answer\""),
            "no key in the view"
        );

        // Without the paper: the same view, `questions` left out.
        let without = LiveView {
            questions_json: None,
            ..live
        };
        let rendered_without: serde_json::Value =
            serde_json::from_slice(&render_attempt(&without, now).unwrap()).unwrap();
        let mut expected = rendered.clone();
        expected.as_object_mut().unwrap().remove("questions");
        assert_eq!(rendered_without, expected);
    }

    #[test]
    fn if_none_match_names_papers_quoted_or_not_weak_or_not() {
        assert_eq!(
            held_papers(Some(r#"W/"x", "ab12" , cd34"#)),
            vec!["x", "ab12", "cd34"]
        );
        assert_eq!(held_papers(Some("*")), vec!["*"]);
        assert!(held_papers(None).is_empty());
        assert!(held_papers(Some(" , ")).is_empty());
    }
}
