//! The admission ticket (准考证): one A4 portrait page.

use super::{A4_PORTRAIT, Canvas, Paint, PdfError, PdfFonts, Rgb8, Style, render};

/// Everything printed on a ticket. Strings are printed as given: the ID
/// number must already be masked.
#[derive(Clone, Debug)]
pub struct Ticket {
    /// The big title, e.g. "准考证".
    pub heading: String,
    pub exam_title: String,
    pub candidate_name: String,
    pub id_number_masked: String,
    pub ticket_number: String,
    pub seat: String,
    pub venue: String,
    pub address: Option<String>,
    /// e.g. "2026年12月5日 09:00–10:00"
    pub window: String,
    pub rules: Vec<String>,
    pub qr_payload: String,
    pub issuer: String,
}

// Geometry in mm, top-left origin.
const LEFT: f32 = 20.0;
const RIGHT: f32 = 190.0;
const LABEL_W: f32 = 30.0;
const ROW_H: f32 = 12.0;
/// The photo column beside the first four rows.
const PHOTO_COL_W: f32 = 38.0;
const PHOTO_ROWS: usize = 4;
const TABLE_PT: f32 = 11.5;
const TABLE_LINE_H: f32 = 5.6;
/// Top of the band at the bottom of the page holding the QR code and issuer.
const BOTTOM_BAND: f32 = 234.0;
const QR_SIZE: f32 = 34.0;

pub fn admission_ticket(fonts: &PdfFonts, t: &Ticket) -> Result<Vec<u8>, PdfError> {
    let mut c = Canvas::new(fonts, A4_PORTRAIT);
    let (w, _) = A4_PORTRAIT;
    frame(&mut c);

    c.text(w / 2.0, 34.0, Style::new(28.0).centered(), &t.heading);
    let mut y = 44.0;
    for line in fonts.wrap(&t.exam_title, 14.0, RIGHT - LEFT) {
        c.text(w / 2.0, y, Style::new(14.0).centered(), &line);
        y += 6.5;
    }
    c.line(LEFT, y - 2.0, RIGHT, y - 2.0, Rgb8::OFFICIAL_RED, 1.2);

    let table_bottom = field_table(&mut c, t, y + 4.0);

    // The rules go under the table if they fit in a readable size, otherwise
    // on a second page (the back, when printed double-sided).
    let rules_top = table_bottom + 11.0;
    let mut back = None;
    if !rules(
        &mut c,
        &t.rules,
        rules_top,
        BOTTOM_BAND - 4.0,
        &[10.5, 9.5, 8.5],
    ) {
        c.text(
            w / 2.0,
            rules_top,
            Style::new(12.0).centered(),
            "考试须知见背面",
        );
        let mut page = Canvas::new(fonts, A4_PORTRAIT);
        frame(&mut page);
        if !rules(&mut page, &t.rules, 34.0, 280.0, &[10.5, 9.5, 8.5, 7.5]) {
            return Err(PdfError::Layout("the rules do not fit on two pages".into()));
        }
        back = Some(page);
    }

    // Bottom band: QR code left, issuer right.
    c.line(
        LEFT,
        BOTTOM_BAND - 2.0,
        RIGHT,
        BOTTOM_BAND - 2.0,
        Rgb8::GREY,
        0.4,
    );
    c.qr(LEFT, BOTTOM_BAND + 2.0, QR_SIZE, &t.qr_payload)?;
    let caption = Style::new(9.0).color(Rgb8::GREY);
    c.text(
        LEFT + QR_SIZE / 2.0,
        BOTTOM_BAND + QR_SIZE + 6.0,
        caption.centered(),
        "扫码核验",
    );
    c.text(
        RIGHT,
        BOTTOM_BAND + 24.0,
        Style::new(13.0).right(),
        &t.issuer,
    );
    c.text(
        RIGHT,
        BOTTOM_BAND + 32.0,
        caption.right(),
        "请考生妥善保管本准考证，考试时须与有效身份证件一同出示",
    );

    render(fonts, &t.heading, std::iter::once(c).chain(back).collect())
}

/// Double red frame, heavy outside and hairline inside, the usual look of
/// printed certificates and tickets.
pub(super) fn frame(c: &mut Canvas<'_>) {
    let (w, h) = A4_PORTRAIT;
    c.rect(
        12.0,
        12.0,
        w - 24.0,
        h - 24.0,
        Paint::stroke(Rgb8::OFFICIAL_RED, 1.6),
    );
    c.rect(
        14.0,
        14.0,
        w - 28.0,
        h - 28.0,
        Paint::stroke(Rgb8::OFFICIAL_RED, 0.5),
    );
}

