//! Moodle XML (`<quiz><question type="...">`) → [`Parsed`], following Moodle 4.5's own
//! importer (`question/format/xml/format.php`) where our model allows.
//!
//! * `category` entries set the current category; its last path segment becomes a tag of the
//!   questions that follow (besides the question's own `<tags>`).
//! * `multichoice` and `truefalse` become questions; every other type is reported in
//!   `skipped`. Broken questions of those two types go to `errors`, and XML that is not
//!   well-formed gives exactly one error at the line where reading stopped.
//! * Texts follow their `format` attribute: `html` (the default, and Moodle's fallback for
//!   unknown names) through [`html_to_text`], `plain_text`, `moodle_auto_format`,
//!   `markdown` and `wiki_like` kept as written, trimmed. Embedded files (`<file>`,
//!   legacy `<image_base64>`) are never read into any text.
//!
//! Pure: no I/O, and it never panics, whatever the input.

use super::html::html_to_text;
use super::types::{LineIssue, Parsed, ParsedAnswer, ParsedQuestion};
use quick_xml::encoding::Decoder;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

/// Parses a Moodle XML file.
pub fn parse(text: &str) -> Parsed {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let lines = LineIndex::new(text);
    let root = match read_tree(text) {
        Ok(root) => root,
        Err((offset, reason)) => {
            return Parsed {
                errors: vec![LineIssue {
                    line: lines.line_of(offset),
                    reason,
                }],
                ..Parsed::default()
            };
        }
    };
    let mut parsed = Parsed::default();
    if root.name != "quiz" {
        parsed.errors.push(LineIssue {
            line: lines.line_of(root.offset),
            reason: format!(
                "不是 Moodle XML 文件：根元素是 <{}>，而不是 <quiz>",
                root.name
            ),
        });
        return parsed;
    }
    let mut category: Option<String> = None;
    for question in root.children_named("question") {
        let line = lines.line_of(question.offset);
        let kind = question.attr("type").map(str::trim);
        let built = match kind {
            Some("category") => {
                category = category_tag(question);
                continue;
            }
            Some("multichoice") => multichoice(question),
            Some("truefalse") => truefalse(question),
            Some(other) => {
                parsed.skipped.push(LineIssue {
                    line,
                    reason: format!("不支持题型 \"{other}\""),
                });
                continue;
            }
            None => Err("<question> 缺少 type 属性".to_string()),
        };
        match built {
            Ok((stem, answer)) => parsed.questions.push(ParsedQuestion {
                line,
                reference: question
                    .child_text("idnumber")
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
                stem,
                answer,
                explanation: explanation(question),
                tags: tags(question, category.as_deref()),
                difficulty: None,
                status: None,
            }),
            Err(reason) => parsed.errors.push(LineIssue { line, reason }),
        }
    }
    drop_repeated_references(&mut parsed.questions);
    parsed
}

/// Moodle keeps an idnumber unique only within its category: where one repeats in a file,
/// those questions fall back to their content as their key instead of clashing.
fn drop_repeated_references(questions: &mut [ParsedQuestion]) {
    let mut seen = std::collections::HashMap::new();
    for q in questions.iter() {
        if let Some(r) = &q.reference {
            *seen.entry(r.clone()).or_insert(0) += 1;
        }
    }
    for q in questions.iter_mut() {
        if q.reference.as_ref().is_some_and(|r| seen[r] > 1) {
            q.reference = None;
        }
    }
}

