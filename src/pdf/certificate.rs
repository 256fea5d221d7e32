//! Certificates (证书): A4 landscape, laid out from a template (certificates/templates/*.toml)
//! that places text, a paragraph, the QR code and the seal. Templates are data, so a bureau
//! changes wording and layout without touching code.

use super::{A4_LANDSCAPE, Canvas, Paint, PdfError, PdfFonts, Rgb8, Style, render};
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateTemplate {
    pub title: String,
    pub issuer: String,
    #[serde(default)]
    pub border: Option<Border>,
    #[serde(default)]
    pub text: Vec<TextItem>,
    #[serde(default)]
    pub paragraph: Vec<ParagraphItem>,
    pub qr: Option<Square>,
    pub seal: Option<Seal>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Border {
    #[serde(default)]
    pub color: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextItem {
    pub x: f32,
    pub y: f32,
    pub size: f32,
    #[serde(default)]
    pub align: Option<String>,
    #[serde(default)]
    pub color: Option<String>,
    pub value: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParagraphItem {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub line_height: f32,
    pub size: f32,
    pub value: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Square {
    pub x: f32,
    pub y: f32,
    pub size: f32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seal {
    /// Centre, mm.
    pub x: f32,
    pub y: f32,
    pub radius: f32,
    pub text: String,
}

impl CertificateTemplate {
    pub fn parse(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }
}

fn color(name: Option<&str>) -> Rgb8 {
    match name {
        Some("red") => Rgb8::OFFICIAL_RED,
        Some("grey") | Some("gray") => Rgb8::GREY,
        _ => Rgb8::BLACK,
    }
}

/// Replaces `{field}` with its value; unknown fields stay visible so a template typo shows.
fn fill(template: &str, fields: &HashMap<&str, String>) -> String {
    let mut out = template.to_string();
    for (k, v) in fields {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

/// The red round seal (公章): a double ring, a star, the issuer's name.
fn seal(c: &mut Canvas<'_>, s: &Seal, text: &str) {
    let red = Rgb8::OFFICIAL_RED;
    c.circle(s.x, s.y, s.radius, Paint::stroke(red, 2.2));
    c.circle(s.x, s.y, s.radius - 1.6, Paint::stroke(red, 0.5));
    let r = s.radius * 0.28;
    let star: Vec<(f32, f32)> = (0..10)
        .map(|i| {
            let a = -std::f32::consts::FRAC_PI_2 + i as f32 * std::f32::consts::PI / 5.0;
            let rr = if i % 2 == 0 { r } else { r * 0.4 };
            (s.x + rr * a.cos(), s.y + rr * a.sin())
        })
        .collect();
    c.polygon(&star, Paint::Fill(red));
    let size = (s.radius * 0.42).clamp(6.0, 14.0);
    c.text(
        s.x,
        s.y + s.radius * 0.62,
        Style::new(size).color(red).centered(),
        text,
    );
}

pub fn render_certificate(
    fonts: &PdfFonts,
    t: &CertificateTemplate,
    fields: &HashMap<&str, String>,
) -> Result<Vec<u8>, PdfError> {
    let mut fields = fields.clone();
    fields.entry("title").or_insert_with(|| t.title.clone());
    fields.entry("issuer").or_insert_with(|| t.issuer.clone());
    let mut c = Canvas::new(fonts, A4_LANDSCAPE);
    let (w, h) = A4_LANDSCAPE;
    if let Some(b) = &t.border {
        let col = color(b.color.as_deref());
        c.rect(10.0, 10.0, w - 20.0, h - 20.0, Paint::stroke(col, 3.0));
        c.rect(14.0, 14.0, w - 28.0, h - 28.0, Paint::stroke(col, 0.8));
    }
    for item in &t.text {
        let mut style = Style::new(item.size).color(color(item.color.as_deref()));
        style = match item.align.as_deref() {
            Some("center") => style.centered(),
            Some("right") => style.right(),
            _ => style,
        };
        c.text(item.x, item.y, style, &fill(&item.value, &fields));
    }
    for p in &t.paragraph {
        c.paragraph(
            p.x,
            p.y,
            p.width,
            p.line_height,
            Style::new(p.size),
            &fill(&p.value, &fields),
        );
    }
    if let Some(q) = &t.qr {
        let url = fields.get("verify_url").cloned().unwrap_or_default();
        c.qr(q.x, q.y, q.size, &url)?;
    }
    if let Some(s) = &t.seal {
        let text = fill(&s.text, &fields);
        seal(&mut c, s, &text);
    }
    render(fonts, &fill(&t.title, &fields), vec![c])
}
