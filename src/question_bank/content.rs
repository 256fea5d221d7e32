//! A question's content (题干, 选项, 答案, 解析, 标签, 难度) and the rules every question obeys,
//! whatever file it came from. Pure: no storage, no HTTP.

use super::formats::{ParsedAnswer, ParsedQuestion};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// 单选, 多选, 判断.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, poem_openapi::Enum)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum QuestionKind {
    Single,
    Multiple,
    TrueFalse,
}

impl QuestionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionKind::Single => "single",
            QuestionKind::Multiple => "multiple",
            QuestionKind::TrueFalse => "true_false",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "single" | "单选" | "单选题" | "单项选择" | "单项选择题" => {
                Some(QuestionKind::Single)
            }
            "multiple" | "多选" | "多选题" | "多项选择" | "多项选择题" => {
                Some(QuestionKind::Multiple)
            }
            "true_false" | "判断" | "判断题" | "truefalse" | "tf" => {
                Some(QuestionKind::TrueFalse)
            }
            _ => None,
        }
    }

    /// 单选题 etc., for section titles and exports.
    pub fn label_zh(self) -> &'static str {
        match self {
            QuestionKind::Single => "单选题",
            QuestionKind::Multiple => "多选题",
            QuestionKind::TrueFalse => "判断题",
        }
    }
}

/// Draft questions are not drawn yet; retired ones no more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, poem_openapi::Enum)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum QuestionStatus {
    Draft,
    Active,
    Retired,
}

impl QuestionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionStatus::Draft => "draft",
            QuestionStatus::Active => "active",
            QuestionStatus::Retired => "retired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "draft" | "草稿" => Some(QuestionStatus::Draft),
            "active" | "启用" | "" => Some(QuestionStatus::Active),
            "retired" | "停用" => Some(QuestionStatus::Retired),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, poem_openapi::Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ChoiceOption {
    /// `A`, `B`, ... for choice questions; `T` (正确) and `F` (错误) for true/false.
    pub key: String,
    pub text: String,
}

/// Everything that makes one version of a question. Two versions with the same content hash
/// are the same question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionContent {
    pub kind: QuestionKind,
    pub stem: String,
    pub options: Vec<ChoiceOption>,
    /// The keys of the correct options, in key order.
    pub answer: Vec<String>,
    pub explanation: String,
    pub tags: Vec<String>,
    pub difficulty: u8,
}

pub const MAX_OPTIONS: usize = 8;
const KEYS: [&str; MAX_OPTIONS] = ["A", "B", "C", "D", "E", "F", "G", "H"];
/// Difficulty when a file gives none: the middle of 1..=5.
pub const DEFAULT_DIFFICULTY: u8 = 3;

pub fn true_false_options() -> Vec<ChoiceOption> {
    vec![
        ChoiceOption {
            key: "T".into(),
            text: "正确".into(),
        },
        ChoiceOption {
            key: "F".into(),
            text: "错误".into(),
        },
    ]
}

impl QuestionContent {
    /// Builds checked content from what a parser read; the error is the reason to report
    /// against the question's line.
    pub fn from_parsed(parsed: &ParsedQuestion) -> Result<Self, String> {
        let (kind, options, answer) = match &parsed.answer {
            ParsedAnswer::TrueFalse(truth) => (
                QuestionKind::TrueFalse,
                true_false_options(),
                vec![if *truth { "T" } else { "F" }.to_string()],
            ),
            ParsedAnswer::Choice {
                options,
                correct,
                multiple,
            } => {
                if options.len() > MAX_OPTIONS {
                    return Err(format!(
                        "最多只能有{MAX_OPTIONS}个选项，实际有{}个",
                        options.len()
                    ));
                }
                let kind = if *multiple || correct.len() > 1 {
                    QuestionKind::Multiple
                } else {
                    QuestionKind::Single
                };
                let opts = options
                    .iter()
                    .enumerate()
                    .map(|(i, text)| ChoiceOption {
                        key: KEYS[i].to_string(),
                        text: text.trim().to_string(),
                    })
                    .collect();
                let mut correct = correct.clone();
                correct.sort_unstable();
                correct.dedup();
                if let Some(bad) = correct.iter().find(|i| **i >= options.len()) {
                    return Err(format!("答案指向的第{}个选项不存在", bad + 1));
                }
                let answer = correct.iter().map(|i| KEYS[*i].to_string()).collect();
                (kind, opts, answer)
            }
        };
        let content = QuestionContent {
            kind,
            stem: parsed.stem.trim().to_string(),
            options,
            answer,
            explanation: parsed.explanation.trim().to_string(),
            tags: normalise_tags(&parsed.tags),
            difficulty: parsed.difficulty.unwrap_or(DEFAULT_DIFFICULTY),
        };
        content.check()?;
        Ok(content)
    }

