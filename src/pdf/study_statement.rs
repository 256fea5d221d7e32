//! The 学时证明: one person's online study of one course in one year, on A4 portrait, with
//! each lesson studied in full that year. Printed for an employer or a re-training record.

use super::{A4_PORTRAIT, Canvas, PdfError, PdfFonts, Rgb8, Style, render};

/// What the statement prints. Strings are printed as given: the ID number must already be
/// masked.
#[derive(Clone, Debug)]
pub struct StudyStatement {
    pub name: String,
    pub id_number_masked: String,
    pub course_title: String,
    pub year: i32,
    /// e.g. "12"; the hours the lessons below add up to.
    pub hours: String,
    /// e.g. "16"; what the course's lessons ask in all.
    pub course_hours: String,
    /// Each lesson studied in full in the year: (its number and title, minutes, the day).
    pub lessons: Vec<(String, String, String)>,
    /// e.g. "2026年12月7日".
    pub issued_on: String,
    pub issuer: String,
}

const LEFT: f32 = 22.0;
const RIGHT: f32 = 188.0;
/// Lessons listed on the page; a longer list says how many more there are.
const LISTED: usize = 24;

pub fn study_statement(fonts: &PdfFonts, s: &StudyStatement) -> Result<Vec<u8>, PdfError> {
    let mut c = Canvas::new(fonts, A4_PORTRAIT);
    let (w, h) = A4_PORTRAIT;
    super::ticket::frame(&mut c);
    c.text(w / 2.0, 36.0, Style::new(28.0).centered(), "学时证明");
    c.line(LEFT, 44.0, RIGHT, 44.0, Rgb8::OFFICIAL_RED, 1.2);

    let mut y = 56.0;
    let body = format!(
        "兹证明 {}（证件号码 {}）于 {} 年度通过线上学习完成《{}》课程 {} 学时（每学时 45 分钟，按服务器记录的有效学习时长计），该课程线上学习共 {} 学时。",
        s.name, s.id_number_masked, s.year, s.course_title, s.hours, s.course_hours
    );
    y = c.paragraph(LEFT, y, RIGHT - LEFT, 8.0, Style::new(13.0), &body) + 6.0;

    c.text(LEFT, y, Style::new(12.0), "本年度学完的课时：");
    y += 8.0;
    let small = Style::new(10.5);
    let grey = Style::new(10.5).color(Rgb8::GREY);
    if s.lessons.is_empty() {
        c.text(LEFT + 4.0, y, grey, "（无）");
        y += 6.5;
    }
    for (title, minutes, day) in s.lessons.iter().take(LISTED) {
        let title = fonts
            .wrap(title, 10.5, RIGHT - LEFT - 62.0)
            .into_iter()
            .next()
            .unwrap_or_default();
        c.text(LEFT + 4.0, y, small, &title);
        c.text(RIGHT - 34.0, y, small.right(), minutes);
        c.text(RIGHT, y, grey.right(), day);
        y += 6.5;
    }
    if s.lessons.len() > LISTED {
        c.text(
            LEFT + 4.0,
            y,
            grey,
            &format!("另有 {} 课，见学习记录。", s.lessons.len() - LISTED),
        );
    }

    let bottom = h - 50.0;
    c.line(LEFT, bottom, RIGHT, bottom, Rgb8::GREY, 0.4);
    c.text(RIGHT, bottom + 12.0, Style::new(13.0).right(), &s.issuer);
    c.text(RIGHT, bottom + 20.0, Style::new(11.0).right(), &s.issued_on);
    c.text(
        LEFT,
        bottom + 28.0,
        Style::new(9.0).color(Rgb8::GREY),
        "学时由服务器按学习页面在前台、学员在操作时的心跳计入，不计后台挂机与快进。",
    );
    render(fonts, "学时证明", vec![c])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fonts() -> PdfFonts {
        PdfFonts::load(crate::CJK_FONT).expect("font loads")
    }

    #[test]
    fn a_statement_renders_as_one_pdf_page() {
        let s = StudyStatement {
            name: "林晓".into(),
            id_number_masked: "4403**********0012".into(),
            course_title: "应急第一响应人（线上理论）".into(),
            year: 2026,
            hours: "2".into(),
            course_hours: "16".into(),
            lessons: vec![
                (
                    "第 1 课 心肺复苏".into(),
                    "45 分钟".into(),
                    "2026-12-07".into(),
                ),
                (
                    "第 2 课 止血包扎".into(),
                    "45 分钟".into(),
                    "2026-12-07".into(),
                ),
            ],
            issued_on: "2026年12月7日".into(),
            issuer: "深圳市某区应急管理局".into(),
        };
        let pdf = study_statement(&fonts(), &s).unwrap();
        assert!(pdf.starts_with(b"%PDF"));
    }
}
