//! The spreadsheet template bureau staff keep banks in (CSV or xlsx, first sheet): a header
//! row, then one question per row. Column names in English or Chinese:
//!
//! | column | 列名 | |
//! | --- | --- | --- |
//! | ref | 编号 | optional stable key |
//! | kind | 题型 | single/单选, multiple/多选, true_false/判断 |
//! | stem | 题干 | |
//! | option_a … option_h | 选项A … 选项H | empty for 判断 |
//! | answer | 答案 | `C`, `ABD`, `A,B`, 正确/错误, 对/错, √/× |
//! | explanation | 解析 | optional |
//! | tags | 标签 | optional, separated by `;` `；` `,` `，` `、` or `|` |
//! | difficulty | 难度 | optional, 1-5 |
//! | status | 状态 | optional: active/启用, draft/草稿, retired/停用 |
//!
//! Other columns are ignored. Line numbers are spreadsheet row numbers (the header is row 1).

use super::{LineIssue, Parsed, ParsedAnswer, ParsedQuestion};
use crate::question_bank::content::{AnswerText, QuestionKind, QuestionStatus, parse_answer_text};

/// The columns, in the order the export writes them.
pub const HEADERS: [&str; 15] = [
    "ref",
    "kind",
    "stem",
    "option_a",
    "option_b",
    "option_c",
    "option_d",
    "option_e",
    "option_f",
    "option_g",
    "option_h",
    "answer",
    "explanation",
    "tags",
    "difficulty",
];
pub const STATUS_HEADER: &str = "status";

#[derive(Default)]
struct Columns {
    reference: Option<usize>,
    kind: Option<usize>,
    stem: Option<usize>,
    options: [Option<usize>; 8],
    answer: Option<usize>,
    explanation: Option<usize>,
    tags: Option<usize>,
    difficulty: Option<usize>,
    status: Option<usize>,
}

fn columns(header: &[String]) -> Result<Columns, String> {
    let mut c = Columns::default();
    for (i, name) in header.iter().enumerate() {
        let name = name.trim().trim_start_matches('\u{feff}').to_lowercase();
        let option_letter = name
            .strip_prefix("option_")
            .or_else(|| name.strip_prefix("选项"))
            .filter(|l| l.chars().count() == 1)
            .and_then(|l| l.chars().next())
            .map(|l| l.to_ascii_uppercase());
        match (name.as_str(), option_letter) {
            (_, Some(l @ 'A'..='H')) => c.options[l as usize - 'A' as usize] = Some(i),
            ("ref" | "编号" | "试题编号", _) => c.reference = Some(i),
            ("kind" | "题型" | "类型", _) => c.kind = Some(i),
            ("stem" | "题干" | "题目", _) => c.stem = Some(i),
            ("answer" | "答案" | "正确答案", _) => c.answer = Some(i),
            ("explanation" | "解析" | "答案解析", _) => c.explanation = Some(i),
            ("tags" | "标签" | "知识点", _) => c.tags = Some(i),
            ("difficulty" | "难度", _) => c.difficulty = Some(i),
            ("status" | "状态", _) => c.status = Some(i),
            _ => {}
        }
    }
    let mut missing = Vec::new();
    if c.kind.is_none() {
        missing.push("kind/题型");
    }
    if c.stem.is_none() {
        missing.push("stem/题干");
    }
    if c.answer.is_none() {
        missing.push("answer/答案");
    }
    if !missing.is_empty() {
        return Err(format!(
            "表头行缺少以下列：{}；模板格式请参阅 question-bank/README.md",
            missing.join("、")
        ));
    }
    Ok(c)
}

