//! HTML fragment → plain text, for import formats whose texts are HTML (Moodle XML's
//! `format="html"`). Owns nothing but the conversion; it never fails and never panics.
//!
//! Tags are dropped; block-level tags (`<p>`, `<br>`, `<li>`, `<img>`...) leave a space so
//! words on either side stay apart, inline tags (`<span>`, `<strong>`...) leave nothing so
//! `应急<span>管理</span>` stays one word. `<script>`/`<style>` content and comments go
//! entirely. Entities are decoded (named, decimal, hexadecimal; `&#150;`-style Windows-1252
//! references as browsers do), then every run of whitespace (U+00A0 and U+3000 included)
//! becomes one space and the ends are trimmed. A `<` that cannot start a tag (`x < 2`) and an
//! `&` that starts no known entity (`AT&T`) stay as they are.

/// Plain text of an HTML fragment: tags stripped, entities decoded, whitespace collapsed.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find(['<', '&']) {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        if rest.starts_with('<') {
            match skip_markup(rest) {
                Some((after, separates)) => {
                    if separates {
                        out.push(' ');
                    }
                    rest = after;
                }
                None => {
                    out.push('<');
                    rest = &rest[1..];
                }
            }
        } else {
            match decode_entity(rest) {
                Some((ch, len)) => {
                    out.push(ch);
                    rest = &rest[len..];
                }
                None => {
                    out.push('&');
                    rest = &rest[1..];
                }
            }
        }
    }
    out.push_str(rest);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Tags that break a line or a block when rendered: they must leave a word separator.
#[rustfmt::skip]
const BLOCK_TAGS: &[&str] = &[
    "address", "article", "aside", "blockquote", "br", "caption", "dd", "div", "dl", "dt",
    "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "img",
    "li", "ol", "p", "pre", "section", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
];

/// `s` starts with `<`. Returns the text after the markup and whether it separates words,
/// or `None` when the `<` starts no markup and is a literal character.
fn skip_markup(s: &str) -> Option<(&str, bool)> {
    let body = &s[1..];
    if let Some(comment) = body.strip_prefix("!--") {
        // An unterminated comment swallows the rest, as in a browser.
        return Some(match comment.find("-->") {
            Some(end) => (&comment[end + 3..], false),
            None => ("", false),
        });
    }
    if body.starts_with('!') || body.starts_with('?') {
        return Some(match body.find('>') {
            Some(end) => (&body[end + 1..], false),
            None => ("", false),
        });
    }
    let (closing, name_start) = match body.strip_prefix('/') {
        Some(after) => (true, after),
        None => (false, body),
    };
    if !name_start.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let name_len = name_start
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == ':'))
        .unwrap_or(name_start.len());
    let name = name_start[..name_len].to_ascii_lowercase();
    // Without a closing `>` this is text that merely looks like a tag (`a <b`).
    let after_tag = tag_end(&name_start[name_len..])?;
    let block = BLOCK_TAGS.contains(&name.as_str());
    if !closing && (name == "script" || name == "style") {
        let close = format!("</{name}");
        let lower = after_tag.to_ascii_lowercase();
        return Some(match lower.find(&close) {
            Some(pos) => {
                let tail = &after_tag[pos..];
                let end = tail.find('>').map_or(tail.len(), |e| e + 1);
                (&tail[end..], true)
            }
            None => ("", true),
        });
    }
    Some((after_tag, block))
}

/// The text after the `>` that closes a tag's attributes, skipping quoted values.
fn tag_end(attrs: &str) -> Option<&str> {
    let mut quote: Option<char> = None;
    for (i, c) in attrs.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '>' => return Some(&attrs[i + 1..]),
            None => {}
        }
    }
    None
}

/// `s` starts with `&`. Returns the character and the length of the reference it spells.
fn decode_entity(s: &str) -> Option<(char, usize)> {
    let body = &s[1..];
    if let Some(num) = body.strip_prefix('#') {
        let (digits, radix, prefix) = match num.strip_prefix(['x', 'X']) {
            Some(hex) => (hex, 16, 2),
            None => (num, 10, 1),
        };
        let len = digits
            .find(|c: char| !c.is_digit(radix))
            .unwrap_or(digits.len());
        if len == 0 {
            return None;
        }
        let semi = usize::from(digits[len..].starts_with(';'));
        // Overlong numbers are out of range anyway: browsers give U+FFFD.
        let code = u32::from_str_radix(&digits[..len], radix).unwrap_or(u32::MAX);
        return Some((numeric_char(code), 1 + prefix + len + semi));
    }
    let len = body
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(body.len());
    if len == 0 || len > 10 || !body[len..].starts_with(';') {
        return None;
    }
    named_entity(&body[..len]).map(|ch| (ch, len + 2))
}