/// The label/value table with the photo column beside its first rows.
/// Returns the y of its bottom edge.
fn field_table(c: &mut Canvas<'_>, t: &Ticket, top: f32) -> f32 {
    let mut rows = vec![
        ("姓名", t.candidate_name.as_str()),
        ("证件号码", t.id_number_masked.as_str()),
        ("准考证号", t.ticket_number.as_str()),
        ("座位号", t.seat.as_str()),
        ("考试科目", t.exam_title.as_str()),
        ("考试时间", t.window.as_str()),
        ("考试地点", t.venue.as_str()),
    ];
    if let Some(address) = &t.address {
        rows.push(("详细地址", address.as_str()));
    }
    let fonts = c.fonts();
    let cell = Paint::stroke(Rgb8::BLACK, 0.6);
    let mut y = top;
    let mut photo_rows_h = 0.0;
    for (i, (label, value)) in rows.into_iter().enumerate() {
        let right = if i < PHOTO_ROWS {
            RIGHT - PHOTO_COL_W
        } else {
            RIGHT
        };
        // Long values (an address, a long exam title) wrap and grow the row.
        let lines = fonts.wrap(value, TABLE_PT, right - LEFT - LABEL_W - 6.0);
        let h = ROW_H.max(lines.len() as f32 * TABLE_LINE_H + 6.0);
        c.rect(LEFT, y, LABEL_W, h, Paint::Fill(Rgb8::LIGHT_FILL));
        // Baselines ~1.5 mm below the centre line look vertically centred.
        c.text(
            LEFT + LABEL_W / 2.0,
            y + h / 2.0 + 1.5,
            Style::new(TABLE_PT).centered(),
            label,
        );
        let mut baseline = y + (h - lines.len() as f32 * TABLE_LINE_H) / 2.0 + TABLE_LINE_H - 1.5;
        for line in &lines {
            c.text(LEFT + LABEL_W + 3.0, baseline, Style::new(TABLE_PT), line);
            baseline += TABLE_LINE_H;
        }
        c.rect(LEFT, y, LABEL_W, h, cell);
        c.rect(LEFT + LABEL_W, y, right - LEFT - LABEL_W, h, cell);
        if i < PHOTO_ROWS {
            photo_rows_h += h;
        }
        y += h;
    }
    let photo_x = RIGHT - PHOTO_COL_W;
    c.rect(photo_x, top, PHOTO_COL_W, photo_rows_h, cell);
    // 3:4 like an ID photo; a full 2-inch photo (35 x 49 mm) would not fit.
    let (pw, ph) = (28.0, 38.0);
    c.photo_placeholder(
        photo_x + (PHOTO_COL_W - pw) / 2.0,
        top + (photo_rows_h - ph) / 2.0,
        pw,
        ph,
    );
    c.rect(
        LEFT,
        top,
        RIGHT - LEFT,
        y - top,
        Paint::stroke(Rgb8::BLACK, 1.2),
    );
    y
}

/// "考试须知" and the numbered rules between `top` and `bottom`, in the first
/// of `sizes_pt` that fits. Draws nothing and returns false if none does.
fn rules(c: &mut Canvas<'_>, rules: &[String], top: f32, bottom: f32, sizes_pt: &[f32]) -> bool {
    const GAP: f32 = 1.2;
    let fonts = c.fonts();
    let (w, _) = A4_PORTRAIT;
    let first_baseline = top + 8.0;
    for &size in sizes_pt {
        let line_h = size * 0.52;
        // Hanging indent: continuation lines align with the text after "1.".
        let indent = fonts.text_width_mm("10. ", size);
        let wrapped: Vec<Vec<String>> = rules
            .iter()
            .map(|r| fonts.wrap(r, size, RIGHT - LEFT - 4.0 - indent))
            .collect();
        let needed: f32 = wrapped
            .iter()
            .map(|lines| lines.len() as f32 * line_h + GAP)
            .sum();
        if first_baseline + needed > bottom {
            continue;
        }
        c.text(w / 2.0, top, Style::new(13.0).centered(), "考试须知");
        let mut y = first_baseline;
        for (i, lines) in wrapped.iter().enumerate() {
            c.text(LEFT + 2.0, y, Style::new(size), &format!("{}.", i + 1));
            for line in lines {
                c.text(LEFT + 2.0 + indent, y, Style::new(size), line);
                y += line_h;
            }
            y += GAP;
        }
        return true;
    }
    false
}

#[cfg(test)]
mod tests {
    //! The pdftotext / pdftoppm / zbarimg tests need Debian's poppler-utils and
    //! zbar-tools; they fail (rather than skip) when those are missing, so CI
    //! cannot pass without really checking the PDF.

