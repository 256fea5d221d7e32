//! The exam blueprint (组卷规则): which question kinds, how many from which banks and tags,
//! at what difficulty, for how many points. Pure rules; drawing lives in `crate::paper`.

use crate::question_bank::content::QuestionKind;
use serde::{Deserialize, Serialize};

/// How a multiple-choice answer scores.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, poem_openapi::Enum,
)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum Scoring {
    /// Full points only for exactly the right options (the default).
    #[default]
    AllOrNothing,
    /// 少选得分，错选不得分: a wrong option scores 0; a correct subset scores
    /// points × chosen / correct.
    Partial,
}

/// Part of a section's questions drawn from some difficulty levels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, poem_openapi::Object)]
#[oai(skip_serializing_if_is_none)]
pub struct DifficultyBand {
    /// Difficulty levels (1-5) this band draws from.
    pub levels: Vec<u8>,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, poem_openapi::Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Section {
    pub title: String,
    pub kind: QuestionKind,
    /// Questions to draw.
    pub count: u32,
    /// Points per question.
    pub points: f64,
    #[serde(default)]
    #[oai(default)]
    pub scoring: Scoring,
    /// Draw from this bank only; any bank when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_id: Option<i64>,
    /// Draw questions carrying any of these tags; any question when empty.
    #[serde(default)]
    #[oai(default)]
    pub tags: Vec<String>,
    /// How many questions from which difficulty levels; counts add up to `count`.
    /// Any difficulty when empty.
    #[serde(default)]
    #[oai(default)]
    pub difficulty_mix: Vec<DifficultyBand>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, poem_openapi::Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Blueprint {
    pub sections: Vec<Section>,
}

impl Blueprint {
    pub fn question_count(&self) -> u32 {
        self.sections.iter().map(|s| s.count).sum()
    }

    pub fn total_points(&self) -> f64 {
        self.sections
            .iter()
            .map(|s| f64::from(s.count) * s.points)
            .sum()
    }

    /// Shape rules that need no question bank. Errors name the field, e.g.
    /// `blueprint.sections[1].count`.
    pub fn check_shape(&self) -> Result<(), (String, String)> {
        if self.sections.is_empty() {
            return Err((
                "blueprint.sections".into(),
                "give at least one section".into(),
            ));
        }
        for (i, s) in self.sections.iter().enumerate() {
            let field = |name: &str| format!("blueprint.sections[{i}].{name}");
            if s.title.trim().is_empty() {
                return Err((field("title"), "is required".into()));
            }
            if s.count == 0 || s.count > 1000 {
                return Err((field("count"), "1 to 1000 questions".into()));
            }
            if !(s.points.is_finite() && s.points > 0.0 && s.points <= 100.0) {
                return Err((
                    field("points"),
                    "points per question must be above 0 and at most 100".into(),
                ));
            }
            if s.scoring == Scoring::Partial && s.kind != QuestionKind::Multiple {
                return Err((
                    field("scoring"),
                    "partial scoring applies to multiple-choice sections only".into(),
                ));
            }
            if !s.difficulty_mix.is_empty() {
                let sum: u32 = s.difficulty_mix.iter().map(|b| b.count).sum();
                if sum != s.count {
                    return Err((
                        field("difficulty_mix"),
                        format!("band counts add up to {sum}, the section has {}", s.count),
                    ));
                }
                if s.difficulty_mix
                    .iter()
                    .any(|b| b.levels.is_empty() || b.levels.iter().any(|l| !(1..=5).contains(l)))
                {
                    return Err((
                        field("difficulty_mix"),
                        "every band names levels from 1 to 5".into(),
                    ));
                }
            }
        }
        Ok(())
    }
}