/// A numeric character reference's character, as an HTML5 browser reads it.
fn numeric_char(code: u32) -> char {
    const WINDOWS_1252: [u32; 32] = [
        0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
        0x2039, 0x0152, 0x8D, 0x017D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013,
        0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
    ];
    let code = match code {
        0x80..=0x9F => WINDOWS_1252[(code - 0x80) as usize],
        0 => 0xFFFD,
        other => other,
    };
    char::from_u32(code).unwrap_or('\u{FFFD}')
}

/// HTML 4 entity names for U+00A0..=U+00FF, in code-point order.
const LATIN1: [&str; 96] = [
    "nbsp", "iexcl", "cent", "pound", "curren", "yen", "brvbar", "sect", "uml", "copy", "ordf",
    "laquo", "not", "shy", "reg", "macr", "deg", "plusmn", "sup2", "sup3", "acute", "micro",
    "para", "middot", "cedil", "sup1", "ordm", "raquo", "frac14", "frac12", "frac34", "iquest",
    "Agrave", "Aacute", "Acirc", "Atilde", "Auml", "Aring", "AElig", "Ccedil", "Egrave", "Eacute",
    "Ecirc", "Euml", "Igrave", "Iacute", "Icirc", "Iuml", "ETH", "Ntilde", "Ograve", "Oacute",
    "Ocirc", "Otilde", "Ouml", "times", "Oslash", "Ugrave", "Uacute", "Ucirc", "Uuml", "Yacute",
    "THORN", "szlig", "agrave", "aacute", "acirc", "atilde", "auml", "aring", "aelig", "ccedil",
    "egrave", "eacute", "ecirc", "euml", "igrave", "iacute", "icirc", "iuml", "eth", "ntilde",
    "ograve", "oacute", "ocirc", "otilde", "ouml", "divide", "oslash", "ugrave", "uacute", "ucirc",
    "uuml", "yacute", "thorn", "yuml",
];

/// Greek capitals from U+0391 (U+03A2 is unassigned, so Sigma starts a second run).
#[rustfmt::skip]
const GREEK_UPPER: [(&str, u32); 24] = [
    ("Alpha", 913), ("Beta", 914), ("Gamma", 915), ("Delta", 916), ("Epsilon", 917),
    ("Zeta", 918), ("Eta", 919), ("Theta", 920), ("Iota", 921), ("Kappa", 922), ("Lambda", 923),
    ("Mu", 924), ("Nu", 925), ("Xi", 926), ("Omicron", 927), ("Pi", 928), ("Rho", 929),
    ("Sigma", 931), ("Tau", 932), ("Upsilon", 933), ("Phi", 934), ("Chi", 935), ("Psi", 936),
    ("Omega", 937),
];

/// Greek small letters U+03B1..=U+03C9, in code-point order (final sigma included).
const GREEK_LOWER: [&str; 25] = [
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigmaf", "sigma", "tau", "upsilon", "phi",
    "chi", "psi", "omega",
];

/// The remaining HTML 4 entities, plus `apos`.
#[rustfmt::skip]
const OTHERS: &[(&str, u32)] = &[
    ("quot", 34), ("amp", 38), ("apos", 39), ("lt", 60), ("gt", 62), ("OElig", 338),
    ("oelig", 339), ("Scaron", 352), ("scaron", 353), ("Yuml", 376), ("fnof", 402),
    ("circ", 710), ("tilde", 732), ("thetasym", 977), ("upsih", 978), ("piv", 982),
    ("ensp", 8194), ("emsp", 8195), ("thinsp", 8201), ("zwnj", 8204), ("zwj", 8205),
    ("lrm", 8206), ("rlm", 8207), ("ndash", 8211), ("mdash", 8212), ("lsquo", 8216),
    ("rsquo", 8217), ("sbquo", 8218), ("ldquo", 8220), ("rdquo", 8221), ("bdquo", 8222),
    ("dagger", 8224), ("Dagger", 8225), ("bull", 8226), ("hellip", 8230), ("permil", 8240),
    ("prime", 8242), ("Prime", 8243), ("lsaquo", 8249), ("rsaquo", 8250), ("oline", 8254),
    ("frasl", 8260), ("euro", 8364), ("image", 8465), ("weierp", 8472), ("real", 8476),
    ("trade", 8482), ("alefsym", 8501), ("larr", 8592), ("uarr", 8593), ("rarr", 8594),
    ("darr", 8595), ("harr", 8596), ("crarr", 8629), ("lArr", 8656), ("uArr", 8657),
    ("rArr", 8658), ("dArr", 8659), ("hArr", 8660), ("forall", 8704), ("part", 8706),
    ("exist", 8707), ("empty", 8709), ("nabla", 8711), ("isin", 8712), ("notin", 8713),
    ("ni", 8715), ("prod", 8719), ("sum", 8721), ("minus", 8722), ("lowast", 8727),
    ("radic", 8730), ("prop", 8733), ("infin", 8734), ("ang", 8736), ("and", 8743),
    ("or", 8744), ("cap", 8745), ("cup", 8746), ("int", 8747), ("there4", 8756), ("sim", 8764),
    ("cong", 8773), ("asymp", 8776), ("ne", 8800), ("equiv", 8801), ("le", 8804), ("ge", 8805),
    ("sub", 8834), ("sup", 8835), ("nsub", 8836), ("sube", 8838), ("supe", 8839),
    ("oplus", 8853), ("otimes", 8855), ("perp", 8869), ("sdot", 8901), ("lceil", 8968),
    ("rceil", 8969), ("lfloor", 8970), ("rfloor", 8971), ("lang", 9001), ("rang", 9002),
    ("loz", 9674), ("spades", 9824), ("clubs", 9827), ("hearts", 9829), ("diams", 9830),
];

