//! What every import format parses into, before any storage. Pure data: no I/O.

/// A question as read from a file, not yet validated against the bank's rules.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedQuestion {
    /// 1-based line where the question starts in the source file.
    pub line: usize,
    /// A stable key from the file when it has one (native `ref`, a spreadsheet `ref` column).
    /// GIFT titles and Moodle names are NOT unique, so those formats leave this `None`.
    pub reference: Option<String>,
    /// The question text as plain text (HTML stripped and entities decoded where the
    /// source format is HTML; plain-text formats keep `<`, `>` and `&` as they are).
    pub stem: String,
    pub answer: ParsedAnswer,
    /// 解析 / general feedback, plain text; empty when the file has none.
    pub explanation: String,
    /// Tags (e.g. a Moodle/GIFT category path's last segment, or a tags column).
    pub tags: Vec<String>,
    /// 1..=5 when the file says so.
    pub difficulty: Option<u8>,
    /// `draft`, `active` or `retired` (or 草稿/启用/停用) when the file says so; else active.
    pub status: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ParsedAnswer {
    /// Choice question: option texts in file order and the 0-based indices of the correct
    /// ones. `multiple` is true when the source says "several may be chosen" (Moodle
    /// `single=false`, GIFT answers with only `~%n%` weights and no `=`).
    Choice {
        options: Vec<String>,
        correct: Vec<usize>,
        multiple: bool,
    },
    /// True/false question with the correct truth value.
    TrueFalse(bool),
}

pub use crate::domain::LineIssue;

/// The outcome of parsing one file.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Parsed {
    pub questions: Vec<ParsedQuestion>,
    /// Well-formed questions of kinds we do not hold (essay, matching, numerical, short
    /// answer, cloze/multianswer, description...): reported, not imported.
    pub skipped: Vec<LineIssue>,
    /// Malformed blocks: any error makes the whole import fail (nothing is written).
    pub errors: Vec<LineIssue>,
}
