//! PDF rendering for admission tickets and certificates.
//!
//! Everything is drawn with printpdf's low-level `Op` list (no HTML layout):
//! the documents are fixed forms, and hand placement keeps rendering fast and
//! the output predictable. One CJK font is parsed once ([`PdfFonts::load`]) and
//! subset into every document, so a one-page ticket stays around 30 KB.
//!
//! Coordinates here are millimetres from the TOP-LEFT corner of the page, y
//! growing downwards, because forms are designed that way; the conversion to
//! PDF's bottom-left origin happens in one place ([`Canvas::pt`]).

mod certificate;
mod study_statement;
mod ticket;

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, RwLock};

use printpdf::{
    Codepoint, Color, FontId, Line, LinePoint, Mm, Op, PaintMode, ParsedFont, PdfDocument,
    PdfFontHandle, PdfPage, PdfParseErrorSeverity, PdfSaveOptions, Point, Pt, Rect, Rgb, TextItem,
    WindingOrder,
};

pub use certificate::{CertificateTemplate, render_certificate};
pub use study_statement::{StudyStatement, study_statement};
pub use ticket::{Ticket, admission_ticket};

/// A4 portrait, (width, height) in mm.
pub const A4_PORTRAIT: (f32, f32) = (210.0, 297.0);
/// A4 landscape, (width, height) in mm, for certificates.
pub const A4_LANDSCAPE: (f32, f32) = (297.0, 210.0);

const PT_PER_MM: f32 = 72.0 / 25.4;

/// Font id used while pages are drawn, before the document exists. [`render`]
/// swaps in printpdf's random per-document id, because printpdf derives the
/// subset's "ABCDEF+" name tag from the id's first six characters and viewers
/// expect different subsets to carry different tags.
const FONT_PLACEHOLDER: &str = "SafeCertCJK";

/// Upper bound on memoised characters: names are user input, and the cache
/// must not grow without limit if someone submits the whole of Unicode.
const GLYPH_CACHE_MAX: usize = 65_536;

#[derive(Debug)]
pub enum PdfError {
    /// The font bytes could not be parsed.
    Font(String),
    /// Text contains characters the font has no glyph for. printpdf would
    /// silently drop them, and a name with a character missing is worse than
    /// an error, so the document is refused.
    MissingGlyphs(String),
    /// The QR payload does not fit in a QR code.
    Qr(String),
    /// Content does not fit the form (e.g. far too many rules).
    Layout(String),
    /// printpdf reported an error while writing the document.
    Render(String),
}

impl fmt::Display for PdfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PdfError::Font(m) => write!(f, "font error: {m}"),
            PdfError::MissingGlyphs(chars) => write!(f, "font has no glyph for: {chars}"),
            PdfError::Qr(m) => write!(f, "QR code error: {m}"),
            PdfError::Layout(m) => write!(f, "layout error: {m}"),
            PdfError::Render(m) => write!(f, "PDF writer error: {m}"),
        }
    }
}

impl std::error::Error for PdfError {}

/// The parsed document font. Parse once at startup and clone this handle (an
/// `Arc`) wherever documents are rendered; it is `Send + Sync`.
#[derive(Clone)]
pub struct PdfFonts {
    inner: Arc<FontsInner>,
}

struct FontsInner {
    regular: ParsedFont,
    units_per_em: f32,
    /// char -> (glyph id, advance in font units), `None` if the font lacks it.
    /// printpdf's own lookup scans the cmap's format-12 groups linearly (15,839
    /// groups in Noto Sans CJK), which made lookups the biggest single cost of
    /// a render. Documents use a few thousand distinct characters, so
    /// memoising them is cheap and makes lookups O(1).
    glyphs: RwLock<HashMap<char, Option<(u16, u16)>>>,
}

impl PdfFonts {
    /// Parse a TrueType/OpenType font (a single face, not a .ttc collection).
    pub fn load(regular: &'static [u8]) -> Result<Self, PdfError> {
        let mut warnings = Vec::new();
        let regular = ParsedFont::from_bytes(regular, 0, &mut warnings)
            .ok_or_else(|| PdfError::Font(format!("cannot parse font: {warnings:?}")))?;
        let units_per_em = f32::from(regular.font_metrics.units_per_em.max(1));
        Ok(Self {
            inner: Arc::new(FontsInner {
                regular,
                units_per_em,
                glyphs: RwLock::new(HashMap::new()),
            }),
        })
    }