/// A multichoice question's stem and answer, or why it cannot be imported.
fn multichoice(question: &Element) -> Result<(String, ParsedAnswer), String> {
    let format = question_format(question);
    let stem = stem(question, format)?;
    // Moodle reads the first <single> (xmlize keeps every copy, getpath takes index 0).
    let single = question.child_text("single").is_none_or(moodle_bool);
    let mut options = Vec::new();
    let mut fractions = Vec::new();
    for (number, answer) in question.children_named("answer").enumerate() {
        let number = number + 1;
        let fraction = fraction(answer)
            .map_err(|raw| format!("第{number}个答案的 fraction 值 \"{raw}\" 不是数字"))?;
        let raw = answer.child_text("text").unwrap_or("");
        // Moodle drops answers whose text is blank before saving; so do we.
        if raw.trim().is_empty() {
            continue;
        }
        let text = convert(raw, answer.attr("format").unwrap_or(format));
        if text.is_empty() {
            return Err(format!(
                "第{number}个答案去掉 HTML 后没有文字（图片不会导入）"
            ));
        }
        options.push(text);
        fractions.push(fraction);
    }
    if options.len() < 2 {
        return Err(format!(
            "选择题至少需要2个答案，此题只有{}个",
            options.len()
        ));
    }
    let correct: Vec<usize> = fractions
        .iter()
        .enumerate()
        .filter(|(_, f)| {
            if single {
                is_full_marks(**f)
            } else {
                **f > 0.0
            }
        })
        .map(|(i, _)| i)
        .collect();
    if correct.is_empty() {
        return Err(if single {
            "单选题没有 fraction=\"100\" 的答案".to_string()
        } else {
            "多选题没有 fraction 为正数的答案".to_string()
        });
    }
    Ok((
        stem,
        ParsedAnswer::Choice {
            options,
            correct,
            multiple: !single,
        },
    ))
}

/// A true/false question's stem and truth value, or why it cannot be imported.
fn truefalse(question: &Element) -> Result<(String, ParsedAnswer), String> {
    let stem = stem(question, question_format(question))?;
    let mut truths = Vec::new();
    for (index, answer) in question.children_named("answer").enumerate() {
        let number = index + 1;
        let fraction = fraction(answer)
            .map_err(|raw| format!("第{number}个答案的 fraction 值 \"{raw}\" 不是数字"))?;
        if !is_full_marks(fraction) {
            continue;
        }
        let text = answer.child_text("text").unwrap_or("").trim();
        // Like Moodle: answers say "true"/"false"; old localised exports are true first, then false.
        let truth = if text.eq_ignore_ascii_case("true") {
            true
        } else if text.eq_ignore_ascii_case("false") {
            false
        } else {
            index == 0
        };
        truths.push(truth);
    }
    match truths.as_slice() {
        [] => Err("判断题没有 fraction=\"100\" 的答案".to_string()),
        [first, rest @ ..] if rest.iter().any(|t| t != first) => {
            Err("判断题的 true 和 false 两个答案都设为 fraction=\"100\"，只能有一个".to_string())
        }
        [first, ..] => Ok((stem, ParsedAnswer::TrueFalse(*first))),
    }
}

/// The question text's format; answers and feedback without their own default to it.
fn question_format(question: &Element) -> &str {
    question
        .child("questiontext")
        .and_then(|q| q.attr("format"))
        .unwrap_or("html")
}

fn stem(question: &Element, format: &str) -> Result<String, String> {
    let raw = question
        .child("questiontext")
        .and_then(|q| q.child_text("text"))
        .unwrap_or("");
    let stem = convert(raw, format);
    if stem.is_empty() {
        return Err("题干为空".to_string());
    }
    Ok(stem)
}

fn explanation(question: &Element) -> String {
    let Some(feedback) = question.child("generalfeedback") else {
        return String::new();
    };
    let format = feedback.attr("format").unwrap_or(question_format(question));
    convert(feedback.child_text("text").unwrap_or(""), format)
}

/// Text in a Moodle text format, as plain text.
fn convert(raw: &str, format: &str) -> String {
    match format.trim() {
        "plain_text" | "moodle_auto_format" | "markdown" | "wiki_like" => raw.trim().to_string(),
        _ => html_to_text(raw),
    }
}

/// Moodle's `trans_single`: "false", "0" and "" are false, anything else true.
fn moodle_bool(value: &str) -> bool {
    !matches!(value.trim(), "false" | "0" | "")
}