fn named_entity(name: &str) -> Option<char> {
    let code = if let Some(i) = LATIN1.iter().position(|n| *n == name) {
        0xA0 + i as u32
    } else if let Some(i) = GREEK_LOWER.iter().position(|n| *n == name) {
        0x3B1 + i as u32
    } else {
        GREEK_UPPER
            .iter()
            .chain(OTHERS)
            .find(|(n, _)| *n == name)
            .map(|(_, code)| *code)?
    };
    char::from_u32(code)
}

#[cfg(test)]
mod tests {
    use super::html_to_text;

    #[test]
    fn strips_tags_and_keeps_inline_words_together() {
        assert_eq!(
            html_to_text("<p>Hello <b>wor</b>ld</p><p>again</p>"),
            "Hello world again"
        );
        assert_eq!(html_to_text("a<br>b<br/>c<img src=\"x.png\">d"), "a b c d");
        assert_eq!(
            html_to_text("应急<span style=\"x\">管理</span>局"),
            "应急管理局"
        );
    }

    #[test]
    fn decodes_entities_named_and_numeric() {
        assert_eq!(
            html_to_text("x &lt; 2 &amp;&amp; y &gt; 3"),
            "x < 2 && y > 3"
        );
        assert_eq!(
            html_to_text("&quot;a&quot; &apos;b&#39; &#x4E2D;&#25991;"),
            "\"a\" 'b' 中文"
        );
        assert_eq!(
            html_to_text("&eacute;t&eacute; &yuml; &Omega;&omega; &le; &euro;"),
            "été ÿ Ωω ≤ €"
        );
        assert_eq!(
            html_to_text("&#150;&#8212;&#0;&#x110000;&#99999999999;"),
            "–—\u{FFFD}\u{FFFD}\u{FFFD}"
        );
        assert_eq!(
            html_to_text("AT&T &unknown; & &#; &#x;"),
            "AT&T &unknown; & &#; &#x;"
        );
    }

    #[test]
    fn nbsp_and_whitespace_collapse_and_trim() {
        assert_eq!(
            html_to_text("  a&nbsp;\u{A0} b\n\t c\u{3000}d  "),
            "a b c d"
        );
        assert_eq!(html_to_text("<p>&nbsp;</p>"), "");
    }

    #[test]
    fn comments_scripts_and_stray_angles() {
        assert_eq!(html_to_text("a<!-- hidden <p> -->b"), "ab");
        assert_eq!(
            html_to_text("a<script>if (x<y) {}</script>b<style>p{}</style>c"),
            "a b c"
        );
        assert_eq!(html_to_text("x < 2 and 3<4, <= 5"), "x < 2 and 3<4, <= 5");
        assert_eq!(html_to_text("<a title=\"1 > 0\">link</a>"), "link");
        assert_eq!(html_to_text("a <b"), "a <b");
        assert_eq!(html_to_text("a<!-- never closed"), "a");
    }

    #[test]
    fn never_panics_on_any_prefix() {
        let s = "<p title='&gt;'>中&#x4E2D;&am<!--c-->&#</p><scr";
        for (i, _) in s.char_indices() {
            let _ = html_to_text(&s[..i]);
        }
    }
}