    /// Characters of `text` the font cannot draw, sorted and deduplicated.
    /// Lets the service reject a name at registration rather than at printing.
    pub fn missing_chars(&self, text: &str) -> Vec<char> {
        let set: BTreeSet<char> = text.chars().filter(|c| self.glyph(*c).is_none()).collect();
        set.into_iter().collect()
    }

    /// (glyph id, advance in font units) of `c`, memoised.
    fn glyph(&self, c: char) -> Option<(u16, u16)> {
        // A poisoned lock only means another thread panicked mid-insert; the
        // map itself is still valid.
        let cache = &self.inner.glyphs;
        if let Some(hit) = cache.read().unwrap_or_else(|e| e.into_inner()).get(&c) {
            return *hit;
        }
        let font = &self.inner.regular;
        let found = font
            .lookup_glyph_index(c as u32)
            .map(|gid| (gid, font.get_horizontal_advance(gid)));
        let mut map = cache.write().unwrap_or_else(|e| e.into_inner());
        if map.len() < GLYPH_CACHE_MAX {
            map.insert(c, found);
        }
        found
    }

    /// Advance width of `text` in mm at `size_pt`, from the font's metrics
    /// (no kerning: printpdf places glyphs at their nominal advances too).
    pub fn text_width_mm(&self, text: &str, size_pt: f32) -> f32 {
        text.chars().map(|c| self.char_width_mm(c, size_pt)).sum()
    }

    fn char_width_mm(&self, c: char, size_pt: f32) -> f32 {
        let advance = self.glyph(c).map_or(0.0, |(_, adv)| f32::from(adv));
        advance / self.inner.units_per_em * size_pt / PT_PER_MM
    }

    /// Break `text` into lines no wider than `max_width_mm`. Chinese has no
    /// spaces, so a line may break between any two characters, except:
    /// closing punctuation (，。、） …) never starts a line but hangs on the
    /// previous one, as Chinese typesetting does; and a run of ASCII letters
    /// and digits ("30", "AQ2026") moves to the next line whole rather than
    /// being split. `\n` forces a break.
    pub fn wrap(&self, text: &str, size_pt: f32, max_width_mm: f32) -> Vec<String> {
        const NO_LINE_START: &str = "，。、；：？！）》」』】”’,.;:?!)]%";
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let mut line: Vec<char> = Vec::new();
            let mut width = 0.0;
            for c in paragraph.chars() {
                let w = self.char_width_mm(c, size_pt);
                if width + w > max_width_mm && !line.is_empty() && !NO_LINE_START.contains(c) {
                    // Carry a trailing ASCII word over, unless it is the whole line.
                    let mut cut = line.len();
                    if c.is_ascii_alphanumeric() {
                        while cut > 0 && line[cut - 1].is_ascii_alphanumeric() {
                            cut -= 1;
                        }
                        if cut == 0 {
                            cut = line.len();
                        }
                    }
                    let carried = line.split_off(cut);
                    lines.push(line.iter().collect::<String>().trim_end().to_string());
                    line = carried;
                    width = line.iter().map(|&c| self.char_width_mm(c, size_pt)).sum();
                    if line.is_empty() && c == ' ' {
                        continue;
                    }
                }
                line.push(c);
                width += w;
            }
            lines.push(line.into_iter().collect());
        }
        lines
    }
}

/// A plain RGB colour, 0-255 per channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb8(pub u8, pub u8, pub u8);

impl Rgb8 {
    pub const BLACK: Rgb8 = Rgb8(0, 0, 0);
    pub const WHITE: Rgb8 = Rgb8(255, 255, 255);
    pub const GREY: Rgb8 = Rgb8(110, 110, 110);
    pub const LIGHT_FILL: Rgb8 = Rgb8(238, 241, 246);
    /// The red of official Chinese documents (红头文件).
    pub const OFFICIAL_RED: Rgb8 = Rgb8(200, 16, 46);

