use super::html::html_to_text;
use super::types::{LineIssue, Parsed, ParsedAnswer, ParsedQuestion};

// Moodle GIFT import (GIFT 格式题库导入): turns a GIFT text file into `Parsed`.
//
// It follows Moodle's own importer (`question/format/gift/format.php`): questions are blocks
// of lines separated by blank lines, `//` lines are comments, `$CATEGORY:` switches the
// category, `::title::` and `[html]`-style format markers are optional, `\` escapes the
// control characters, and the content of the `{...}` answer block decides the question type.
// Only single-choice, multiple-choice and true/false questions come out as questions; the
// other GIFT types are reported in `skipped` and broken blocks in `errors`. Pure text in,
// data out: no I/O, and no input makes it panic.

/// The blank that replaces the answer block in a missing-word question (Moodle's own).
const BLANK: &str = "_____";

/// While a block is taken apart, escaped control characters stand in as Unicode
/// noncharacters, so `\~ \= \# \{ \} \:` are never read as syntax (Moodle swaps them for
/// `&&061;`-style placeholders for the same reason). `\n` gets one too, so that line counting
/// inside a block stays exact.
const ESCAPES: [(char, char); 7] = [
    (':', '\u{FDD0}'),
    ('#', '\u{FDD1}'),
    ('=', '\u{FDD2}'),
    ('{', '\u{FDD3}'),
    ('}', '\u{FDD4}'),
    ('~', '\u{FDD5}'),
    ('n', '\u{FDD6}'),
];

const SUPPORTED: &str = "仅导入单选题、多选题和判断题";

/// Parses a whole GIFT file. See the module documentation for what goes where.
pub fn parse(text: &str) -> Parsed {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut parsed = Parsed::default();
    let mut category: Option<String> = None;
    let mut block = Block::default();
    for (index, raw) in text.split('\n').enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            block.flush(&mut category, &mut parsed);
        } else if line.starts_with("//") {
            block.comments.push(line);
        } else {
            block.lines.push((index + 1, line));
        }
    }
    block.flush(&mut category, &mut parsed);
    parsed
}

/// The non-blank lines between two blank lines: the question's lines (1-based number, trimmed
/// text) and, apart, its comment lines, which may carry Moodle's `[tag:...]` markers.
#[derive(Default)]
struct Block<'a> {
    lines: Vec<(usize, &'a str)>,
    comments: Vec<&'a str>,
}

impl Block<'_> {
    fn flush(&mut self, category: &mut Option<String>, parsed: &mut Parsed) {
        let Block {
            mut lines,
            comments,
        } = std::mem::take(self);
        // A `$CATEGORY:` line applies to the questions after it. Moodle wants it alone in its
        // block; a question written right under it (no blank line) is still read as one.
        if let Some(&(_, first)) = lines.first()
            && let Some(path) = first.strip_prefix("$CATEGORY:")
        {
            *category = category_tag(&restore(&protect(path)));
            lines.remove(0);
        }
        let Some(&(line, _)) = lines.first() else {
            return; // only comments, or only the category line
        };
        match read_question(&lines, &comments, category.as_deref()) {
            Ok(Read::Question(question)) => parsed.questions.push(question),
            Ok(Read::Skipped(reason)) => parsed.skipped.push(LineIssue { line, reason }),
            Err(reason) => parsed.errors.push(LineIssue { line, reason }),
        }
    }
}

enum Read {
    Question(ParsedQuestion),
    Skipped(String),
}

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Moodle,
    Html,
    Plain,
    Markdown,
}

