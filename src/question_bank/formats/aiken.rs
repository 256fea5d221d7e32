//! Aiken (stem, `A) option` lines, `ANSWER: X`) → [`Parsed`], following Moodle 4.5's
//! importer (`question/format/aiken/format.php`): the same line classes, the same errors at
//! the same lines.
//!
//! * An option line is an upper-case letter, `)` or `.`, optional space or tab, then the
//!   text (`A) x`, `B. x`, `C)x`); the full-width `）` `．` and `ANSWER：` that Chinese input
//!   methods produce are accepted too. Any other non-blank line is stem text.
//! * A stem may run over several consecutive lines (joined with `\n`); a blank line ends it,
//!   so a later text line opens the next question. Blank lines between blocks, between the
//!   stem and its options, and between options are ignored.
//! * Aiken has one question kind: single-answer choice. Options `True`/`False` stay a
//!   choice, as in Moodle. Text is plain and kept as written (`<`, `>`, `&` included).
//! * Errors, each reported at the line where Moodle reports it: fewer than 2 options (the
//!   `ANSWER:` line); option/`ANSWER:` lines with no stem before them (the first such line,
//!   one error per run); a question still open when the next stem starts (the new stem's
//!   line) or when the file ends (its stem's line); an `ANSWER:` that names no option.
//!
//! Pure: no I/O, and it never panics, whatever the input.

use super::types::{LineIssue, Parsed, ParsedAnswer, ParsedQuestion};

/// Parses an Aiken file.
pub fn parse(text: &str) -> Parsed {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut parser = Parser::default();
    // "\r\n", "\n" and a lone "\r" all end a line (Moodle splits on "\r" as well).
    let mut number = 0;
    for raw in text.split('\n') {
        let mut parts = raw.split('\r').peekable();
        while let Some(part) = parts.next() {
            // The "\r" of a "\r\n" ending leaves an empty tail that is no line of its own.
            if parts.peek().is_none() && part.is_empty() && raw.ends_with('\r') {
                break;
            }
            number += 1;
            parser.line(number, part.trim());
        }
    }
    parser.finish()
}

/// A question read up to its `ANSWER:` line.
struct Open {
    line: usize,
    stem: Vec<String>,
    /// Label letter and text, in file order.
    options: Vec<(char, String)>,
    /// A blank line or an option came after the stem: another text line starts a new question.
    stem_closed: bool,
}

#[derive(Default)]
struct Parser {
    parsed: Parsed,
    open: Option<Open>,
    /// Line numbers of option/ANSWER lines met while no question was open.
    orphans: Vec<usize>,
}

impl Parser {
    fn line(&mut self, number: usize, line: &str) {
        if line.is_empty() {
            if let Some(open) = &mut self.open {
                open.stem_closed = true;
            }
        } else if let Some((label, text)) = option(line) {
            match &mut self.open {
                Some(open) => {
                    open.stem_closed = true;
                    open.options.push((label, text.to_string()));
                }
                None => self.orphans.push(number),
            }
        } else if let Some(letter) = answer(line) {
            match self.open.take() {
                Some(open) => self.close(open, number, letter),
                None => self.orphans.push(number),
            }
        } else {
            self.flush_orphans();
            match &mut self.open {
                Some(open) if !open.stem_closed => open.stem.push(line.to_string()),
                _ => {
                    if let Some(open) = self.open.take() {
                        let missing = if open.options.is_empty() {
                            "既没有选项也没有 ANSWER 行"
                        } else {
                            "没有 ANSWER 行"
                        };
                        let reason =
                            format!("第{}行的题目{missing}，而下一题已从本行开始", open.line);
                        self.error(number, reason);
                    }
                    self.open = Some(Open {
                        line: number,
                        stem: vec![line.to_string()],
                        options: Vec::new(),
                        stem_closed: false,
                    });
                }
            }
        }
    }