    /// The rules every stored question obeys.
    pub fn check(&self) -> Result<(), String> {
        if self.stem.is_empty() {
            return Err("题干为空".into());
        }
        if self.stem.chars().count() > 4000 {
            return Err("题干超过4000个字符".into());
        }
        if !(1..=5).contains(&self.difficulty) {
            return Err(format!("难度必须是1到5，实际为{}", self.difficulty));
        }
        match self.kind {
            QuestionKind::TrueFalse => {
                if self.options != true_false_options() {
                    return Err("判断题的选项必须是 T 正确 和 F 错误".into());
                }
                if self.answer.len() != 1 {
                    return Err("判断题只能有一个答案：T 或 F".into());
                }
            }
            QuestionKind::Single | QuestionKind::Multiple => {
                if self.options.len() < 2 {
                    return Err("选择题至少需要两个选项".into());
                }
                if self.options.len() > MAX_OPTIONS {
                    return Err(format!("最多只能有{MAX_OPTIONS}个选项"));
                }
                for (i, option) in self.options.iter().enumerate() {
                    if option.key != KEYS[i] {
                        return Err(format!("第{}个选项的编号必须是 {}", i + 1, KEYS[i]));
                    }
                    if option.text.trim().is_empty() {
                        return Err(format!("选项 {} 为空", option.key));
                    }
                }
                let mut texts: Vec<&str> = self.options.iter().map(|o| o.text.trim()).collect();
                texts.sort_unstable();
                if texts.windows(2).any(|w| w[0] == w[1]) {
                    return Err("有两个选项的内容相同".into());
                }
                if self.answer.is_empty() {
                    return Err("没有标出正确选项".into());
                }
                if self.kind == QuestionKind::Single && self.answer.len() != 1 {
                    return Err(format!(
                        "单选题只能有一个正确选项，实际有{}个",
                        self.answer.len()
                    ));
                }
            }
        }
        for key in &self.answer {
            if !self.options.iter().any(|o| &o.key == key) {
                return Err(format!("答案 {key} 不在选项之中"));
            }
        }
        Ok(())
    }

    /// SHA-256 over the canonical JSON of the content: the identity of a version.
    pub fn content_hash(&self) -> String {
        let canonical = serde_json::to_vec(self).expect("content serialises");
        hex::encode(Sha256::digest(canonical))
    }

    /// Whether `choice` (keys) is exactly the answer.
    pub fn is_correct(&self, choice: &[String]) -> bool {
        let mut given: Vec<&str> = choice.iter().map(String::as_str).collect();
        given.sort_unstable();
        given.dedup();
        let mut want: Vec<&str> = self.answer.iter().map(String::as_str).collect();
        want.sort_unstable();
        given == want
    }
}

/// Trimmed, non-empty, without repeats, in first-seen order.
pub fn normalise_tags(tags: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for tag in tags {
        let tag = tag.trim();
        if !tag.is_empty() && !out.iter().any(|t| t == tag) {
            out.push(tag.to_string());
        }
    }
    out
}

/// Parses an answer written by a person: `B`, `ABD`, `A,B`, `A、C`, `正确`/`错误`, `对`/`错`,
/// `√`/`×`, `T`/`F`, `true`/`false`. Returns option indices for choices, or a truth value.
pub fn parse_answer_text(kind: QuestionKind, raw: &str) -> Result<AnswerText, String> {
    let text = raw.trim();
    if kind == QuestionKind::TrueFalse {
        return match text.to_lowercase().as_str() {
            "t" | "true" | "正确" | "对" | "√" | "✓" | "是" | "y" | "yes" => {
                Ok(AnswerText::Truth(true))
            }
            "f" | "false" | "错误" | "错" | "×" | "✗" | "否" | "n" | "no" => {
                Ok(AnswerText::Truth(false))
            }
            _ => Err(format!(
                "判断题答案应为 T 或 F（正确/错误），实际为 {text:?}"
            )),
        };
    }
    let mut indices = Vec::new();
    for c in text.chars() {
        match c {
            'A'..='H' => indices.push(c as usize - 'A' as usize),
            'a'..='h' => indices.push(c as usize - 'a' as usize),
            ',' | '，' | '、' | ' ' | ';' | '；' => {}
            other => {
                return Err(format!("答案只能包含选项字母 A-H，却出现了 {other:?}"));
            }
        }
    }
    if indices.is_empty() {
        return Err("答案为空".into());
    }
    Ok(AnswerText::Choices(indices))
}

