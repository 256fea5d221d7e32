//! The native bank format (`safecert-bank/1`): UTF-8 TOML, one `[[questions]]` table per
//! question with a stable `ref`. Documented in question-bank/README.md.

use super::{FileMeta, LineIssue, Parsed, ParsedAnswer, ParsedQuestion, line_of};
use crate::question_bank::content::{
    AnswerText, QuestionContent, QuestionKind, QuestionStatus, parse_answer_text,
};
use serde::{Deserialize, Serialize};

pub const FORMAT_TAG: &str = "safecert-bank/1";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NativeFile {
    format: String,
    bank: String,
    description: Option<String>,
    #[serde(default)]
    questions: Vec<toml::Spanned<NativeQuestion>>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct NativeQuestion {
    #[serde(rename = "ref")]
    reference: String,
    kind: String,
    stem: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    options: Vec<String>,
    answer: String,
    #[serde(default)]
    explanation: String,
    #[serde(default)]
    tags: Vec<String>,
    difficulty: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<String>,
}

pub fn parse(text: &str) -> (FileMeta, Parsed) {
    let file: NativeFile = match toml::from_str(text) {
        Ok(file) => file,
        Err(err) => {
            let line = err.span().map(|s| line_of(text, s.start)).unwrap_or(1);
            return (
                FileMeta::default(),
                Parsed::error(line, err.message().to_string()),
            );
        }
    };
    let mut parsed = Parsed::default();
    if file.format != FORMAT_TAG {
        parsed.errors.push(LineIssue {
            line: 1,
            reason: format!("format 必须是 \"{FORMAT_TAG}\"，实际为 {:?}", file.format),
        });
    }
    for spanned in file.questions {
        let line = line_of(text, spanned.span().start);
        let q = spanned.into_inner();
        match native_question(q, line) {
            Ok(question) => parsed.questions.push(question),
            Err(reason) => parsed.errors.push(LineIssue { line, reason }),
        }
    }
    let meta = FileMeta {
        bank: Some(file.bank.trim().to_string()).filter(|b| !b.is_empty()),
        description: file.description,
    };
    (meta, parsed)
}

fn native_question(q: NativeQuestion, line: usize) -> Result<ParsedQuestion, String> {
    let reference = q.reference.trim().to_string();
    if reference.is_empty() || reference.chars().count() > 64 {
        return Err("ref 的长度必须为1到64个字符".into());
    }
    let kind = QuestionKind::parse(&q.kind).ok_or_else(|| {
        format!(
            "{}：kind 必须是 single、multiple 或 true_false，实际为 {:?}",
            reference, q.kind
        )
    })?;
    let answer = match (
        kind,
        parse_answer_text(kind, &q.answer).map_err(|e| format!("{reference}：{e}"))?,
    ) {
        (QuestionKind::TrueFalse, AnswerText::Truth(truth)) => {
            if !q.options.is_empty() {
                return Err(format!("{reference}：判断题（true_false）不能填写 options"));
            }
            ParsedAnswer::TrueFalse(truth)
        }
        (_, AnswerText::Choices(correct)) => ParsedAnswer::Choice {
            options: q.options,
            correct,
            multiple: kind == QuestionKind::Multiple,
        },
        (_, AnswerText::Truth(_)) => unreachable!("only true_false parses to a truth value"),
    };
    if kind == QuestionKind::Single
        && let ParsedAnswer::Choice { correct, .. } = &answer
        && correct.len() != 1
    {
        return Err(format!(
            "{reference}：单选题（single）必须恰好有一个正确答案"
        ));
    }
    if let Some(status) = &q.status
        && QuestionStatus::parse(status).is_none()
    {
        return Err(format!(
            "{reference}：status 必须是 draft、active 或 retired"
        ));
    }
    Ok(ParsedQuestion {
        line,
        reference: Some(reference),
        stem: q.stem,
        answer,
        explanation: q.explanation,
        tags: q.tags,
        difficulty: q.difficulty,
        status: q.status,
    })
}

/// One question as the native format writes it.
pub struct ExportQuestion<'a> {
    pub reference: &'a str,
    pub content: &'a QuestionContent,
    pub status: QuestionStatus,
}