/// An answer's `fraction` attribute in percent (missing = 0); `Err` holds the unreadable value.
fn fraction(answer: &Element) -> Result<f64, String> {
    let Some(raw) = answer.attr("fraction") else {
        return Ok(0.0);
    };
    match raw.trim().parse::<f64>() {
        Ok(value) if value.is_finite() => Ok(value),
        _ => Err(raw.to_string()),
    }
}

fn is_full_marks(fraction: f64) -> bool {
    (fraction - 100.0).abs() < 1e-4
}

/// The tag a category entry gives the questions after it: its path's last segment.
fn category_tag(question: &Element) -> Option<String> {
    let node = question.child("category")?;
    let path = node.child_text("text").unwrap_or(&node.text);
    let segments = split_category_path(path);
    let mut rest = segments.as_slice();
    if let [first, tail @ ..] = rest
        && first.len() > 1
        && first.starts_with('$')
        && first.ends_with('$')
    {
        rest = tail;
    }
    if let [first, tail @ ..] = rest
        && first == "top"
    {
        rest = tail;
    }
    rest.last().filter(|s| !s.is_empty()).cloned()
}

/// Moodle's category path: `/` separates, `//` is a literal slash; segments are trimmed.
fn split_category_path(path: &str) -> Vec<String> {
    let mut segments = Vec::new();
    let mut current = String::new();
    let mut chars = path.trim().chars().peekable();
    while let Some(c) = chars.next() {
        if c != '/' {
            current.push(c);
        } else if chars.next_if_eq(&'/').is_some() {
            current.push('/');
        } else {
            segments.push(current.trim().to_string());
            current.clear();
        }
    }
    segments.push(current.trim().to_string());
    segments
}

/// The category tag first, then the question's own `<tags><tag><text>`, without repeats.
fn tags(question: &Element, category: Option<&str>) -> Vec<String> {
    let mut tags: Vec<String> = category.map(str::to_string).into_iter().collect();
    let own = question
        .children_named("tags")
        .flat_map(|t| t.children_named("tag"))
        .filter_map(|t| t.child_text("text"))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    for tag in own {
        if !tags.iter().any(|t| t == tag) {
            tags.push(tag.to_string());
        }
    }
    tags
}

/// A parsed XML element: enough of a DOM for Moodle's question files.
#[derive(Debug, Default)]
struct Element {
    name: String,
    attrs: Vec<(String, String)>,
    /// Concatenated character data directly inside this element (CDATA included).
    text: String,
    children: Vec<Element>,
    /// Byte offset of the `<` of the start tag.
    offset: usize,
}

impl Element {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The first child of that name (Moodle's importer reads index 0 of every path).
    fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The text of the first child of that name.
    fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }
}

/// Elements whose content is base64 file data: never kept.
const BINARY_ELEMENTS: &[&str] = &["file", "image_base64"];

/// Deeper than any Moodle file; a bound keeps hostile input from exhausting the stack.
const MAX_DEPTH: usize = 64;

