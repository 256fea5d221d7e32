//! Drawing a candidate's paper (试卷) from a blueprint: the same (blueprint, pool, seed) gives
//! the same paper every time; another seed gives other questions and option orders. The
//! answer key travels with the paper on the server only.

pub mod store;

use crate::blueprint::{Blueprint, Scoring};
use crate::question_bank::content::{ChoiceOption, QuestionContent, QuestionKind};
use serde::{Deserialize, Serialize};

/// A question that may be drawn: its current version in an active state.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub question_id: i64,
    pub version_id: i64,
    pub bank_id: i64,
    pub content: &'a QuestionContent,
}

/// One question as placed on a paper, with its options in this paper's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaperQuestion {
    /// 1-based place on the paper.
    pub position: u32,
    /// Index of the blueprint section it fills.
    pub section: usize,
    pub question_id: i64,
    pub version_id: i64,
    pub kind: QuestionKind,
    pub stem: String,
    /// Relabelled A, B, C... in this paper's order (T/F stay as they are).
    pub options: Vec<ChoiceOption>,
    /// The key in this paper's labels. Server side only.
    pub answer: Vec<String>,
    pub points: f64,
    pub scoring: Scoring,
    pub tags: Vec<String>,
    /// For each option in this paper's order, its key in the question itself, so question
    /// statistics count the same option across papers. Empty in papers drawn before it.
    #[serde(default)]
    pub source_keys: Vec<String>,
}

impl PaperQuestion {
    /// A key in this paper's labels as the question's own key (itself when unknown).
    pub fn source_key<'a>(&'a self, key: &'a str) -> &'a str {
        self.options
            .iter()
            .position(|o| o.key == key)
            .and_then(|i| self.source_keys.get(i))
            .map_or(key, String::as_str)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paper {
    pub seed: u64,
    pub questions: Vec<PaperQuestion>,
}

/// What a running attempt needs of its paper, rendered once when the paper is drawn: a start
/// or reload sends `questions_json` as it is, and the live session checks saves against
/// `option_keys`, without parsing the paper and its key again.
#[derive(Debug, Clone, PartialEq)]
pub struct PaperFace {
    /// The candidate's questions as a JSON array: position, kind, stem, options, points.
    /// No key, no explanation.
    pub questions_json: String,
    /// For position p at index p-1: the option keys it accepts, e.g. "ABCD" or "TF".
    pub option_keys: Vec<String>,
    pub max_score: f64,
}

/// One question as a candidate sees it (the `CandidateQuestion` of the HTTP API).
#[derive(Serialize)]
struct CandidateQuestion<'a> {
    position: u32,
    kind: QuestionKind,
    stem: &'a str,
    options: &'a [ChoiceOption],
    points: f64,
}

impl Paper {
    pub fn face(&self) -> PaperFace {
        let questions: Vec<CandidateQuestion<'_>> = self
            .questions
            .iter()
            .map(|q| CandidateQuestion {
                position: q.position,
                kind: q.kind,
                stem: &q.stem,
                options: &q.options,
                points: q.points,
            })
            .collect();
        PaperFace {
            questions_json: serde_json::to_string(&questions).expect("questions serialise"),
            option_keys: self
                .questions
                .iter()
                .map(|q| q.options.iter().map(|o| o.key.as_str()).collect())
                .collect(),
            max_score: self.questions.iter().map(|q| q.points).sum(),
        }
    }
}

/// The pool cannot fill a section.
#[derive(Debug, Clone, PartialEq)]
pub struct Shortfall {
    pub section: usize,
    pub title: String,
    pub wanted: u32,
    pub available: usize,
    /// The difficulty levels of the band that fell short, if any.
    pub levels: Option<Vec<u8>>,
}

impl std::fmt::Display for Shortfall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let band = match &self.levels {
            Some(levels) => format!(" at difficulty {levels:?}"),
            None => String::new(),
        };
        write!(
            f,
            "section {} “{}” needs {} questions{band} but only {} active questions match",
            self.section + 1,
            self.title,
            self.wanted,
            self.available
        )
    }
}

/// SplitMix64: tiny, well studied, and ours, so a paper drawn today is drawn the same way
/// after any dependency upgrade.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n (n > 0), without modulo bias.
    pub fn below(&mut self, n: usize) -> usize {
        let n = n as u64;
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let x = self.next_u64();
            if x < zone {
                return (x % n) as usize;
            }
        }
    }

    /// Moves a uniform random choice of `k` items to the front (partial Fisher–Yates).
    pub fn choose_front<T>(&mut self, items: &mut [T], k: usize) {
        for i in 0..k.min(items.len()) {
            let j = i + self.below(items.len() - i);
            items.swap(i, j);
        }
    }
}