#[derive(Debug, PartialEq, Eq)]
pub enum AnswerText {
    Choices(Vec<usize>),
    Truth(bool),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(answer: ParsedAnswer) -> ParsedQuestion {
        ParsedQuestion {
            line: 1,
            reference: None,
            stem: " 成人胸外按压的频率是？ ".into(),
            answer,
            explanation: "每分钟100～120次".into(),
            tags: vec!["应急救护".into(), " 应急救护 ".into(), "".into()],
            difficulty: None,
            status: None,
        }
    }

    #[test]
    fn choice_questions_get_letter_keys_and_a_kind() {
        let c = QuestionContent::from_parsed(&parsed(ParsedAnswer::Choice {
            options: vec!["60～80次".into(), "100～120次".into(), "140次".into()],
            correct: vec![1],
            multiple: false,
        }))
        .unwrap();
        assert_eq!(c.kind, QuestionKind::Single);
        assert_eq!(c.answer, vec!["B"]);
        assert_eq!(c.options[2].key, "C");
        assert_eq!(c.stem, "成人胸外按压的频率是？");
        assert_eq!(c.tags, vec!["应急救护"]);
        assert_eq!(c.difficulty, DEFAULT_DIFFICULTY);
        assert!(c.is_correct(&["B".into()]));
        assert!(!c.is_correct(&["A".into(), "B".into()]));

        let m = QuestionContent::from_parsed(&parsed(ParsedAnswer::Choice {
            options: vec!["甲".into(), "乙".into(), "丙".into()],
            correct: vec![2, 0],
            multiple: false,
        }))
        .unwrap();
        assert_eq!(m.kind, QuestionKind::Multiple);
        assert_eq!(m.answer, vec!["A", "C"]);
        assert!(m.is_correct(&["C".into(), "A".into()]));
    }

    #[test]
    fn true_false_questions_have_t_and_f() {
        let c = QuestionContent::from_parsed(&parsed(ParsedAnswer::TrueFalse(false))).unwrap();
        assert_eq!(c.kind, QuestionKind::TrueFalse);
        assert_eq!(c.options, true_false_options());
        assert_eq!(c.answer, vec!["F"]);
    }

    #[test]
    fn broken_questions_are_refused_with_a_reason() {
        let none_correct = parsed(ParsedAnswer::Choice {
            options: vec!["甲".into(), "乙".into()],
            correct: vec![],
            multiple: false,
        });
        assert!(
            QuestionContent::from_parsed(&none_correct)
                .unwrap_err()
                .contains("没有标出正确选项")
        );
        let duplicate = parsed(ParsedAnswer::Choice {
            options: vec!["甲".into(), "甲".into()],
            correct: vec![0],
            multiple: false,
        });
        assert!(
            QuestionContent::from_parsed(&duplicate)
                .unwrap_err()
                .contains("内容相同")
        );
        let one_option = parsed(ParsedAnswer::Choice {
            options: vec!["甲".into()],
            correct: vec![0],
            multiple: false,
        });
        assert!(QuestionContent::from_parsed(&one_option).is_err());
    }

    #[test]
    fn hashes_change_with_any_content() {
        let a = QuestionContent::from_parsed(&parsed(ParsedAnswer::TrueFalse(true))).unwrap();
        let mut b = a.clone();
        assert_eq!(a.content_hash(), b.content_hash());
        b.explanation.push('。');
        assert_ne!(a.content_hash(), b.content_hash());
    }

    #[test]
    fn people_write_answers_many_ways() {
        use AnswerText::*;
        assert_eq!(
            parse_answer_text(QuestionKind::Multiple, "A、C").unwrap(),
            Choices(vec![0, 2])
        );
        assert_eq!(
            parse_answer_text(QuestionKind::Single, "b").unwrap(),
            Choices(vec![1])
        );
        assert_eq!(
            parse_answer_text(QuestionKind::TrueFalse, "√").unwrap(),
            Truth(true)
        );
        assert_eq!(
            parse_answer_text(QuestionKind::TrueFalse, "错误").unwrap(),
            Truth(false)
        );
        assert!(parse_answer_text(QuestionKind::Single, "Z").is_err());
        assert!(parse_answer_text(QuestionKind::TrueFalse, "maybe").is_err());
    }
}