    /// Ends a question at its `ANSWER:` line (`at`), as a question or as an error.
    fn close(&mut self, open: Open, at: usize, letter: &str) {
        if open.options.len() < 2 {
            let reason = format!(
                "第{}行的题目只有{}个选项，至少需要2个",
                open.line,
                open.options.len()
            );
            return self.error(at, reason);
        }
        if let Some((label, _)) = open.options.iter().find(|(_, text)| text.is_empty()) {
            return self.error(at, format!("第{}行题目中的选项 {label} 为空", open.line));
        }
        let labels: String = open.options.iter().map(|(label, _)| *label).collect();
        let mut chosen = letter.chars();
        let correct = match (chosen.next(), chosen.next()) {
            (Some(c), None) if c.is_ascii_alphabetic() => c.to_ascii_uppercase(),
            _ => {
                return self.error(
                    at,
                    format!("ANSWER 必须是一个选项字母，而不是 \"{letter}\""),
                );
            }
        };
        let matching: Vec<usize> = open
            .options
            .iter()
            .enumerate()
            .filter(|(_, (label, _))| *label == correct)
            .map(|(i, _)| i)
            .collect();
        match matching.as_slice() {
            [index] => self.parsed.questions.push(ParsedQuestion {
                line: open.line,
                reference: None,
                stem: open.stem.join("\n"),
                answer: ParsedAnswer::Choice {
                    options: open.options.into_iter().map(|(_, text)| text).collect(),
                    correct: vec![*index],
                    multiple: false,
                },
                explanation: String::new(),
                tags: Vec::new(),
                difficulty: None,
                status: None,
            }),
            [] => self.error(
                at,
                format!("ANSWER {correct} 不是已有的选项（{labels}）之一"),
            ),
            _ => self.error(
                at,
                format!("ANSWER {correct} 有歧义：有多个选项都标为 {correct}"),
            ),
        }
    }

    fn flush_orphans(&mut self) {
        if let Some(&first) = self.orphans.first() {
            let lines: Vec<String> = self.orphans.iter().map(usize::to_string).collect();
            let reason = format!(
                "{}是选项行或 ANSWER 行，但前面没有题干（第{}行）",
                if lines.len() == 1 {
                    "此行"
                } else {
                    "这些行"
                },
                lines.join("、")
            );
            self.orphans.clear();
            self.error(first, reason);
        }
    }

    fn error(&mut self, line: usize, reason: String) {
        self.parsed.errors.push(LineIssue { line, reason });
    }

    fn finish(mut self) -> Parsed {
        self.flush_orphans();
        if let Some(open) = self.open.take() {
            let reason = if open.options.is_empty() {
                "该题直到文件结尾既没有选项也没有 ANSWER 行"
            } else {
                "该题直到文件结尾都没有 ANSWER 行"
            };
            self.error(open.line, reason.to_string());
        }
        self.parsed.errors.sort_by_key(|e| e.line);
        self.parsed
    }
}

/// `A) text`, `A. text`, `A)text` (and full-width `A）`, `A．`): the label and the trimmed text.
fn option(line: &str) -> Option<(char, &str)> {
    let mut chars = line.chars();
    let label = chars.next().filter(char::is_ascii_uppercase)?;
    let mark = chars.next()?;
    if !matches!(mark, ')' | '.' | '）' | '．') {
        return None;
    }
    Some((label, chars.as_str().trim()))
}