/// Parses rows (the first is the header); `rows[i]` is spreadsheet row `i + 1`.
fn parse_rows(rows: Vec<Vec<String>>) -> Parsed {
    let mut parsed = Parsed::default();
    // The header is the first row with anything in it (sheets often start with blank rows).
    let mut rows = rows
        .into_iter()
        .enumerate()
        .skip_while(|(_, r)| r.iter().all(|c| c.trim().is_empty()));
    let Some((header_index, header)) = rows.next() else {
        return Parsed::error(1, "文件为空：应包含一行表头及其下方的题目");
    };
    let cols = match columns(&header) {
        Ok(c) => c,
        Err(reason) => return Parsed::error(header_index + 1, reason),
    };
    for (i, row) in rows {
        let line = i + 1;
        if row.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        match parse_row(&cols, &row, line) {
            Ok(q) => parsed.questions.push(q),
            Err(reason) => parsed.errors.push(LineIssue { line, reason }),
        }
    }
    if parsed.questions.is_empty() && parsed.errors.is_empty() {
        parsed.errors.push(LineIssue {
            line: 2,
            reason: "表头行下方没有题目".into(),
        });
    }
    parsed
}

fn parse_row(cols: &Columns, row: &[String], line: usize) -> Result<ParsedQuestion, String> {
    let cell = |c: Option<usize>| -> String {
        c.and_then(|i| row.get(i))
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let kind_text = cell(cols.kind);
    let kind = QuestionKind::parse(&kind_text).ok_or_else(|| {
        format!(
            "kind/题型 必须是 single/单选、multiple/多选 或 true_false/判断，实际填写为 {kind_text:?}"
        )
    })?;
    let options: Vec<String> = {
        let cells: Vec<String> = cols.options.iter().map(|c| cell(*c)).collect();
        let last = cells
            .iter()
            .rposition(|c| !c.is_empty())
            .map_or(0, |i| i + 1);
        if let Some(gap) = cells[..last].iter().position(String::is_empty) {
            return Err(format!(
                "选项 {} 为空，但后面的选项已填写",
                (b'A' + gap as u8) as char
            ));
        }
        cells[..last].to_vec()
    };
    let answer = match parse_answer_text(kind, &cell(cols.answer))? {
        AnswerText::Truth(truth) => ParsedAnswer::TrueFalse(truth),
        AnswerText::Choices(correct) => {
            if let Some(i) = correct.iter().find(|i| **i >= options.len()) {
                return Err(format!("答案 {} 对应的选项为空", (b'A' + *i as u8) as char));
            }
            ParsedAnswer::Choice {
                options,
                correct,
                multiple: kind == QuestionKind::Multiple,
            }
        }
    };
    let difficulty = match cell(cols.difficulty).as_str() {
        "" => None,
        text => Some(
            text.parse::<f64>()
                .ok()
                .filter(|d| d.fract() == 0.0 && (1.0..=5.0).contains(d))
                .map(|d| d as u8)
                .ok_or_else(|| format!("difficulty/难度 必须是1到5的整数，实际填写为 {text:?}"))?,
        ),
    };
    let status = match cell(cols.status) {
        s if s.is_empty() => None,
        s if QuestionStatus::parse(&s).is_some() => Some(s),
        s => {
            return Err(format!(
                "status/状态 必须是 active/启用、draft/草稿 或 retired/停用，实际填写为 {s:?}"
            ));
        }
    };
    let reference = Some(cell(cols.reference)).filter(|r| !r.is_empty());
    Ok(ParsedQuestion {
        line,
        reference,
        stem: cell(cols.stem),
        answer,
        explanation: cell(cols.explanation),
        tags: split_tags(&cell(cols.tags)),
        difficulty,
        status,
    })
}

pub fn split_tags(text: &str) -> Vec<String> {
    text.split([';', '；', ',', '，', '、', '|'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

pub fn parse_csv(bytes: &[u8]) -> Parsed {
    match crate::tabular::csv_rows(bytes) {
        Ok(rows) => parse_rows(rows),
        Err((line, reason)) => Parsed::error(line, reason),
    }
}

pub fn parse_xlsx(bytes: &[u8]) -> Parsed {
    match crate::tabular::xlsx_rows(bytes) {
        Ok(rows) => parse_rows(rows),
        Err((line, reason)) => Parsed::error(line, reason),
    }
}

/// One row of an export.
pub struct ExportRow<'a> {
    pub reference: &'a str,
    pub content: &'a crate::question_bank::content::QuestionContent,
    pub status: QuestionStatus,
}

/// Writes the template as an xlsx workbook; importing it gives the same questions.
pub fn export_xlsx(
    sheet_name: &str,
    rows: &[ExportRow<'_>],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let name: String = sheet_name
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
        .take(31)
        .collect();
    if !name.is_empty() {
        sheet.set_name(name)?;
    }
    let bold = Format::new().set_bold();
    for (col, header) in HEADERS.iter().chain([&STATUS_HEADER]).enumerate() {
        sheet.write_string_with_format(0, col as u16, *header, &bold)?;
    }
    for (i, row) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        let c = row.content;
        sheet.write_string(r, 0, row.reference)?;
        sheet.write_string(r, 1, c.kind.as_str())?;
        sheet.write_string(r, 2, &c.stem)?;
        if c.kind != QuestionKind::TrueFalse {
            for (j, option) in c.options.iter().enumerate() {
                sheet.write_string(r, 3 + j as u16, &option.text)?;
            }
        }
        sheet.write_string(r, 11, c.answer.concat())?;
        sheet.write_string(r, 12, &c.explanation)?;
        sheet.write_string(r, 13, c.tags.join(";"))?;
        sheet.write_number(r, 14, f64::from(c.difficulty))?;
        sheet.write_string(r, 15, row.status.as_str())?;
    }
    workbook.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_chinese_headers_and_answers() {
        let csv = "题型,题干,选项A,选项B,选项C,选项D,答案,解析,标签,难度\n\
                   单选,发生火灾应拨打？,110,119,120,122,B,火警电话119,消防安全；报警,1\n\
                   多选,\"灭火的基本方法有哪些？\",冷却法,窒息法,隔离法,加热法,\"A,B,C\",,消防安全,2\n\
                   判断,电梯可用于火场逃生。,,,,,错误,火灾时不得乘电梯,,\n";
        let parsed = parse_csv(csv.as_bytes());
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.questions.len(), 3);
        assert_eq!(parsed.questions[0].line, 2);
        assert_eq!(parsed.questions[0].tags, vec!["消防安全", "报警"]);
        assert_eq!(
            parsed.questions[1].answer,
            ParsedAnswer::Choice {
                options: vec![
                    "冷却法".into(),
                    "窒息法".into(),
                    "隔离法".into(),
                    "加热法".into()
                ],
                correct: vec![0, 1, 2],
                multiple: true
            }
        );
        assert_eq!(parsed.questions[2].answer, ParsedAnswer::TrueFalse(false));
    }

    #[test]
    fn gbk_csv_from_excel_is_read() {
        let csv = "题型,题干,选项A,选项B,答案\n单选,发生火灾应拨打？,110,119,B\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(csv);
        let parsed = parse_csv(&gbk);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.questions[0].stem, "发生火灾应拨打？");
    }

    #[test]
    fn bad_rows_are_named_by_row_number() {
        let csv = "kind,stem,option_a,option_b,answer\n\
                   single,ok?,yes,no,A\n\
                   single,bad answer,yes,no,C\n\
                   essay,bad kind,,,A\n";
        let parsed = parse_csv(csv.as_bytes());
        assert_eq!(parsed.questions.len(), 1);
        let lines: Vec<usize> = parsed.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![3, 4]);
        assert!(parsed.errors[0].reason.contains("答案 C 对应的选项为空"));

        let no_header = parse_csv("a,b,c\n1,2,3\n".as_bytes());
        assert_eq!(no_header.errors[0].line, 1);
        assert!(no_header.errors[0].reason.contains("kind"));
    }
}