fn matches(section: &crate::blueprint::Section, c: &Candidate<'_>) -> bool {
    c.content.kind == section.kind
        && section.bank_id.is_none_or(|b| b == c.bank_id)
        && (section.tags.is_empty() || c.content.tags.iter().any(|t| section.tags.contains(t)))
}

/// Draws a paper. `pool` must come in a stable order (by question id) for reproducibility.
pub fn draw(blueprint: &Blueprint, pool: &[Candidate<'_>], seed: u64) -> Result<Paper, Shortfall> {
    let mut rng = Rng::new(seed);
    let mut used = std::collections::HashSet::new();
    let mut questions = Vec::new();
    for (index, section) in blueprint.sections.iter().enumerate() {
        let eligible: Vec<&Candidate<'_>> = pool
            .iter()
            .filter(|c| matches(section, c) && !used.contains(&c.question_id))
            .collect();
        let bands: Vec<(Option<&Vec<u8>>, u32)> = if section.difficulty_mix.is_empty() {
            vec![(None, section.count)]
        } else {
            section
                .difficulty_mix
                .iter()
                .map(|b| (Some(&b.levels), b.count))
                .collect()
        };
        let mut chosen: Vec<&Candidate<'_>> = Vec::new();
        for (levels, count) in bands {
            let mut band: Vec<&Candidate<'_>> = eligible
                .iter()
                .copied()
                .filter(|c| levels.is_none_or(|l| l.contains(&c.content.difficulty)))
                .filter(|c| !chosen.iter().any(|x| x.question_id == c.question_id))
                .collect();
            if band.len() < count as usize {
                return Err(Shortfall {
                    section: index,
                    title: section.title.clone(),
                    wanted: count,
                    available: band.len(),
                    levels: levels.cloned(),
                });
            }
            rng.choose_front(&mut band, count as usize);
            chosen.extend(band.into_iter().take(count as usize));
        }
        for c in chosen {
            used.insert(c.question_id);
            let (options, answer, source_keys) = shuffle_options(&mut rng, c.content);
            questions.push(PaperQuestion {
                position: questions.len() as u32 + 1,
                section: index,
                question_id: c.question_id,
                version_id: c.version_id,
                kind: c.content.kind,
                stem: c.content.stem.clone(),
                options,
                answer,
                points: section.points,
                scoring: section.scoring,
                tags: c.content.tags.clone(),
                source_keys,
            });
        }
    }
    Ok(Paper { seed, questions })
}

/// Shuffles a choice question's options and relabels them A, B, ...; the key follows.
/// Returns the options, the key, and each option's own key in the question.
fn shuffle_options(
    rng: &mut Rng,
    content: &QuestionContent,
) -> (Vec<ChoiceOption>, Vec<String>, Vec<String>) {
    let source_keys = |options: &[&ChoiceOption]| options.iter().map(|o| o.key.clone()).collect();
    if content.kind == QuestionKind::TrueFalse {
        let all: Vec<&ChoiceOption> = content.options.iter().collect();
        return (
            content.options.clone(),
            content.answer.clone(),
            source_keys(&all),
        );
    }
    let mut order: Vec<&ChoiceOption> = content.options.iter().collect();
    let n = order.len();
    rng.choose_front(&mut order, n);
    let labels = ["A", "B", "C", "D", "E", "F", "G", "H"];
    let options: Vec<ChoiceOption> = order
        .iter()
        .zip(labels)
        .map(|(o, label)| ChoiceOption {
            key: label.to_string(),
            text: o.text.clone(),
        })
        .collect();
    let mut answer: Vec<String> = order
        .iter()
        .zip(labels)
        .filter(|(o, _)| content.answer.contains(&o.key))
        .map(|(_, label)| label.to_string())
        .collect();
    answer.sort();
    (options, answer, source_keys(&order))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blueprint::{DifficultyBand, Section};
    use crate::question_bank::content::true_false_options;

    fn bank() -> Vec<QuestionContent> {
        let mut out = Vec::new();
        for i in 0..40u8 {
            out.push(QuestionContent {
                kind: QuestionKind::Single,
                stem: format!("单选题{i}"),
                options: ["甲", "乙", "丙", "丁"]
                    .iter()
                    .zip(["A", "B", "C", "D"])
                    .map(|(t, k)| ChoiceOption {
                        key: k.into(),
                        text: format!("{t}{i}"),
                    })
                    .collect(),
                answer: vec!["B".into()],
                explanation: String::new(),
                tags: vec![if i % 2 == 0 { "消防" } else { "急救" }.into()],
                difficulty: 1 + i % 5,
            });
        }
        for i in 0..10u8 {
            out.push(QuestionContent {
                kind: QuestionKind::TrueFalse,
                stem: format!("判断题{i}"),
                options: true_false_options(),
                answer: vec!["T".into()],
                explanation: String::new(),
                tags: vec![],
                difficulty: 2,
            });
        }
        out
    }

    fn pool(contents: &[QuestionContent]) -> Vec<Candidate<'_>> {
        contents
            .iter()
            .enumerate()
            .map(|(i, c)| Candidate {
                question_id: i as i64 + 1,
                version_id: i as i64 + 101,
                bank_id: 1,
                content: c,
            })
            .collect()
    }

    fn section(kind: QuestionKind, count: u32) -> Section {
        Section {
            title: kind.label_zh().into(),
            kind,
            count,
            points: 2.0,
            scoring: Scoring::AllOrNothing,
            bank_id: None,
            tags: vec![],
            difficulty_mix: vec![],
        }
    }

    #[test]
    fn same_seed_same_paper_other_seed_other_paper() {
        let contents = bank();
        let pool = pool(&contents);
        let bp = Blueprint {
            sections: vec![
                section(QuestionKind::Single, 10),
                section(QuestionKind::TrueFalse, 5),
            ],
        };
        let a = draw(&bp, &pool, 42).unwrap();
        let b = draw(&bp, &pool, 42).unwrap();
        assert_eq!(a, b);
        let c = draw(&bp, &pool, 43).unwrap();
        let ids = |p: &Paper| {
            p.questions
                .iter()
                .map(|q| q.question_id)
                .collect::<Vec<_>>()
        };
        assert_ne!(ids(&a), ids(&c));
        assert_eq!(a.questions.len(), 15);
        assert_eq!(a.questions[14].position, 15);
        assert!(
            a.questions[..10]
                .iter()
                .all(|q| q.kind == QuestionKind::Single)
        );
    }

    #[test]
    fn keys_follow_their_options() {
        let contents = bank();
        let pool = pool(&contents);
        let bp = Blueprint {
            sections: vec![section(QuestionKind::Single, 40)],
        };
        let mut moved = 0;
        for seed in 0..5 {
            let paper = draw(&bp, &pool, seed).unwrap();
            for q in &paper.questions {
                let original = &contents[(q.question_id - 1) as usize];
                let right_text = &original.options[1].text; // key B
                let keyed: Vec<&String> = q
                    .options
                    .iter()
                    .filter(|o| q.answer.contains(&o.key))
                    .map(|o| &o.text)
                    .collect();
                assert_eq!(keyed, vec![right_text]);
                if q.answer != vec!["B".to_string()] {
                    moved += 1;
                }
            }
        }
        assert!(
            moved > 100,
            "options should move: {moved} of 200 keys moved"
        );
    }

    #[test]
    fn tags_difficulty_and_no_repeats_across_sections() {
        let contents = bank();
        let pool = pool(&contents);
        let mut fire = section(QuestionKind::Single, 6);
        fire.tags = vec!["消防".into()];
        fire.difficulty_mix = vec![
            DifficultyBand {
                levels: vec![1, 2],
                count: 4,
            },
            DifficultyBand {
                levels: vec![5],
                count: 2,
            },
        ];
        let any = section(QuestionKind::Single, 34);
        let bp = Blueprint {
            sections: vec![fire, any],
        };
        let paper = draw(&bp, &pool, 7).unwrap();
        let first: Vec<&PaperQuestion> =
            paper.questions.iter().filter(|q| q.section == 0).collect();
        assert!(first.iter().all(|q| q.tags == vec!["消防".to_string()]));
        let levels: Vec<u8> = first
            .iter()
            .map(|q| contents[(q.question_id - 1) as usize].difficulty)
            .collect();
        assert_eq!(levels.iter().filter(|l| **l <= 2).count(), 4);
        assert_eq!(levels.iter().filter(|l| **l == 5).count(), 2);
        let mut ids: Vec<i64> = paper.questions.iter().map(|q| q.question_id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 40, "no question twice on one paper");
    }

    #[test]
    fn a_short_pool_names_the_section() {
        let contents = bank();
        let pool = pool(&contents);
        let bp = Blueprint {
            sections: vec![
                section(QuestionKind::Single, 5),
                section(QuestionKind::TrueFalse, 11),
            ],
        };
        let err = draw(&bp, &pool, 1).unwrap_err();
        assert_eq!(err.section, 1);
        assert_eq!(err.available, 10);
        assert!(err.to_string().contains("判断题"));
    }
}