/// `ANSWER: X` (or `ANSWER：X`): the trimmed text after the colon, `)`/`.` after the letter dropped.
fn answer(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("ANSWER")?;
    let rest = rest.strip_prefix(':').or_else(|| rest.strip_prefix('：'))?;
    let rest = rest.trim();
    Some(
        rest.strip_suffix([')', '.', '）', '．'])
            .unwrap_or(rest)
            .trim_end(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(path: &str) -> Option<String> {
        std::fs::read_to_string(format!(
            "{}/../shared/test-data/moodle/{path}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .ok()
    }

    fn choice(q: &ParsedQuestion) -> (&[String], &[usize], bool) {
        match &q.answer {
            ParsedAnswer::Choice {
                options,
                correct,
                multiple,
            } => (options, correct, *multiple),
            other => panic!("Aiken gives only choice questions, got {other:?}"),
        }
    }

    fn error_lines(p: &Parsed) -> Vec<usize> {
        p.errors.iter().map(|e| e.line).collect()
    }

    #[test]
    fn questions_fixture() {
        let Some(text) = fixture("aiken/questions.aiken.txt") else {
            return;
        };
        let parsed = parse(&text);
        assert!(
            parsed.errors.is_empty() && parsed.skipped.is_empty(),
            "{parsed:#?}"
        );
        let [q1, q2] = parsed.questions.as_slice() else {
            panic!("{parsed:#?}")
        };

        assert_eq!(
            (q1.line, q1.stem.as_str()),
            (1, "The Moodle project was started by:")
        );
        let (options, correct, multiple) = choice(q1);
        assert_eq!(
            options,
            [
                "Petr Skoda",
                "Martin Dougiamas",
                "Eloy Lafuente",
                "Tim Hunt"
            ]
        );
        assert_eq!(correct, [1]);
        assert_eq!(options[correct[0]], "Martin Dougiamas");
        assert!(!multiple);

        assert_eq!(q2.line, 8);
        assert_eq!(
            q2.stem,
            "Moodle's abilities include handling user input that includes <html class=\"cool\"> & images:"
        );
        let (options, correct, multiple) = choice(q2);
        assert_eq!(
            (options, correct, multiple),
            (
                &["True".to_string(), "False".to_string()][..],
                &[0][..],
                false
            )
        );
        for q in [q1, q2] {
            assert!(
                q.explanation.is_empty()
                    && q.tags.is_empty()
                    && q.reference.is_none()
                    && q.difficulty.is_none()
            );
        }
    }

    #[test]
    fn errors_fixture_three_good_three_errors() {
        let Some(text) = fixture("aiken/aiken_errors.txt") else {
            return;
        };
        assert!(!text.ends_with('\n'), "the fixture has no final newline");
        let parsed = parse(&text);
        assert_eq!(error_lines(&parsed), [3, 5, 18], "{parsed:#?}");
        assert!(parsed.errors[0].reason.contains("第1行的题目只有1个选项"));
        assert!(parsed.errors[1].reason.contains("（第5、7行）"));
        assert!(parsed.errors[2].reason.contains("第14行"));
        assert!(parsed.skipped.is_empty());

        let stems: Vec<&str> = parsed.questions.iter().map(|q| q.stem.as_str()).collect();
        assert_eq!(
            stems,
            [
                "A good question",
                "A second good question",
                "A third good question with HTML chars such as > < &"
            ]
        );
        let lines: Vec<usize> = parsed.questions.iter().map(|q| q.line).collect();
        assert_eq!(lines, [9, 18, 23]);
        let answers: Vec<(&[String], &[usize], bool)> =
            parsed.questions.iter().map(choice).collect();
        assert_eq!(
            answers[0],
            (
                &["Correct".to_string(), "Incorrect".to_string()][..],
                &[0][..],
                false
            )
        );
        assert_eq!(
            answers[1],
            (
                &[
                    "Incorrect (No space)".to_string(),
                    "Correct (No space)".to_string()
                ][..],
                &[1][..],
                false
            )
        );
        assert_eq!(
            answers[2],
            (
                &[
                    "Correct (< > &)".to_string(),
                    "Incorrect (< > &)".to_string()
                ][..],
                &[0][..],
                false
            )
        );
    }

    #[test]
    fn manifest_rows_agree_with_the_parser() {
        let Some(manifest) = fixture("MANIFEST.tsv") else {
            return;
        };
        let mut rows = 0;
        for row in manifest.lines().skip(1) {
            let cols: Vec<&str> = row.split('\t').collect();
            if cols.get(1) != Some(&"aiken") {
                continue;
            }
            let n = |i: usize| cols[i].parse::<usize>().unwrap();
            let Some(text) = fixture(cols[0]) else { return };
            let parsed = parse(&text);
            assert_eq!(
                n(5) + n(6) + n(7),
                0,
                "Aiken holds single-answer choices only"
            );
            assert_eq!(
                (
                    parsed.questions.len(),
                    parsed.skipped.len(),
                    parsed.errors.len()
                ),
                (n(4), 0, n(9)),
                "{}",
                cols[0]
            );
            rows += 1;
        }
        assert_eq!(rows, 2);
    }

    #[test]
    fn chinese_questions() {
        let text = "\u{FEFF}发生火灾时，应当拨打哪个电话？\n\
                    A. 110\n\
                    B. 119\n\
                    C. 120\n\
                    ANSWER: B\n\
                    \n\
                    灭火器压力表指针在绿区表示压力正常。\n\
                    A) 正确\n\
                    B) 错误\n\
                    ANSWER: A\n\
                    \n\
                    下列做法<正确>的是（  ）\n\
                    请选择一项 & 说明\n\
                    A）用湿毛巾捂住口鼻\n\
                    B）乘坐电梯逃生\n\
                    ANSWER：A\n";
        let parsed = parse(text);
        assert!(parsed.errors.is_empty(), "{parsed:#?}");
        let [q1, q2, q3] = parsed.questions.as_slice() else {
            panic!("{parsed:#?}")
        };
        assert_eq!(
            (q1.line, q1.stem.as_str()),
            (1, "发生火灾时，应当拨打哪个电话？")
        );
        assert_eq!(
            choice(q1),
            (
                &["110".to_string(), "119".to_string(), "120".to_string()][..],
                &[1][..],
                false
            )
        );
        assert_eq!(q2.line, 7);
        assert_eq!(
            choice(q2),
            (
                &["正确".to_string(), "错误".to_string()][..],
                &[0][..],
                false
            ),
            "判断 is a choice in Aiken"
        );
        assert_eq!(q3.line, 12);
        assert_eq!(q3.stem, "下列做法<正确>的是（  ）\n请选择一项 & 说明");
        assert_eq!(
            choice(q3),
            (
                &["用湿毛巾捂住口鼻".to_string(), "乘坐电梯逃生".to_string()][..],
                &[0][..],
                false
            )
        );
    }

    #[test]
    fn chinese_errors_have_the_right_lines() {
        let text = "单选题一\nA. 甲\nB. 乙\nANSWER: D\n\n单选题二\nA. 甲\nANSWER: A\n\nB. 孤立选项\n单选题三\nA. 甲\nB. 乙\n单选题四\nA. 甲\nB. 乙\nANSWER: AB\n单选题五\nA. 甲\nA. 乙\nANSWER: A\n单选题六";
        let parsed = parse(text);
        assert!(parsed.questions.is_empty(), "{parsed:#?}");
        assert_eq!(
            error_lines(&parsed),
            [4, 8, 10, 14, 17, 21, 22],
            "{parsed:#?}"
        );
        assert!(
            parsed.errors[0]
                .reason
                .contains("ANSWER D 不是已有的选项（AB）之一")
        );
        assert!(parsed.errors[1].reason.contains("只有1个选项"));
        assert!(parsed.errors[2].reason.contains("前面没有题干（第10行）"));
        assert!(
            parsed.errors[3]
                .reason
                .contains("第11行的题目没有 ANSWER 行")
        );
        assert!(parsed.errors[4].reason.contains("一个选项字母"));
        assert!(parsed.errors[5].reason.contains("有歧义"));
        assert!(parsed.errors[6].reason.contains("没有选项"));
    }

    #[test]
    fn line_endings_and_blank_lines() {
        for (text, lines) in [
            (
                "Q1\r\nA) a\r\nB) b\r\nANSWER: b\r\n\r\nQ2\r\nA. x\r\nB. y\r\nANSWER: A.",
                [1, 6],
            ),
            (
                "Q1\rA) a\rB) b\rANSWER:B\r\rQ2\rA.x\rB.y\rANSWER: A",
                [1, 6],
            ),
            (
                "\n\nQ1\n\nA) a\n\nB) b\n\nANSWER: B\nQ2\nA) x\nB) y\nANSWER: A\n\n\n",
                [3, 10],
            ),
        ] {
            let parsed = parse(text);
            assert!(parsed.errors.is_empty(), "{text:?}: {parsed:#?}");
            let got: Vec<usize> = parsed.questions.iter().map(|q| q.line).collect();
            assert_eq!(got, lines, "{text:?}");
            assert_eq!(choice(&parsed.questions[0]).1, [1], "{text:?}");
            assert_eq!(choice(&parsed.questions[1]).1, [0], "{text:?}");
        }
        // A stem paragraph after a blank line is a new question, as in Moodle.
        let parsed = parse("Heading\n\nQ\nA) a\nB) b\nANSWER: A");
        assert_eq!(error_lines(&parsed), [3]);
        assert!(
            parsed.errors[0].reason.contains("第1行的题目既没有选项"),
            "{parsed:?}"
        );
        assert_eq!(parsed.questions[0].stem, "Q");
        assert_eq!(parse(""), Parsed::default());
        assert_eq!(parse("\n \n\t\n"), Parsed::default());
        let empty_option = parse("Q\nA) a\nB)\nANSWER: A");
        assert!(
            empty_option.errors[0].reason.contains("选项 B"),
            "{empty_option:?}"
        );
    }

    #[test]
    fn truncated_and_mangled_fixtures_never_panic() {
        let mut inputs = vec!["问题\nA）甲\nB．乙\nANSWER：B\n".to_string()];
        for path in ["aiken/questions.aiken.txt", "aiken/aiken_errors.txt"] {
            inputs.extend(fixture(path));
        }
        for text in &inputs {
            let boundaries: Vec<usize> = text
                .char_indices()
                .map(|(i, _)| i)
                .chain([text.len()])
                .collect();
            for &cut in &boundaries {
                let parsed = parse(&text[..cut]);
                assert!(parsed.errors.iter().all(|e| e.line >= 1));
                for &end in boundaries.iter().step_by(7) {
                    if end > cut {
                        let _ = parse(&format!("{}{}", &text[..cut], &text[end..]));
                    }
                }
            }
        }
    }
}