/// Reads one question block (Moodle's `readquestion`). `Err` is a malformed block.
fn read_question(
    lines: &[(usize, &str)],
    comments: &[&str],
    category: Option<&str>,
) -> Result<Read, String> {
    let joined: Vec<&str> = lines.iter().map(|&(_, text)| text).collect();
    let whole = protect(&joined.join("\n"));
    // Line number of a byte offset into `whole` (every '\n' in it is a line break of the file).
    let line_at = |sub: &str, offset: usize| {
        let at = offset_in(&whole, sub) + offset;
        let breaks = whole.get(..at).map_or(0, |s| s.matches('\n').count());
        lines.get(breaks).or(lines.last()).map_or(0, |&(n, _)| n)
    };

    let mut text = whole.trim();
    let mut title = String::new();
    if let Some(rest) = text.strip_prefix("::") {
        text = rest;
        if let Some(end) = rest.find("::") {
            title = restore(&rest[..end]).trim().to_string();
            text = rest[end + 2..].trim();
        }
    }
    let kind = |name: &str| {
        if title.is_empty() {
            format!("{name}题")
        } else {
            format!("{name}题\"{title}\"")
        }
    };
    let skip = |name: &str| {
        Ok(Read::Skipped(format!(
            "{}：已跳过，{SUPPORTED}",
            kind(name)
        )))
    };

    let (open, close) = match (text.find('{'), text.find('}')) {
        (None, None) => return skip("没有答案块的描述"),
        (Some(open), None) => {
            return Err(format!(
                "第{}行的 `{{` 没有闭合：答案块缺少 `}}`",
                line_at(text, open)
            ));
        }
        (None, Some(close)) => {
            return Err(format!(
                "第{}行的 `}}` 没有对应的 `{{`",
                line_at(text, close)
            ));
        }
        (Some(open), Some(close)) if close < open => {
            return Err(format!(
                "第{}行的 `}}` 出现在答案块的 `{{` 之前",
                line_at(text, close)
            ));
        }
        (Some(open), Some(close)) => (open, close),
    };
    let inner = &text[open + 1..close];
    if let Some(nested) = inner.find('{') {
        return Err(format!(
            "第{}行的 `{{` 没有闭合：在出现 `}}` 之前，第{}行又出现了 `{{`",
            line_at(text, open),
            line_at(inner, nested)
        ));
    }
    let after = &text[close + 1..];
    if let Some(second) = after.find('{') {
        return Err(format!(
            "第{}行开始了第二个答案块：题目之间请用空行分隔",
            line_at(after, second)
        ));
    }
    if let Some(stray) = after.find('}') {
        return Err(format!(
            "第{}行的 `}}` 没有对应的 `{{`",
            line_at(after, stray)
        ));
    }

    // Text after the block makes it a missing-word question (Moodle inserts the blank even
    // when only `.` follows). Stray quotes/semicolons such as the `";` in Moodle's own fixture
    // are dropped instead: they are export debris, not part of the sentence.
    let trailing = after.trim();
    let stem_source = if trailing.is_empty() || trailing.chars().all(is_debris) {
        text[..open].to_string()
    } else {
        format!("{}{BLANK}{}", &text[..open], after)
    };
    let (stem, format) = render(&stem_source, Format::Moodle);

    // General feedback (解析): after the last `####` in the answer block, for every type.
    let mut answer = inner.trim();
    let mut general = "";
    if let Some(at) = answer.rfind("####") {
        general = &answer[at + 4..];
        answer = answer[..at].trim();
    }

    // Moodle decides the type in this order; only its MC and TF come through.
    let head = answer.split('#').next().unwrap_or_default().trim();
    let parsed_answer = if answer.is_empty() {
        return skip("论述");
    } else if answer.starts_with('#') {
        return skip("数值");
    } else if answer.contains('~') {
        read_choice(answer, format)?
    } else if answer.contains('=') && answer.contains("->") {
        return skip("匹配");
    } else if ["T", "TRUE", "F", "FALSE"].contains(&head) {
        ParsedAnswer::TrueFalse(head.starts_with('T'))
    } else if ["T", "TRUE", "F", "FALSE"]
        .iter()
        .any(|tf| tf.eq_ignore_ascii_case(head))
    {
        // Moodle's check is case-sensitive: `{true}` is a short answer there too.
        return skip(
            "判断题答案须写作 `{T}`、`{TRUE}`、`{F}` 或 `{FALSE}`（区分大小写），否则视为简答",
        );
    } else {
        return skip("简答");
    };

    if stem.is_empty() {
        return Err(format!("{}没有题干", kind("该")));
    }
    let mut tags: Vec<String> = category.map(str::to_string).into_iter().collect();
    for tag in comments.iter().flat_map(|comment| comment_tags(comment)) {
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    Ok(Read::Question(ParsedQuestion {
        line: lines[0].0,
        reference: None, // GIFT titles are not unique (see `ParsedQuestion::reference`)
        stem,
        answer: parsed_answer,
        explanation: render(general, format).0,
        tags,
        difficulty: None,
        status: None,
    }))
}

/// Reads a multiple-choice answer block: `=` right, `~` wrong, `%n%` weights, `#` feedback.
fn read_choice(answer: &str, format: Format) -> Result<ParsedAnswer, String> {
    // Moodle: replace "=" by "~=", split on "~", drop a blank first piece.
    let mut pieces: Vec<(Option<char>, &str)> = Vec::new();
    let (mut marker, mut start) = (None, 0);
    for (at, ch) in answer.char_indices() {
        if ch == '~' || ch == '=' {
            pieces.push((marker, &answer[start..at]));
            (marker, start) = (Some(ch), at + 1);
        }
    }
    pieces.push((marker, &answer[start..]));
    if matches!(pieces.first(), Some((None, text)) if text.trim().is_empty()) {
        pieces.remove(0);
    }

    let mut options = Vec::new();
    let mut weights = Vec::new();
    for (marker, piece) in pieces {
        let piece = piece.trim();
        let (weight, body) = match (split_weight(piece), marker) {
            (Some((weight, rest)), _) => (weight, rest),
            (None, Some('=')) => (100.0, piece),
            (None, _) => (0.0, piece),
        };
        // Per-option feedback (after `#`) is not kept.
        let (text, _) = render(body.split('#').next().unwrap_or_default(), format);
        if text.is_empty() {
            return Err(format!("选择题的第{}个选项为空", options.len() + 1));
        }
        options.push(text);
        weights.push(weight);
    }
    if options.len() < 2 {
        return Err(format!(
            "选择题至少需要2个选项，此题只有{}个",
            options.len()
        ));
    }

    let full: Vec<usize> = (0..weights.len())
        .filter(|&i| weights[i] >= 100.0)
        .collect();
    match full.len() {
        // Partial-credit options beside the one full answer count as wrong for us.
        1 => Ok(ParsedAnswer::Choice {
            options,
            correct: full,
            multiple: false,
        }),
        0 => {
            let correct: Vec<usize> = (0..weights.len()).filter(|&i| weights[i] > 0.0).collect();
            if correct.is_empty() {
                Err("选择题没有正确选项：请用 `=` 标出一个，\
                     或用正数权重 `~%n%` 标出多个"
                    .to_string())
            } else {
                Ok(ParsedAnswer::Choice {
                    options,
                    correct,
                    multiple: true,
                })
            }
        }
        // Moodle would accept either as full marks in a one-answer question; an exam must
        // not guess which the author meant.
        n => Err(format!(
            "有{n}个选项被标为完全正确（`=` 或 `%100%`），但单选题只能有一个；\
             若有多个正确答案，请改用合计为100的正数权重 `~%n%`"
        )),
    }
}

/// A leading `%n%` weight (Moodle's `^%-*([0-9]{1,2})\.?([0-9]*)%`): the percentage and the
/// rest of the option. `None` when there is no well-formed weight.
fn split_weight(piece: &str) -> Option<(f64, &str)> {
    let rest = piece.strip_prefix('%')?;
    let (number, after) = rest.split_once('%')?;
    let digits = number.trim_start_matches('-');
    let negative = digits.len() != number.len();
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let is_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !is_digits(int) || !is_digits(frac) {
        return None;
    }
    let value: f64 = format!("{int}.{frac}0").parse().ok()?;
    Some((if negative { -value } else { value }, after))
}

/// Moodle's `parse_text_with_format`: an optional `[html]`, `[moodle]`, `[plain]` or
/// `[markdown]` marker (anything else is text), escapes restored, and for HTML the tags
/// stripped and entities decoded. Returns the text and the format it was in.
fn render(raw: &str, default: Format) -> (String, Format) {
    let raw = raw.trim();
    let marked = raw.strip_prefix('[').and_then(|rest| rest.split_once(']'));
    let (format, body) = match marked {
        Some(("html", body)) => (Format::Html, body),
        Some(("moodle", body)) => (Format::Moodle, body),
        Some(("plain", body)) => (Format::Plain, body),
        Some(("markdown", body)) => (Format::Markdown, body),
        _ => (default, raw),
    };
    let body = restore(body);
    let text = match format {
        Format::Html => html_to_text(&body),
        Format::Moodle | Format::Plain | Format::Markdown => body.trim().to_string(),
    };
    (text, format)
}

/// Swaps escaped control characters for placeholders (`\\` becomes a plain backslash).
fn protect(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        if ESCAPES.iter().any(|&(_, placeholder)| placeholder == ch) {
            continue; // a noncharacter in the input would be mistaken for an escape
        }
        if ch != '\\' {
            out.push(ch);
            continue;
        }
        match chars.peek().copied() {
            Some('\\') => {
                chars.next();
                out.push('\\');
            }
            Some(next) => match ESCAPES.iter().find(|&&(escaped, _)| escaped == next) {
                Some(&(_, placeholder)) => {
                    chars.next();
                    out.push(placeholder);
                }
                None => out.push('\\'),
            },
            None => out.push('\\'),
        }
    }
    out
}