    use std::path::PathBuf;
    use std::process::Command;
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    const FONT: &[u8] = include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/certificates/fonts/NotoSansCJKsc-Regular-subset.otf"
    ));

    fn fonts() -> &'static PdfFonts {
        static FONTS: OnceLock<PdfFonts> = OnceLock::new();
        FONTS.get_or_init(|| PdfFonts::load(FONT).expect("font parses"))
    }

    /// Characters from real people's names that a GB2312-only font lacks.
    const RARE: &str = "䶮堃喆昇珺淼犇龑𠇔·";

    fn sample() -> Ticket {
        Ticket {
            heading: "准考证".into(),
            exam_title: "2026年度生产经营单位主要负责人安全生产知识和管理能力考核".into(),
            candidate_name: "司马䶮堃".into(),
            id_number_masked: "110105********123X".into(),
            ticket_number: "AQ20261205-0001".into(),
            seat: "第3考场 17号".into(),
            venue: "朝阳区应急管理局考试中心".into(),
            address: Some("北京市朝阳区安慧里二区12号楼3层（东门进入，凭准考证登记）".into()),
            window: "2026年12月5日 09:00–10:00".into(),
            rules: vec![
                "考生须凭本准考证和有效身份证件于开考前30分钟进入考场，迟到15分钟以上者不得入场，开考后30分钟内不得交卷离场。".into(),
                "考生只准携带黑色签字笔、铅笔、橡皮等必需文具，手机、智能手表等电子设备须关机后放在指定位置。".into(),
                "考试期间保持安静，独立完成答题，不得交头接耳、传递物品，违者按违纪处理。".into(),
            ],
            qr_payload: "https://safecert.example.cn/v/AQ20261205-0001?s=3f9a2c".into(),
            issuer: "北京市朝阳区应急管理局".into(),
        }
    }

    /// A fresh path under the temp dir (no tempfile crate: one dependency less).
    fn temp_path(ext: &str) -> PathBuf {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        std::env::temp_dir().join(format!("safecert-pdf-{}-{n}.{ext}", std::process::id()))
    }

    /// True when the poppler/zbar tools are missing and the test should be skipped.
    /// `.ci/run` installs them and sets SAFECERT_REQUIRE_PDF_TOOLS, so CI never skips.
    fn skip_without(tools: &[&str]) -> bool {
        let missing: Vec<&str> = tools
            .iter()
            .copied()
            .filter(|t| Command::new(t).arg("-v").output().is_err())
            .collect();
        if missing.is_empty() {
            return false;
        }
        assert!(
            std::env::var_os("SAFECERT_REQUIRE_PDF_TOOLS").is_none(),
            "missing {missing:?}: apt-get install poppler-utils zbar-tools"
        );
        eprintln!("skipped: {missing:?} not installed (apt-get install poppler-utils zbar-tools)");
        true
    }

    fn run(cmd: &mut Command) -> String {
        let out = cmd.output().unwrap_or_else(|e| {
            panic!("cannot run {cmd:?} ({e}); apt-get install poppler-utils zbar-tools")
        });
        assert!(
            out.status.success(),
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    fn pdftotext(pdf: &[u8]) -> String {
        let path = temp_path("pdf");
        std::fs::write(&path, pdf).unwrap();
        let text = run(Command::new("pdftotext").arg("-layout").arg(&path).arg("-"));
        std::fs::remove_file(&path).ok();
        text
    }

    /// Line breaks and layout spacing removed, so wrapped lines compare whole.
    fn squeeze(s: &str) -> String {
        s.chars().filter(|c| !c.is_whitespace()).collect()
    }

    #[test]
    fn font_covers_rare_name_characters() {
        assert_eq!(fonts().missing_chars(RARE), Vec::<char>::new());
        // U+4DAE (CJK Ext A), U+9F91 and U+201D4 (Ext B) by code point too, so
        // the test cannot be fooled by an editor normalising the literal.
        for cp in [0x4DAE, 0x9F91, 0x201D4, 0x00B7] {
            let c = char::from_u32(cp).unwrap();
            assert!(
                fonts().missing_chars(&c.to_string()).is_empty(),
                "U+{cp:04X}"
            );
        }
    }

    #[test]
    fn ticket_is_small_and_subset() {
        let pdf = admission_ticket(fonts(), &sample()).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        // The full font is 7.9 MB; a subset ticket is ~30 KB.
        assert!(pdf.len() < 100_000, "ticket is {} bytes", pdf.len());
    }

    #[test]
    fn pdftotext_gives_back_the_chinese_text() {
        if skip_without(&["pdftotext"]) {
            return;
        }
        let mut t = sample();
        t.candidate_name = format!("王{RARE}");
        let text = squeeze(&pdftotext(&admission_ticket(fonts(), &t).unwrap()));
        for expected in [
            &t.heading,
            &t.exam_title,
            &t.candidate_name,
            &t.id_number_masked,
            &t.ticket_number,
            &t.seat,
            &t.venue,
            t.address.as_ref().unwrap(),
            &t.window,
            &t.issuer,
            "考试须知",
            "照片",
        ]
        .into_iter()
        .chain(t.rules.iter().map(String::as_str))
        {
            assert!(
                text.contains(&squeeze(expected)),
                "{expected:?} not in:\n{text}"
            );
        }
    }

    #[test]
    fn qr_code_renders_and_decodes() {
        if skip_without(&["pdftoppm", "zbarimg"]) {
            return;
        }
        let pdf_path = temp_path("pdf");
        std::fs::write(&pdf_path, admission_ticket(fonts(), &sample()).unwrap()).unwrap();
        let png_prefix = temp_path("page");
        run(Command::new("pdftoppm")
            .args(["-r", "150", "-png", "-singlefile"])
            .arg(&pdf_path)
            .arg(&png_prefix));
        // pdftoppm appends ".png" to the root it is given.
        let png = PathBuf::from(format!("{}.png", png_prefix.display()));
        let decoded = run(Command::new("zbarimg").args(["-q", "--raw"]).arg(&png));
        std::fs::remove_file(&pdf_path).ok();
        std::fs::remove_file(&png).ok();
        assert_eq!(decoded.trim_end(), sample().qr_payload);
    }

    #[test]
    fn missing_glyph_is_an_error_not_a_silent_gap() {
        let mut t = sample();
        t.candidate_name = "王😀".into();
        match admission_ticket(fonts(), &t) {
            Err(PdfError::MissingGlyphs(chars)) => assert_eq!(chars, "😀"),
            other => panic!("expected MissingGlyphs, got {other:?}"),
        }
    }

    fn page_count(pdf: &[u8]) -> usize {
        let path = temp_path("pdf");
        std::fs::write(&path, pdf).unwrap();
        let info = run(Command::new("pdfinfo").arg(&path));
        std::fs::remove_file(&path).ok();
        let pages = info.lines().find_map(|l| l.strip_prefix("Pages:")).unwrap();
        pages.trim().parse().unwrap()
    }

    #[test]
    fn long_rules_shrink_then_move_to_the_back() {
        if skip_without(&["pdfinfo", "pdftotext"]) {
            return;
        }
        let mut t = sample();
        let rule = &sample().rules[0];
        t.rules = (1..=6).map(|i| format!("第{i}条：{rule}")).collect();
        assert_eq!(page_count(&admission_ticket(fonts(), &t).unwrap()), 1);

        t.rules = (1..=12).map(|i| format!("第{i}条：{rule}")).collect();
        let pdf = admission_ticket(fonts(), &t).unwrap();
        assert_eq!(page_count(&pdf), 2);
        let text = squeeze(&pdftotext(&pdf));
        assert!(text.contains("考试须知见背面"));
        assert!(text.contains(&squeeze(t.rules.last().unwrap())));

        t.rules = vec![rule.clone(); 80];
        let result = admission_ticket(fonts(), &t);
        assert!(matches!(result, Err(PdfError::Layout(_))), "{result:?}");
    }

    #[test]
    fn wrap_respects_width_and_chinese_line_breaking() {
        let f = fonts();
        let text =
            "考生须凭本准考证和有效身份证件于开考前30分钟进入考场，迟到15分钟以上者不得入场。";
        let lines = f.wrap(text, 10.5, 40.0);
        assert!(lines.len() > 2);
        assert_eq!(lines.concat(), text);
        for (i, line) in lines.iter().enumerate() {
            let first = line.chars().next().unwrap();
            assert!(
                !"，。、".contains(first),
                "line {i} starts with {first}: {lines:?}"
            );
            // A hanging punctuation mark may overflow by itself only.
            let body: String = line.trim_end_matches(['，', '。']).into();
            assert!(f.text_width_mm(&body, 10.5) <= 40.0, "{line} too wide");
        }
        // "30" and "15" are never split across lines.
        assert!(
            lines.iter().all(|l| !l.ends_with('3') && !l.ends_with('1')),
            "{lines:?}"
        );
        assert_eq!(f.wrap("甲\n乙", 10.0, 100.0), ["甲", "乙"]);
    }

    #[test]
    fn fonts_handle_is_shareable_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<PdfFonts>();
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let f = fonts().clone();
                std::thread::spawn(move || admission_ticket(&f, &sample()).map(|p| p.len()))
            })
            .collect();
        for h in handles {
            assert!(h.join().unwrap().unwrap() < 100_000);
        }
    }

    /// `cargo test --release -- --ignored --nocapture render_rate`
    #[test]
    #[ignore = "timing, not a check"]
    fn render_rate() {
        let (f, t) = (fonts(), sample());
        admission_ticket(f, &t).unwrap(); // warm the glyph cache
        let n = 300;
        let start = std::time::Instant::now();
        for _ in 0..n {
            std::hint::black_box(admission_ticket(f, &t).unwrap());
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{n} tickets in {secs:.2}s = {:.0} tickets/s on one core",
            n as f64 / secs
        );
    }
}
