//! Tests of the gift reader, including Moodle's own fixtures.

use super::*;

fn fixture(name: &str) -> Option<String> {
    std::fs::read_to_string(format!(
        "{}/../shared/test-data/moodle/gift/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .ok()
}

/// (single, several-correct, true/false) as counted in MANIFEST.tsv.
fn counts(parsed: &Parsed) -> (usize, usize, usize) {
    let mut counts = (0, 0, 0);
    for question in &parsed.questions {
        match question.answer {
            ParsedAnswer::Choice {
                multiple: false, ..
            } => counts.0 += 1,
            ParsedAnswer::Choice { multiple: true, .. } => counts.1 += 1,
            ParsedAnswer::TrueFalse(_) => counts.2 += 1,
        }
    }
    counts
}

fn choice(question: &ParsedQuestion) -> (&[String], &[usize], bool) {
    match &question.answer {
        ParsedAnswer::Choice {
            options,
            correct,
            multiple,
        } => (options, correct, *multiple),
        ParsedAnswer::TrueFalse(_) => panic!("not a choice question: {question:?}"),
    }
}

fn at_line(parsed: &Parsed, line: usize) -> &ParsedQuestion {
    let found = parsed.questions.iter().find(|q| q.line == line);
    found.unwrap_or_else(|| panic!("no question on line {line}: {parsed:#?}"))
}

fn skipped_with(parsed: &Parsed, word: &str) -> usize {
    parsed
        .skipped
        .iter()
        .filter(|s| s.reason.contains(word))
        .count()
}

fn one(text: &str) -> ParsedQuestion {
    let parsed = parse(text);
    assert!(
        parsed.errors.is_empty() && parsed.skipped.is_empty(),
        "{parsed:#?}"
    );
    assert_eq!(parsed.questions.len(), 1, "{parsed:#?}");
    parsed.questions[0].clone()
}

fn error(text: &str) -> LineIssue {
    let parsed = parse(text);
    assert_eq!(parsed.errors.len(), 1, "{parsed:#?}");
    parsed.errors[0].clone()
}

#[test]
fn moodle_questions_fixture() {
    let Some(text) = fixture("questions.gift.txt") else {
        return;
    };
    let parsed = parse(&text);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    assert_eq!(counts(&parsed), (1, 1, 3));
    assert_eq!(parsed.skipped.len(), 4, "{:?}", parsed.skipped);
    let skipped: Vec<usize> = parsed.skipped.iter().map(|s| s.line).collect();
    assert_eq!(skipped, [2, 5, 31, 34]);
    for (issue, kind) in parsed
        .skipped
        .iter()
        .zip(["论述题", "匹配题", "数值题", "简答题"])
    {
        assert!(issue.reason.contains(kind), "{issue:?} should name {kind}");
    }

    let q2 = at_line(&parsed, 14);
    assert_eq!(q2.stem, "What's between orange and green in the spectrum?");
    assert_eq!(
        choice(q2),
        (
            &["yellow", "red", "blue"].map(String::from)[..],
            &[0][..],
            false
        )
    );

    let colours = at_line(&parsed, 22);
    let (options, correct, multiple) = choice(colours);
    assert!(multiple);
    assert_eq!(options, ["yellow", "red", "off-beige", "blue"]);
    assert_eq!(correct, [0, 2]);
    assert_eq!(colours.explanation, "");

    let q1 = at_line(&parsed, 41);
    assert_eq!(q1.answer, ParsedAnswer::TrueFalse(false));
    assert_eq!(q1.stem, "42 is the Absolute Answer to everything.");
    assert_eq!(
        q1.explanation,
        "This is, of course, a Hitchiker's Guide to the Galaxy reference."
    );

    for line in [46, 49] {
        let tsl = at_line(&parsed, line);
        assert_eq!(tsl.answer, ParsedAnswer::TrueFalse(true));
        assert_eq!(tsl.stem, "TSL is blablabla.");
        assert_eq!(tsl.reference, None);
        assert!(tsl.tags.is_empty());
    }
}

#[test]
fn moodle_questions_in_category_fixture() {
    let Some(text) = fixture("questions_in_category.gift.txt") else {
        return;
    };
    let parsed = parse(&text);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    assert_eq!(counts(&parsed), (1, 0, 1));
    assert_eq!(parsed.skipped.len(), 2, "{:?}", parsed.skipped);
    assert_eq!(skipped_with(&parsed, "匹配题"), 1);
    assert_eq!(skipped_with(&parsed, "简答题"), 1);

    let greeting = at_line(&parsed, 14);
    assert_eq!(
        greeting.stem,
        "Listen to this greeting: What language is being spoken?"
    );
    let (options, correct, multiple) = choice(greeting);
    assert_eq!(options, ["English", "French", "German", "Spanish"]);
    assert_eq!((correct, multiple), (&[1][..], false));
    assert_eq!(options[correct[0]], "French");

    let acronym = at_line(&parsed, 27);
    assert_eq!(acronym.answer, ParsedAnswer::TrueFalse(true));
    assert_eq!(
        acronym.stem,
        "Moodle is an acronym for Modular Object-Oriented Dynamic Learning Environment."
    );
    for question in &parsed.questions {
        assert_eq!(question.tags, ["Default for New Features"]);
    }
}

#[test]
fn moodle_examples_fixture() {
    let Some(text) = fixture("examples.txt") else {
        return;
    };
    let parsed = parse(&text);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    assert_eq!(counts(&parsed), (16, 2, 5));
    assert_eq!(parsed.skipped.len(), 20);
    assert_eq!(skipped_with(&parsed, "简答题"), 9);
    assert_eq!(skipped_with(&parsed, "数值题"), 8);
    assert_eq!(skipped_with(&parsed, "匹配题"), 3);

    // 6 missing-word questions plus `Jesus' hometown`, where only `.` follows the block.
    let blanks = parsed
        .questions
        .iter()
        .filter(|q| q.stem.contains(BLANK))
        .count();
    assert_eq!(blanks, 7);
    assert_eq!(at_line(&parsed, 10).stem, "Grant is _____ in Grant's tomb.");
    assert_eq!(
        at_line(&parsed, 29).stem,
        "The American holiday of Thanksgiving is celebrated on the _____ Thursday of November."
    );
    let jesus = at_line(&parsed, 117);
    assert_eq!(jesus.stem, "Jesus Christ was from _____.");
    let (options, correct, multiple) = choice(jesus);
    assert_eq!(options, ["Jerusalem", "Bethlehem", "Galilee", "Nazareth"]);
    assert_eq!((correct, multiple), (&[3][..], false));

    // Partial credit beside one `=`: still one correct answer.
    let (options, correct, multiple) = choice(at_line(&parsed, 115));
    assert_eq!(
        options,
        ["wrong answer", "half credit answer", "full credit answer"]
    );
    assert_eq!((correct, multiple), (&[2][..], false));

    for line in [130, 136] {
        let (options, correct, multiple) = choice(at_line(&parsed, line));
        assert_eq!(
            options,
            ["No one", "Grant", "Grant's wife", "Grant's father"]
        );
        assert_eq!((correct, multiple), (&[1, 2][..], true));
    }

    let (options, correct, _) = choice(at_line(&parsed, 143));
    assert_eq!(options, ["= 2 + 2", "= 2 + 3", "= 2 + 4"]);
    assert_eq!(correct, [1]);
    let control = at_line(&parsed, 148);
    assert_eq!(
        control.stem,
        "Which of the following is NOT a control character for the GIFT import format?"
    );
    let (options, correct, _) = choice(control);
    assert_eq!(options, ["~", "=", "#", "{", "}", "\\"]);
    assert_eq!(correct, [5]);

    let truth: Vec<bool> = parsed
        .questions
        .iter()
        .filter_map(|q| match q.answer {
            ParsedAnswer::TrueFalse(value) => Some(value),
            ParsedAnswer::Choice { .. } => None,
        })
        .collect();
    assert_eq!(truth, [false, false, true, false, false]);
    // Per-answer feedback is not an explanation.
    let tf = at_line(&parsed, 113);
    assert_eq!(
        (&tf.answer, tf.explanation.as_str()),
        (&ParsedAnswer::TrueFalse(false), "")
    );
    // Lines of a multi-line question keep their line break.
    assert_eq!(
        at_line(&parsed, 93).stem,
        "The American holiday of Thanksgiving is\ncelebrated on the _____ Thursday of November."
    );
}

#[test]
fn chinese_single_multiple_true_false_with_explanation() {
    let text = "\
// 题库：应急第一响应人
$CATEGORY: $course$/top/应急救护

::单选1::发现有人触电，首先应当怎样做？{
~立即用手拉开触电者#错误：会连带触电
=切断电源或用绝缘物挑开电线
~先拨打电话再说
####先断电，再施救。
}

::多选1::心肺复苏的要点包括哪些？{
~%50%胸外按压深度5～6厘米
~%50%按压频率每分钟100～120次
~%-100%按压时双臂弯曲
####按压要深、要快，双臂伸直。
}

::判断1::灭火器压力表指针在绿区表示压力正常。{TRUE#不对，再想想#回答正确####绿区为正常压力范围。}
";
    let parsed = parse(text);
    assert!(
        parsed.errors.is_empty() && parsed.skipped.is_empty(),
        "{parsed:#?}"
    );
    assert_eq!(counts(&parsed), (1, 1, 1));

    let single = &parsed.questions[0];
    assert_eq!(
        (single.line, single.stem.as_str()),
        (4, "发现有人触电，首先应当怎样做？")
    );
    let (options, correct, multiple) = choice(single);
    assert_eq!(
        options,
        [
            "立即用手拉开触电者",
            "切断电源或用绝缘物挑开电线",
            "先拨打电话再说"
        ]
    );
    assert_eq!((correct, multiple), (&[1][..], false));
    assert_eq!(single.explanation, "先断电，再施救。");
    assert_eq!(single.tags, ["应急救护"]);

    let several = &parsed.questions[1];
    assert_eq!(several.line, 11);
    let (options, correct, multiple) = choice(several);
    assert_eq!(options[0], "胸外按压深度5～6厘米");
    assert_eq!((correct, multiple), (&[0, 1][..], true));
    assert_eq!(several.explanation, "按压要深、要快，双臂伸直。");

    let judge = &parsed.questions[2];
    assert_eq!(judge.line, 18);
    assert_eq!(judge.answer, ParsedAnswer::TrueFalse(true));
    assert_eq!(judge.stem, "灭火器压力表指针在绿区表示压力正常。");
    assert_eq!(judge.explanation, "绿区为正常压力范围。");
}

#[test]
fn true_false_forms() {
    for (block, value) in [
        ("{T}", true),
        ("{TRUE}", true),
        ("{F}", false),
        ("{FALSE#错#对}", false),
    ] {
        assert_eq!(
            one(&format!("安全出口可以上锁。{block}")).answer,
            ParsedAnswer::TrueFalse(value)
        );
    }
    let parsed = parse("安全出口可以上锁。{false}");
    assert_eq!(parsed.skipped.len(), 1);
    assert!(
        parsed.skipped[0].reason.contains("{FALSE}"),
        "{:?}",
        parsed.skipped
    );
}

#[test]
fn escapes_in_chinese_text() {
    let question = one(
        "::转义\\:测试::公式 a \\= b \\{集合\\} 用 \\~ 和 \\# 表示，路径 C:\\\\temp\\n第二行{\n\
         =等号 \\= 与 \\~ 波浪线#反馈\n~反斜杠 \\\\\n~井号 \\#1\n}",
    );
    assert_eq!(
        question.stem,
        "公式 a = b {集合} 用 ~ 和 # 表示，路径 C:\\temp\n第二行"
    );
    let (options, correct, _) = choice(&question);
    assert_eq!(options, ["等号 = 与 ~ 波浪线", "反斜杠 \\", "井号 #1"]);
    assert_eq!(correct, [0]);
}

#[test]
fn chinese_missing_word() {
    let question = one("我国的火警电话是{=119 ~110 ~120}，遇到火情要立即拨打。");
    assert_eq!(question.stem, "我国的火警电话是_____，遇到火情要立即拨打。");
    assert_eq!(choice(&question).1, [0]);
    // Only a full stop after the block: still a blank, as Moodle does.
    assert_eq!(one("火警电话是{=119 ~110}。").stem, "火警电话是_____。");
    // The block first.
    assert_eq!(one("{=119 ~110}是火警电话。").stem, "_____是火警电话。");
    // Stray quotes and semicolons are debris, not a sentence.
    assert_eq!(
        one("火警电话是多少？{=119 ~110}\";").stem,
        "火警电话是多少？"
    );
}

#[test]
fn unclosed_brace_is_an_error_with_its_line() {
    let text = "// 第一题\n逃生时应当{=低姿 ~直立}。\n\n// 第二题没有右括号\n\n烟雾中应当{\n=捂住口鼻\n~大声呼喊\n\n火灾报警{T}\n";
    let parsed = parse(text);
    assert_eq!(parsed.questions.len(), 2, "{parsed:#?}");
    assert_eq!(parsed.errors.len(), 1, "{parsed:#?}");
    assert_eq!(parsed.errors[0].line, 6);
    assert!(
        parsed.errors[0].reason.contains("没有闭合"),
        "{:?}",
        parsed.errors
    );
    assert_eq!(parsed.questions[1].line, 10);

    // No blank line before the next question: the nested `{` gives it away.
    let issue = error("题一{=甲 ~乙\n题二{T}");
    assert_eq!(issue.line, 1);
    assert!(
        issue.reason.contains("第1行") && issue.reason.contains("第2行"),
        "{issue:?}"
    );
    // A closing brace with nothing open.
    assert_eq!(error("\n\n只有右括号 =甲 ~乙}").line, 3);
    // Two questions run together.
    assert!(error("题一{T}\n题二{F}").reason.contains("空行"));
}

#[test]
fn malformed_choice_blocks_are_errors() {
    assert!(error("题{~甲 ~乙 ~丙}").reason.contains("没有正确选项"));
    assert!(error("题{~%-50%甲 ~%0%乙}").reason.contains("没有正确选项"));
    assert!(error("题{~甲}").reason.contains("至少需要2个选项"));
    assert!(error("题{=甲 =乙 ~丙}").reason.contains("完全正确"));
    assert!(error("题{=甲 ~ ~丙}").reason.contains("第2个选项为空"));
    assert!(error("{=甲 ~乙}").reason.contains("没有题干"));
}

#[test]
fn weights_decide_single_or_several() {
    let key = |text: &str| match one(text).answer {
        ParsedAnswer::Choice {
            correct, multiple, ..
        } => (correct, multiple),
        ParsedAnswer::TrueFalse(_) => panic!("{text} is not a choice question"),
    };
    // `~%100%` is fully correct; partial credit beside it is wrong for us.
    assert_eq!(key("题{~甲 ~%100%乙 ~%50%丙}"), (vec![1], false));
    assert_eq!(key("题{=%100%甲 ~乙}"), (vec![0], false));
    assert_eq!(
        key("题{~%33.33333%甲 ~%33.33333%乙 ~%33.33333%丙 ~丁}"),
        (vec![0, 1, 2], true)
    );
    assert_eq!(key("题{=%50%甲 ~%50%乙 ~丙}"), (vec![0, 1], true));
    // Not a weight: kept as text, like Moodle.
    assert_eq!(choice(&one("题{=%abc%甲 ~乙}")).0[0], "%abc%甲");
}

#[test]
fn skipped_types_are_named() {
    let parsed = parse(
        "论述题{}\n\n数值题{#3:1}\n\n填空题{=北京 =北京市}\n\n配对题{=甲->1 =乙->2}\n\n只是一段说明。\n\n\
         ::名::论述题{####参考答案}",
    );
    assert!(
        parsed.questions.is_empty() && parsed.errors.is_empty(),
        "{parsed:#?}"
    );
    let reasons: Vec<(usize, &str)> = parsed
        .skipped
        .iter()
        .map(|s| (s.line, s.reason.as_str()))
        .collect();
    let kinds = [
        "论述题",
        "数值题",
        "简答题",
        "匹配题",
        "描述题",
        "论述题\"名\"",
    ];
    assert_eq!(reasons.len(), kinds.len());
    for ((line, reason), (expected_line, kind)) in reasons
        .iter()
        .zip([1, 3, 5, 7, 9, 11].into_iter().zip(kinds))
    {
        assert_eq!(*line, expected_line);
        assert!(reason.contains(kind), "{reason} should name {kind}");
    }
}

#[test]
fn html_is_stripped_and_decoded() {
    let question = one(
        "[html]<p>下列&lt;哪项&gt;正确？&nbsp;A&amp;B &quot;引号&quot; &#39;单&#39; &#20013;&#x6587;</p>\
         <script>alert(1)</script><br/>第二段{\n=<b>对</b>\n~[plain]<b>错</b>\n####<i>解析</i>&hellip;}",
    );
    assert_eq!(
        question.stem,
        "下列<哪项>正确？ A&B \"引号\" '单' 中文 第二段"
    );
    assert_eq!(choice(&question).0, ["对", "<b>错</b>"]);
    assert_eq!(question.explanation, "解析…");
    // Without a marker the text is plain: `<`, `>` and `&` stay.
    assert_eq!(one("1 < 2 & 3 > 2 <b>?{T}").stem, "1 < 2 & 3 > 2 <b>?");
    // Unknown markers are text.
    assert_eq!(one("[注意]题{T}").stem, "[注意]题");
}

#[test]
fn categories_comments_and_line_endings() {
    let text = "\u{feff}$CATEGORY: $module$/top/消防//安全\r\n\r\n// [tag:重点] [tag:第一章]\r\n题一{T}\r\n\r\n\
                $CATEGORY: top\r\n题二{F}\r\n\r\n$CATEGORY: $course$/基础知识\r\n\r\n// 注释\r\n// 只有注释的块\r\n\r\n::题三::  题三{F}";
    let parsed = parse(text);
    assert!(
        parsed.errors.is_empty() && parsed.skipped.is_empty(),
        "{parsed:#?}"
    );
    let got: Vec<(usize, &str, Vec<String>)> = parsed
        .questions
        .iter()
        .map(|q| (q.line, q.stem.as_str(), q.tags.clone()))
        .collect();
    let tags = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        got,
        [
            (4, "题一", tags(&["消防/安全", "重点", "第一章"])),
            (7, "题二", tags(&[])),
            (14, "题三", tags(&["基础知识"])),
        ]
    );
}

#[test]
fn odd_inputs_do_not_panic() {
    let inputs = [
        "",
        "\n\n",
        "{",
        "}",
        "::",
        "::a",
        "::a::",
        "{#",
        "{~%",
        "{~%-%a ~b}",
        "\\",
        "a\\",
        "[html",
        "[html]<",
        "[html]<a href='x>{T}",
        "&#xFFFFFFFF;{T}",
        "[html]&#xD800;&#0;&;&#;{T}",
        "$CATEGORY:",
        "$CATEGORY: //",
        "{=%",
        "{~}",
        "{=}",
        "{####}",
        "{T####}",
        "::t::{T}",
        "题{~%100%}",
        "题{=%-%甲 ~%1.2.3%乙}",
        "<!--{T}",
        "[html]<!-- x {T}",
        "\u{FDD0}{T}",
        "// [tag:a\\]b] [tag:\n题{T}",
        "题{~a#\u{FDD1}#}",
        "题 {=\\",
        "\r",
        "题{T}}",
        "题{{T}",
    ];
    for input in inputs {
        let _ = parse(input);
    }
    assert_eq!(parse("\u{FDD0}题{T}").questions[0].stem, "题");
}

/// A tiny deterministic generator, so the fuzz cases are the same on every run.
struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[test]
fn random_truncations_never_panic() {
    let chinese = "::单选::发现有人触电{~用手拉 =断电#对 ~%50%喊人####先断电}\n\n\
                   判断{FALSE#错#对####解析}\n\n[html]<p>缺词&amp;</p>{=甲 ~乙}。\n";
    let examples = fixture("examples.txt").unwrap_or_default();
    let mut rng = Lcg(0x5afe_ce27);
    for source in [examples.as_str(), chinese] {
        for _ in 0..400 {
            let start = floor_boundary(source, rng.below(source.len()));
            let end = floor_boundary(source, start + rng.below(source.len() - start + 1));
            let _ = parse(&source[..end]);
            let _ = parse(&source[start..]);
            let _ = parse(&source[start..end]);
        }
    }
    // Splice control characters into the Chinese sample at random places.
    let controls = [
        '{', '}', '~', '=', '#', '%', ':', '\\', '\n', '[', ']', '<', '&', ';', '-', '>',
    ];
    for _ in 0..2000 {
        let mut text: Vec<char> = chinese.chars().collect();
        for _ in 0..1 + rng.below(6) {
            let at = rng.below(text.len() + 1);
            if rng.below(3) == 0 && at < text.len() {
                text.remove(at);
            } else {
                text.insert(at, controls[rng.below(controls.len())]);
            }
        }
        let _ = parse(&text.into_iter().collect::<String>());
    }
}