    fn pdf(self) -> Color {
        // printpdf wants 0.0-1.0; out-of-range values only produce a warning.
        Color::Rgb(Rgb {
            r: f32::from(self.0) / 255.0,
            g: f32::from(self.1) / 255.0,
            b: f32::from(self.2) / 255.0,
            icc_profile: None,
        })
    }
}

/// How a path is painted. Always explicit: a printpdf `Rect` without a paint
/// mode only sets a clipping path and draws nothing.
#[derive(Clone, Copy, Debug)]
pub enum Paint {
    Fill(Rgb8),
    Stroke {
        color: Rgb8,
        width_pt: f32,
    },
    FillStroke {
        fill: Rgb8,
        stroke: Rgb8,
        width_pt: f32,
    },
}

impl Paint {
    pub const fn stroke(color: Rgb8, width_pt: f32) -> Self {
        Paint::Stroke { color, width_pt }
    }
}

/// Horizontal anchor of a text run: the x given is its left edge, centre or
/// right edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
}

/// Size, colour and alignment of a text run.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub size_pt: f32,
    pub color: Rgb8,
    pub align: Align,
}

impl Style {
    /// Black, left-aligned text of `size_pt`.
    pub const fn new(size_pt: f32) -> Self {
        Self {
            size_pt,
            color: Rgb8::BLACK,
            align: Align::Left,
        }
    }

    pub const fn color(self, color: Rgb8) -> Self {
        Self { color, ..self }
    }

    pub const fn centered(self) -> Self {
        Self {
            align: Align::Center,
            ..self
        }
    }

    pub const fn right(self) -> Self {
        Self {
            align: Align::Right,
            ..self
        }
    }
}

/// One page being drawn. Collects printpdf ops, plus any characters the font
/// lacks so that [`render`] can refuse the document.
pub struct Canvas<'f> {
    fonts: &'f PdfFonts,
    width_mm: f32,
    height_mm: f32,
    ops: Vec<Op>,
    missing: BTreeSet<char>,
}

impl<'f> Canvas<'f> {
    /// A blank page of `size` = (width, height) in mm, e.g. [`A4_PORTRAIT`].
    pub fn new(fonts: &'f PdfFonts, size: (f32, f32)) -> Self {
        Self {
            fonts,
            width_mm: size.0,
            height_mm: size.1,
            ops: Vec::with_capacity(512),
            missing: BTreeSet::new(),
        }
    }

