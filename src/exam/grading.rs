//! Grading (评分): pure rules over a paper and the answers given. No storage, no clock.

use crate::{
    blueprint::{Blueprint, Scoring},
    live::StoredAnswer,
    paper::{Paper, PaperQuestion},
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuestionResult {
    pub position: u32,
    pub version_id: i64,
    pub choice: Vec<String>,
    pub seq: i64,
    pub correct: bool,
    pub awarded: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subtotal {
    pub title: String,
    pub score: f64,
    pub max_score: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grade {
    pub score: f64,
    pub max_score: f64,
    pub passed: bool,
    /// By blueprint section, in blueprint order.
    pub sections: Vec<Subtotal>,
    /// By tag (a question counts under each of its tags).
    pub tags: Vec<Subtotal>,
    pub questions: Vec<QuestionResult>,
}

/// Points for one answer under the question's scoring rule.
pub fn award(q: &PaperQuestion, choice: &[String]) -> (bool, f64) {
    let correct = choice.len() == q.answer.len() && choice.iter().all(|k| q.answer.contains(k));
    if correct {
        return (true, q.points);
    }
    if q.scoring == Scoring::Partial
        && !choice.is_empty()
        && choice.iter().all(|k| q.answer.contains(k))
    {
        // 少选得分: a correct subset earns its share; any wrong key earns nothing.
        let share = choice.len() as f64 / q.answer.len() as f64;
        return (false, round2(q.points * share));
    }
    (false, 0.0)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Grades `paper` against `answers` (by position); unanswered questions score 0.
pub fn grade(
    paper: &Paper,
    blueprint: &Blueprint,
    pass_mark: f64,
    answers: &BTreeMap<u32, StoredAnswer>,
) -> Grade {
    let mut questions = Vec::with_capacity(paper.questions.len());
    let mut sections: Vec<Subtotal> = blueprint
        .sections
        .iter()
        .map(|s| Subtotal {
            title: s.title.clone(),
            score: 0.0,
            max_score: 0.0,
        })
        .collect();
    let mut tags: BTreeMap<String, Subtotal> = BTreeMap::new();
    for q in &paper.questions {
        let given = answers.get(&q.position);
        let choice = given.map(|a| a.choice.clone()).unwrap_or_default();
        let (correct, awarded) = award(q, &choice);
        if let Some(section) = sections.get_mut(q.section) {
            section.score += awarded;
            section.max_score += q.points;
        }
        for tag in &q.tags {
            let t = tags.entry(tag.clone()).or_insert_with(|| Subtotal {
                title: tag.clone(),
                score: 0.0,
                max_score: 0.0,
            });
            t.score += awarded;
            t.max_score += q.points;
        }
        questions.push(QuestionResult {
            position: q.position,
            version_id: q.version_id,
            choice,
            seq: given.map_or(0, |a| a.seq),
            correct,
            awarded,
        });
    }
    let score = round2(questions.iter().map(|q| q.awarded).sum());
    let max_score = round2(paper.questions.iter().map(|q| q.points).sum());
    for s in sections.iter_mut().chain(tags.values_mut()) {
        s.score = round2(s.score);
        s.max_score = round2(s.max_score);
    }
    Grade {
        passed: score + 1e-9 >= pass_mark,
        score,
        max_score,
        sections,
        tags: tags.into_values().collect(),
        questions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        blueprint::Section,
        question_bank::content::{ChoiceOption, QuestionKind},
    };

    fn q(
        position: u32,
        section: usize,
        kind: QuestionKind,
        answer: &[&str],
        scoring: Scoring,
    ) -> PaperQuestion {
        PaperQuestion {
            position,
            section,
            question_id: position as i64,
            version_id: 100 + position as i64,
            kind,
            stem: format!("第{position}题"),
            options: ["A", "B", "C", "D"]
                .iter()
                .map(|k| ChoiceOption {
                    key: k.to_string(),
                    text: k.to_string(),
                })
                .collect(),
            answer: answer.iter().map(|a| a.to_string()).collect(),
            points: 2.0,
            scoring,
            tags: vec!["消防".into()],
            source_keys: vec![],
        }
    }

    fn a(keys: &[&str], seq: i64) -> StoredAnswer {
        StoredAnswer {
            choice: keys.iter().map(|k| k.to_string()).collect(),
            seq,
        }
    }

    fn section(title: &str, kind: QuestionKind, scoring: Scoring) -> Section {
        Section {
            title: title.into(),
            kind,
            count: 2,
            points: 2.0,
            scoring,
            bank_id: None,
            tags: vec![],
            difficulty_mix: vec![],
        }
    }

    #[test]
    fn scores_sections_and_passes_at_the_mark() {
        let paper = Paper {
            seed: 1,
            questions: vec![
                q(1, 0, QuestionKind::Single, &["B"], Scoring::AllOrNothing),
                q(2, 0, QuestionKind::Single, &["C"], Scoring::AllOrNothing),
                q(3, 1, QuestionKind::Multiple, &["A", "C"], Scoring::Partial),
                q(
                    4,
                    1,
                    QuestionKind::Multiple,
                    &["A", "B", "D"],
                    Scoring::Partial,
                ),
            ],
        };
        let bp = Blueprint {
            sections: vec![
                section("单选", QuestionKind::Single, Scoring::AllOrNothing),
                section("多选", QuestionKind::Multiple, Scoring::Partial),
            ],
        };
        let answers = BTreeMap::from([
            (1, a(&["B"], 1)),
            (2, a(&["A"], 2)),
            (3, a(&["A"], 1)),
            (4, a(&["A", "C"], 3)),
        ]);
        let g = grade(&paper, &bp, 3.0, &answers);
        assert_eq!(g.sections[0].score, 2.0);
        assert_eq!(
            g.sections[1].score, 1.0,
            "A of AC earns half; a wrong key earns nothing"
        );
        assert_eq!(g.score, 3.0);
        assert_eq!(g.max_score, 8.0);
        assert!(g.passed);
        assert_eq!(g.tags[0].title, "消防");
        assert!(!grade(&paper, &bp, 3.5, &answers).passed);
        assert_eq!(grade(&paper, &bp, 3.0, &BTreeMap::new()).score, 0.0);
    }

    #[test]
    fn all_or_nothing_needs_exactly_the_key() {
        let question = q(
            1,
            0,
            QuestionKind::Multiple,
            &["A", "C"],
            Scoring::AllOrNothing,
        );
        assert_eq!(award(&question, &["A".into(), "C".into()]), (true, 2.0));
        assert_eq!(award(&question, &["A".into()]), (false, 0.0));
        assert_eq!(
            award(&question, &["A".into(), "B".into(), "C".into()]),
            (false, 0.0)
        );
    }
}