/// Turns placeholders back into the characters they stand for.
fn restore(text: &str) -> String {
    text.chars()
        .map(
            |ch| match ESCAPES.iter().find(|&&(_, placeholder)| placeholder == ch) {
                Some(&('n', _)) => '\n',
                Some(&(escaped, _)) => escaped,
                None => ch,
            },
        )
        .collect()
}

/// Byte offset of `inner`, a subslice of `outer`, within `outer`.
fn offset_in(outer: &str, inner: &str) -> usize {
    (inner.as_ptr() as usize).saturating_sub(outer.as_ptr() as usize)
}

fn is_debris(ch: char) -> bool {
    matches!(ch, '"' | '\'' | ';' | '`') || ch.is_whitespace()
}

/// The tag for a `$CATEGORY:` path: its last segment, without the `$course$`-style context
/// or `top`. In Moodle category paths `//` is a literal `/`.
fn category_tag(path: &str) -> Option<String> {
    let mut segments = vec![String::new()];
    let mut chars = path.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '/' if chars.peek() == Some(&'/') => {
                chars.next();
                segments.last_mut()?.push('/');
            }
            '/' => segments.push(String::new()),
            _ => segments.last_mut()?.push(ch),
        }
    }
    let mut segments: Vec<String> = segments
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if segments
        .first()
        .is_some_and(|s| s.len() > 1 && s.starts_with('$') && s.ends_with('$'))
    {
        segments.remove(0);
    }
    if segments.first().is_some_and(|s| s == "top") {
        segments.remove(0);
    }
    segments.pop()
}

/// Moodle's `[tag:...]` markers in a comment line (`\]` is a literal `]`).
fn comment_tags(comment: &str) -> Vec<String> {
    let mut tags = Vec::new();
    let mut rest = comment;
    while let Some(start) = rest.find("[tag:") {
        rest = &rest[start + 5..];
        let mut tag = String::new();
        let mut chars = rest.char_indices();
        let mut end = None;
        while let Some((at, ch)) = chars.next() {
            match ch {
                '\\' if rest[at + 1..].starts_with(']') => {
                    chars.next();
                    tag.push(']');
                }
                ']' => {
                    end = Some(at);
                    break;
                }
                _ => tag.push(ch),
            }
        }
        let Some(end) = end else { break };
        rest = &rest[end + 1..];
        let tag = tag.trim();
        if !tag.is_empty() {
            tags.push(tag.to_string());
        }
    }
    tags
}

#[cfg(test)]
#[path = "tests/gift.rs"]
mod tests;