    pub fn fonts(&self) -> &'f PdfFonts {
        self.fonts
    }

    pub fn width_mm(&self) -> f32 {
        self.width_mm
    }

    pub fn height_mm(&self) -> f32 {
        self.height_mm
    }

    /// Top-left mm to PDF points (bottom-left origin).
    fn pt(&self, x_mm: f32, y_mm: f32) -> Point {
        Point {
            x: Pt(x_mm * PT_PER_MM),
            y: Pt((self.height_mm - y_mm) * PT_PER_MM),
        }
    }

    /// One line of text with its baseline at `y_mm`.
    pub fn text(&mut self, x_mm: f32, y_mm: f32, style: Style, s: &str) {
        if s.is_empty() {
            return;
        }
        // Pass glyph ids rather than text: printpdf would otherwise look every
        // character up again, slowly (see `FontsInner::glyphs`). The `cid`
        // string becomes the glyph's ToUnicode entry, which keeps the text
        // extractable and searchable.
        let mut glyphs = Vec::with_capacity(s.len());
        for c in s.chars() {
            match self.fonts.glyph(c) {
                Some((gid, _)) => glyphs.push(Codepoint::with_cid(gid, 0.0, c.to_string())),
                None => {
                    self.missing.insert(c);
                }
            }
        }
        let x = match style.align {
            Align::Left => x_mm,
            Align::Center => x_mm - self.fonts.text_width_mm(s, style.size_pt) / 2.0,
            Align::Right => x_mm - self.fonts.text_width_mm(s, style.size_pt),
        };
        let pos = self.pt(x, y_mm);
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFillColor {
                col: style.color.pdf(),
            },
            Op::SetFont {
                font: PdfFontHandle::External(FontId(FONT_PLACEHOLDER.to_string())),
                size: Pt(style.size_pt),
            },
            // In a fresh BT the text matrix is the identity, so this relative
            // move (Td) is an absolute position.
            Op::SetTextCursor { pos },
            Op::ShowText {
                items: vec![TextItem::GlyphIds(glyphs)],
            },
            Op::EndTextSection,
        ]);
    }

    /// Text wrapped to `max_width_mm` (see [`PdfFonts::wrap`]), first baseline
    /// at `y_mm`. Returns the baseline where a following line would go.
    pub fn paragraph(
        &mut self,
        x_mm: f32,
        y_mm: f32,
        max_width_mm: f32,
        line_height_mm: f32,
        style: Style,
        s: &str,
    ) -> f32 {
        let mut y = y_mm;
        for line in self.fonts.wrap(s, style.size_pt, max_width_mm) {
            self.text(x_mm, y, style, &line);
            y += line_height_mm;
        }
        y
    }

    /// Straight line segment.
    pub fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, color: Rgb8, width_pt: f32) {
        let points = vec![
            LinePoint {
                p: self.pt(x1, y1),
                bezier: false,
            },
            LinePoint {
                p: self.pt(x2, y2),
                bezier: false,
            },
        ];
        self.ops.extend([
            Op::SetOutlineColor { col: color.pdf() },
            Op::SetOutlineThickness { pt: Pt(width_pt) },
            Op::DrawLine {
                line: Line {
                    points,
                    is_closed: false,
                },
            },
        ]);
    }

    /// Sets fill and outline for the next shape; the mode it is painted with.
    fn set_paint(&mut self, paint: Paint) -> PaintMode {
        let (mode, fill, stroke) = match paint {
            Paint::Fill(c) => (PaintMode::Fill, Some(c), None),
            Paint::Stroke { color, width_pt } => (PaintMode::Stroke, None, Some((color, width_pt))),
            Paint::FillStroke {
                fill,
                stroke,
                width_pt,
            } => (PaintMode::FillStroke, Some(fill), Some((stroke, width_pt))),
        };
        if let Some(c) = fill {
            self.ops.push(Op::SetFillColor { col: c.pdf() });
        }
        if let Some((c, w)) = stroke {
            self.ops.push(Op::SetOutlineColor { col: c.pdf() });
            self.ops.push(Op::SetOutlineThickness { pt: Pt(w) });
        }
        mode
    }

    /// Rectangle with its top-left corner at (`x_mm`, `y_mm`).
    pub fn rect(&mut self, x_mm: f32, y_mm: f32, w_mm: f32, h_mm: f32, paint: Paint) {
        let mode = self.set_paint(paint);
        // PDF rectangles are anchored at their lower-left corner.
        let lower_left = self.pt(x_mm, y_mm + h_mm);
        self.ops.push(Op::DrawRectangle {
            rectangle: Rect {
                x: lower_left.x,
                y: lower_left.y,
                width: Pt(w_mm * PT_PER_MM),
                height: Pt(h_mm * PT_PER_MM),
                mode: Some(mode),
                winding_order: Some(WindingOrder::NonZero),
            },
        });
    }

    /// QR code of `payload` (error correction level M) as a `size_mm` square
    /// with its top-left corner at (`x_mm`, `y_mm`), including the 4-module
    /// quiet zone scanners need. Dark modules are filled rectangles, one per
    /// horizontal run, which keeps the content stream small.
    pub fn qr(
        &mut self,
        x_mm: f32,
        y_mm: f32,
        size_mm: f32,
        payload: &str,
    ) -> Result<(), PdfError> {
        const QUIET: usize = 4;
        let code = qrcode::QrCode::with_error_correction_level(payload, qrcode::EcLevel::M)
            .map_err(|e| PdfError::Qr(e.to_string()))?;
        let n = code.width();
        let dark: Vec<bool> = code
            .to_colors()
            .into_iter()
            .map(|c| c == qrcode::Color::Dark)
            .collect();
        let module = size_mm / (n + 2 * QUIET) as f32;
        // White background so the quiet zone stays light on a tinted form.
        self.rect(x_mm, y_mm, size_mm, size_mm, Paint::Fill(Rgb8::WHITE));
        for row in 0..n {
            let cells = &dark[row * n..(row + 1) * n];
            let mut col = 0;
            while col < n {
                if !cells[col] {
                    col += 1;
                    continue;
                }
                let start = col;
                while col < n && cells[col] {
                    col += 1;
                }
                self.rect(
                    x_mm + (QUIET + start) as f32 * module,
                    y_mm + (QUIET + row) as f32 * module,
                    (col - start) as f32 * module,
                    // A hair taller than a module so anti-aliasing rasterisers
                    // leave no light seams between rows.
                    module * 1.02,
                    Paint::Fill(Rgb8::BLACK),
                );
            }
        }
        Ok(())
    }

    /// Box where the candidate's photo is glued, captioned "照片".
    pub fn photo_placeholder(&mut self, x_mm: f32, y_mm: f32, w_mm: f32, h_mm: f32) {
        self.rect(x_mm, y_mm, w_mm, h_mm, Paint::stroke(Rgb8::GREY, 0.6));
        let style = Style::new(11.0).color(Rgb8::GREY).centered();
        // +1.5 mm puts the baseline so the glyphs sit visually centred.
        self.text(x_mm + w_mm / 2.0, y_mm + h_mm / 2.0 + 1.5, style, "照片");
    }

    /// A closed polygon through `points` (mm, top-left origin).
    pub fn polygon(&mut self, points: &[(f32, f32)], paint: Paint) {
        let mode = self.set_paint(paint);
        let ring = printpdf::PolygonRing {
            points: points
                .iter()
                .map(|(x, y)| LinePoint {
                    p: self.pt(*x, *y),
                    bezier: false,
                })
                .collect(),
        };
        self.ops.push(Op::DrawPolygon {
            polygon: printpdf::Polygon {
                rings: vec![ring],
                mode,
                winding_order: WindingOrder::NonZero,
            },
        });
    }

    /// A circle as a fine polygon (centre and radius in mm).
    pub fn circle(&mut self, cx: f32, cy: f32, r: f32, paint: Paint) {
        let points: Vec<(f32, f32)> = (0..120)
            .map(|i| {
                let a = i as f32 / 120.0 * std::f32::consts::TAU;
                (cx + r * a.cos(), cy + r * a.sin())
            })
            .collect();
        self.polygon(&points, paint);
    }

    /// Escape hatch for anything the helpers do not cover (coordinates are
    /// then PDF points from the bottom-left corner).
    pub fn push_op(&mut self, op: Op) {
        self.ops.push(op);
    }
}

