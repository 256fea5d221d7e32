//! Reading question files: the native TOML format, the spreadsheet template (CSV, xlsx),
//! Moodle XML, GIFT and Aiken. Every reader turns a file into [`Parsed`]: questions with
//! their line, questions of kinds we do not hold (skipped), and malformed blocks (errors).

mod aiken;
mod gift;
mod html;
mod moodle_xml;
pub mod native;
mod spreadsheet;

/// Writing the spreadsheet template.
pub mod spreadsheet_export {
    pub use super::spreadsheet::{ExportRow, export_xlsx};
}
mod types;

pub use types::{LineIssue, Parsed, ParsedAnswer, ParsedQuestion};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, poem_openapi::Enum)]
#[serde(rename_all = "lowercase")]
#[oai(rename_all = "lowercase")]
pub enum Format {
    Native,
    Xlsx,
    Csv,
    Moodlexml,
    Gift,
    Aiken,
}

impl Format {
    pub fn parse(name: &str) -> Option<Self> {
        match name.trim().to_lowercase().as_str() {
            "native" | "toml" => Some(Format::Native),
            "xlsx" => Some(Format::Xlsx),
            "csv" => Some(Format::Csv),
            "moodlexml" | "xml" | "moodle" => Some(Format::Moodlexml),
            "gift" => Some(Format::Gift),
            "aiken" => Some(Format::Aiken),
            _ => None,
        }
    }

    /// Guesses the format from a file name (`.toml`, `.xlsx`, `.csv`, `.xml`, `.gift`,
    /// `.aiken`, or Moodle's `*.gift.txt` / `*.aiken.txt`).
    pub fn from_path(path: &str) -> Option<Self> {
        let lower = path.to_lowercase();
        let ext = |e: &str| lower.ends_with(e);
        if ext(".toml") {
            Some(Format::Native)
        } else if ext(".xlsx") {
            Some(Format::Xlsx)
        } else if ext(".csv") {
            Some(Format::Csv)
        } else if ext(".xml") {
            Some(Format::Moodlexml)
        } else if ext(".gift") || ext(".gift.txt") {
            Some(Format::Gift)
        } else if ext(".aiken") || ext(".aiken.txt") {
            Some(Format::Aiken)
        } else {
            None
        }
    }
}

/// What the file itself says about the bank (native files name theirs).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileMeta {
    pub bank: Option<String>,
    pub description: Option<String>,
}

/// Reads `bytes` as `format`. Text formats must be UTF-8 (a BOM is fine); CSV saved by a
/// Chinese Excel in GB18030/GBK is decoded too.
pub fn parse(format: Format, bytes: &[u8]) -> (FileMeta, Parsed) {
    if format == Format::Xlsx {
        return (FileMeta::default(), spreadsheet::parse_xlsx(bytes));
    }
    if format == Format::Csv {
        return (FileMeta::default(), spreadsheet::parse_csv(bytes));
    }
    let text = match utf8_text(bytes) {
        Ok(text) => text,
        Err(reason) => return (FileMeta::default(), Parsed::error(1, reason)),
    };
    match format {
        Format::Native => native::parse(&text),
        Format::Moodlexml => (FileMeta::default(), moodle_xml::parse(&text)),
        Format::Gift => (FileMeta::default(), gift::parse(&text)),
        Format::Aiken => (FileMeta::default(), aiken::parse(&text)),
        Format::Xlsx | Format::Csv => unreachable!("handled above"),
    }
}

fn utf8_text(bytes: &[u8]) -> Result<String, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    String::from_utf8(bytes.to_vec()).map_err(|e| {
        format!(
            "文件不是 UTF-8 编码的文本（偏移量 {} 处有无效字节），请将文件另存为 UTF-8 编码",
            e.utf8_error().valid_up_to()
        )
    })
}

impl Parsed {
    pub fn error(line: usize, reason: impl Into<String>) -> Self {
        Parsed {
            errors: vec![LineIssue {
                line,
                reason: reason.into(),
            }],
            ..Parsed::default()
        }
    }
}

/// 1-based line number of byte `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_from_names_and_paths() {
        assert_eq!(Format::parse("MoodleXML"), Some(Format::Moodlexml));
        assert_eq!(Format::from_path("bank/应急.toml"), Some(Format::Native));
        assert_eq!(Format::from_path("questions.gift.txt"), Some(Format::Gift));
        assert_eq!(Format::from_path("x.aiken.txt"), Some(Format::Aiken));
        assert_eq!(Format::from_path("x.pdf"), None);
    }

    /// One HTML-to-text path: the same HTML stem reads the same through GIFT and Moodle XML,
    /// entities the old GIFT table lacked included.
    #[test]
    fn html_reads_the_same_through_gift_and_moodle_xml() {
        let html =
            "<p>&eacute;t&eacute; &#150; 应急<b>管理</b>&nbsp;局</p><p>&Omega; &le; 3&trade;</p>";
        let gift = format!("::Q:: [html]{} {{T}}\n", html.replace('#', "\\#"));
        let xml = format!(
            "<quiz><question type=\"truefalse\"><name><text>Q</text></name>\
             <questiontext format=\"html\"><text><![CDATA[{html}]]></text></questiontext>\
             <answer fraction=\"100\"><text>true</text></answer>\
             <answer fraction=\"0\"><text>false</text></answer></question></quiz>"
        );
        let (_, from_gift) = parse(Format::Gift, gift.as_bytes());
        let (_, from_xml) = parse(Format::Moodlexml, xml.as_bytes());
        assert!(from_gift.errors.is_empty() && from_xml.errors.is_empty());
        assert_eq!(from_gift.questions[0].stem, "été – 应急管理 局 Ω ≤ 3™");
        assert_eq!(from_gift.questions[0].stem, from_xml.questions[0].stem);
    }

    #[test]
    fn non_utf8_text_is_an_error_not_garbage() {
        let (_, parsed) = parse(Format::Gift, b"\xff\xfe::Q:: x {T}");
        assert_eq!(parsed.errors.len(), 1);
        assert!(parsed.errors[0].reason.contains("UTF-8"));
    }
}
