//! Lessons are written in Markdown; pages show them as HTML. Raw HTML in a lesson is shown as
//! text and links may only lead to web pages, so a lesson can never run script in a
//! learner's browser, whoever wrote it.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, html};

pub fn to_html(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        other => other,
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

/// Web links, and links within the site, pass; any other scheme (`javascript:`, `data:`)
/// becomes a link to nowhere.
fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let lower = url.trim_start().to_ascii_lowercase();
    let has_scheme = lower
        .split_once(':')
        .is_some_and(|(scheme, _)| !scheme.contains(['/', '?', '#']));
    if !has_scheme || lower.starts_with("https:") || lower.starts_with("http:") {
        url
    } else {
        CowStr::Borrowed("#")
    }
}

#[cfg(test)]
mod tests {
    use super::to_html;

    #[test]
    fn a_lesson_shows_its_headings_lists_and_tables() {
        let html = to_html(
            "## 学习目标\n\n1. 说出\n\n| 类别 | 例子 |\n| --- | --- |\n| 自然灾害 | 地震 |\n",
        );
        assert!(html.contains("<h2>学习目标</h2>"), "{html}");
        assert!(html.contains("<ol>"), "{html}");
        assert!(html.contains("<td>自然灾害</td>"), "{html}");
    }

    #[test]
    fn raw_html_and_script_links_never_reach_the_page() {
        let html = to_html(
            "<script>alert(1)</script>\n\n文字 <img src=x onerror=alert(1)> [点我](javascript:alert(1)) [官网](https://www.mem.gov.cn/)",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("href=\"https://www.mem.gov.cn/\""), "{html}");
    }
}