/// Assemble pages into a PDF, the font subset to the glyphs used.
pub fn render(fonts: &PdfFonts, title: &str, pages: Vec<Canvas<'_>>) -> Result<Vec<u8>, PdfError> {
    let missing: BTreeSet<char> = pages
        .iter()
        .flat_map(|p| p.missing.iter().copied())
        .collect();
    if !missing.is_empty() {
        return Err(PdfError::MissingGlyphs(missing.into_iter().collect()));
    }
    let mut doc = PdfDocument::new(title);
    // Clones the parsed font: the font bytes and glyph cache are shared (Arc),
    // the owned cmap (~200 KB for this font) is copied, a few microseconds.
    let font_id = doc.add_font(&fonts.inner.regular);
    let pages = pages
        .into_iter()
        .map(|mut c| {
            for op in &mut c.ops {
                if let Op::SetFont {
                    font: PdfFontHandle::External(id),
                    ..
                } = op
                {
                    *id = font_id.clone();
                }
            }
            PdfPage::new(Mm(c.width_mm), Mm(c.height_mm), c.ops)
        })
        .collect();
    let options = PdfSaveOptions {
        // Already the default; spelled out because without it every PDF would
        // embed the whole 8 MB font.
        subset_fonts: true,
        ..PdfSaveOptions::default()
    };
    let mut warnings = Vec::new();
    let bytes = doc.with_pages(pages).save(&options, &mut warnings);
    // printpdf reports problems as warnings and carries on: a failed subset,
    // for one, silently embeds the whole font (an 8 MB ticket).
    let errors: Vec<&str> = warnings
        .iter()
        .filter(|w| w.severity == PdfParseErrorSeverity::Error)
        .map(|w| w.msg.as_str())
        .collect();
    if !errors.is_empty() {
        return Err(PdfError::Render(errors.join("; ")));
    }
    Ok(bytes)
}