/// Reads the document into a tree; `Err` is the byte offset where reading stopped and why.
fn read_tree(text: &str) -> Result<Element, (usize, String)> {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut binary_depth = 0usize;
    let mut root: Option<Element> = None;
    loop {
        let offset = to_usize(reader.buffer_position());
        let event = reader.read_event().map_err(|e| {
            (
                to_usize(reader.error_position()),
                format!("XML 格式错误：{e}"),
            )
        })?;
        match event {
            Event::Start(start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err((offset, format!("XML 格式错误：元素嵌套超过{MAX_DEPTH}层")));
                }
                let element = element(&start, reader.decoder(), offset)?;
                if BINARY_ELEMENTS.contains(&element.name.as_str()) || binary_depth > 0 {
                    binary_depth += 1;
                }
                stack.push(element);
            }
            Event::Empty(start) => {
                let element = element(&start, reader.decoder(), offset)?;
                attach(&mut stack, &mut root, element, offset)?;
            }
            Event::End(_) => {
                binary_depth = binary_depth.saturating_sub(1);
                // quick-xml has already checked that the end tag matches its start.
                let Some(element) = stack.pop() else {
                    return Err((offset, "XML 格式错误：多余的结束标签".to_string()));
                };
                attach(&mut stack, &mut root, element, offset)?;
            }
            Event::Text(t) if binary_depth == 0 => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(
                        &t.xml_content()
                            .map_err(|e| (offset, format!("XML 格式错误：{e}")))?,
                    );
                }
            }
            Event::CData(t) if binary_depth == 0 => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(
                        &t.xml_content()
                            .map_err(|e| (offset, format!("XML 格式错误：{e}")))?,
                    );
                }
            }
            Event::GeneralRef(r) if binary_depth == 0 => {
                if let Some(top) = stack.last_mut() {
                    push_reference(&mut top.text, &r)
                        .map_err(|e| (offset, format!("XML 格式错误：{e}")))?;
                }
            }
            Event::Eof => {
                return match (stack.last(), root) {
                    (Some(open), _) => Err((
                        text.len(),
                        format!("XML 格式错误：文件在 <{}> 闭合之前就结束了", open.name),
                    )),
                    (None, None) => Err((
                        text.len(),
                        "不是 Moodle XML 文件：没有 <quiz> 元素".to_string(),
                    )),
                    (None, Some(root)) => Ok(root),
                };
            }
            _ => {}
        }
    }
}

/// Adds a finished element to its parent, or makes it the root.
fn attach(
    stack: &mut [Element],
    root: &mut Option<Element>,
    element: Element,
    offset: usize,
) -> Result<(), (usize, String)> {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None if root.is_none() => *root = Some(element),
        None => {
            return Err((offset, "XML 格式错误：有多个根元素".to_string()));
        }
    }
    Ok(())
}

fn element(
    start: &BytesStart<'_>,
    decoder: Decoder,
    offset: usize,
) -> Result<Element, (usize, String)> {
    let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
    let mut attrs = Vec::new();
    for attr in start.attributes() {
        // Duplicate or unquoted attributes make the file malformed, as for Moodle's parser.
        let attr = attr.map_err(|e| (offset, format!("XML 格式错误：<{name}>：{e}")))?;
        let key = String::from_utf8_lossy(attr.key.as_ref()).into_owned();
        let value = attr
            .decode_and_unescape_value(decoder)
            .map(|v| v.into_owned())
            .unwrap_or_else(|_| String::from_utf8_lossy(&attr.value).into_owned());
        attrs.push((key, value));
    }
    Ok(Element {
        name,
        attrs,
        offset,
        ..Element::default()
    })
}

/// Appends an entity or character reference. XML's five entities and `&#...;` are resolved;
/// any other name (`&nbsp;` pasted from HTML, undeclared in XML) is kept as written, so an
/// HTML text still decodes it later instead of the whole file being refused.
fn push_reference(
    out: &mut String,
    reference: &quick_xml::events::BytesRef<'_>,
) -> Result<(), quick_xml::Error> {
    if let Some(ch) = reference.resolve_char_ref()? {
        out.push(ch);
        return Ok(());
    }
    let name = reference.decode()?;
    match quick_xml::escape::resolve_predefined_entity(&name) {
        Some(value) => out.push_str(value),
        None => {
            out.push('&');
            out.push_str(&name);
            out.push(';');
        }
    }
    Ok(())
}

fn to_usize(position: u64) -> usize {
    usize::try_from(position).unwrap_or(usize::MAX)
}

/// Byte offset → 1-based line number.
struct LineIndex {
    newlines: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let newlines = text
            .bytes()
            .enumerate()
            .filter(|(_, b)| *b == b'\n')
            .map(|(i, _)| i)
            .collect();
        Self { newlines }
    }

    fn line_of(&self, offset: usize) -> usize {
        self.newlines.partition_point(|&nl| nl < offset) + 1
    }
}

#[cfg(test)]
#[path = "tests/moodle_xml.rs"]
mod tests;