/// Writes a bank in the native format; importing the result gives the same questions.
pub fn export(bank: &str, description: Option<&str>, questions: &[ExportQuestion<'_>]) -> String {
    #[derive(Serialize)]
    struct Out<'a> {
        format: &'a str,
        bank: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        description: Option<&'a str>,
        questions: Vec<NativeQuestion>,
    }
    let questions = questions
        .iter()
        .map(|q| NativeQuestion {
            reference: q.reference.to_string(),
            kind: q.content.kind.as_str().to_string(),
            stem: q.content.stem.clone(),
            options: if q.content.kind == QuestionKind::TrueFalse {
                Vec::new()
            } else {
                q.content.options.iter().map(|o| o.text.clone()).collect()
            },
            answer: q.content.answer.concat(),
            explanation: q.content.explanation.clone(),
            tags: q.content.tags.clone(),
            difficulty: Some(q.content.difficulty),
            status: (q.status != QuestionStatus::Active).then(|| q.status.as_str().to_string()),
        })
        .collect();
    toml::to_string(&Out {
        format: FORMAT_TAG,
        bank,
        description,
        questions,
    })
    .expect("a bank serialises to TOML")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"format = "safecert-bank/1"
bank = "应急第一响应人"

[[questions]]
ref = "FR-CPR-001"
kind = "single"
stem = "成人胸外按压的频率应为每分钟多少次？"
options = ["60～80次", "80～100次", "100～120次", "120～140次"]
answer = "C"
explanation = "每分钟100～120次。"
tags = ["应急救护", "心肺复苏"]
difficulty = 2

[[questions]]
ref = "FR-CPR-002"
kind = "true_false"
stem = "施救前应先确认现场环境安全。"
answer = "T"
tags = ["应急救护"]
difficulty = 1
"#;

    #[test]
    fn reads_questions_with_their_lines() {
        let (meta, parsed) = parse(SAMPLE);
        assert_eq!(meta.bank.as_deref(), Some("应急第一响应人"));
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.questions.len(), 2);
        assert_eq!(parsed.questions[0].line, 4);
        assert_eq!(parsed.questions[1].line, 14);
        assert_eq!(parsed.questions[1].answer, ParsedAnswer::TrueFalse(true));
    }

    #[test]
    fn names_the_line_of_a_bad_question_or_syntax_error() {
        let bad_kind = SAMPLE.replace("kind = \"true_false\"", "kind = \"essay\"");
        let (_, parsed) = parse(&bad_kind);
        assert_eq!(parsed.errors.len(), 1);
        assert_eq!(parsed.errors[0].line, 14);
        assert!(parsed.errors[0].reason.contains("FR-CPR-002"));

        let broken = SAMPLE.replace("difficulty = 1", "difficulty = ");
        let (_, parsed) = parse(&broken);
        assert_eq!(parsed.errors.len(), 1);
        assert_eq!(parsed.errors[0].line, 20);
    }

    #[test]
    fn export_round_trips() {
        let (_, parsed) = parse(SAMPLE);
        let contents: Vec<QuestionContent> = parsed
            .questions
            .iter()
            .map(|q| QuestionContent::from_parsed(q).unwrap())
            .collect();
        let refs = ["FR-CPR-001", "FR-CPR-002"];
        let out = export(
            "应急第一响应人",
            None,
            &contents
                .iter()
                .zip(refs)
                .map(|(c, r)| ExportQuestion {
                    reference: r,
                    content: c,
                    status: QuestionStatus::Active,
                })
                .collect::<Vec<_>>(),
        );
        let (_, again) = parse(&out);
        assert!(again.errors.is_empty(), "{:?}\n{out}", again.errors);
        let back: Vec<QuestionContent> = again
            .questions
            .iter()
            .map(|q| QuestionContent::from_parsed(q).unwrap())
            .collect();
        assert_eq!(back, contents);
    }
}
