//! The lesson folder format (`safecert-lesson/1`, described in `lessons/README.md`): one
//! folder per course, named by its code, one Markdown file per lesson with TOML front matter
//! between `+++` lines. Used for the lessons shipped in the binary and for imports.

use super::NewLesson;
use serde::Deserialize;
use std::path::Path;

pub const FORMAT: &str = "safecert-lesson/1";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    format: String,
    course: String,
    module: String,
    order: i64,
    title: String,
    required_minutes: i64,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    video: Option<String>,
}

/// One lesson file read: the course code it names and the lesson.
#[derive(Debug, Clone, PartialEq)]
pub struct LessonFile {
    pub course: String,
    pub lesson: NewLesson,
}

/// Reads one lesson file; the error says what is wrong, in Chinese, for `name`.
pub fn parse(name: &str, text: &str) -> Result<LessonFile, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rest = text
        .strip_prefix("+++\n")
        .or_else(|| text.strip_prefix("+++\r\n"))
        .ok_or_else(|| format!("{name}：文件须以 +++ 开头的 TOML 头信息开始"))?;
    let end = rest
        .find("\n+++")
        .ok_or_else(|| format!("{name}：头信息缺少结尾的 +++ 行"))?;
    let (head, body) = (&rest[..end], &rest[end + 4..]);
    let body = body.trim_start_matches(['\r', '\n']).trim_end().to_string();
    let front: FrontMatter =
        toml::from_str(head).map_err(|e| format!("{name}：头信息无法读取：{}", e.message()))?;
    if front.format != FORMAT {
        return Err(format!(
            "{name}：format 须为 \"{FORMAT}\"，而不是 \"{}\"",
            front.format
        ));
    }
    let video = front.video.filter(|v| !v.trim().is_empty());
    let lesson = NewLesson {
        position: front.order,
        module: front.module.trim().to_string(),
        title: front.title.trim().to_string(),
        body,
        required_seconds: front.required_minutes.saturating_mul(60),
        video_url: video,
        sources: front.sources,
    };
    lesson.check().map_err(|e| match e {
        crate::error::AppError::Invalid(invalid) => format!("{name}：{}", invalid.reason),
        other => format!("{name}：{other}"),
    })?;
    Ok(LessonFile {
        course: front.course.trim().to_string(),
        lesson,
    })
}

/// Reads every `*.md` lesson in `dir` (not its README), in file-name order.
pub fn read_dir(dir: &Path) -> Result<Vec<LessonFile>, String> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}：无法读取目录：{e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "md")
                && p.file_name().is_some_and(|n| n != "README.md")
        })
        .collect();
    names.sort();
    names
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("{}：无法读取：{e}", path.display()))?;
            parse(&path.display().to_string(), &text)
        })
        .collect()
}

macro_rules! shipped {
    ($path:literal) => {
        ($path, include_str!(concat!("../../lessons/", $path)))
    };
}

/// The lessons shipped with SafeCert (`lessons/`), embedded in the binary: (file, text).
/// A test checks this list against the folder.
pub const SHIPPED: &[(&str, &str)] = &[
    shipped!("FR-THEORY/01-disaster-basics.md"),
    shipped!("FR-THEORY/02-natural-hazards.md"),
    shipped!("FR-THEORY/03-earthquake-evacuation.md"),
    shipped!("FR-THEORY/04-crowd-evacuation-shelters.md"),
    shipped!("FR-THEORY/05-emergency-calls.md"),
    shipped!("FR-THEORY/06-incident-reporting.md"),
    shipped!("FR-THEORY/07-shock-gas-poisoning.md"),
    shipped!("FR-THEORY/08-traffic-water-heat-crowd.md"),
    shipped!("FR-THEORY/09-fire-classes-extinguishers.md"),
    shipped!("FR-THEORY/10-fire-escape-home-safety.md"),
    shipped!("FR-THEORY/11-scene-safety-search.md"),
    shipped!("FR-THEORY/12-light-rescue-handover.md"),
    shipped!("FR-THEORY/13-cpr-aed.md"),
    shipped!("FR-THEORY/14-choking-bleeding-bandaging.md"),
    shipped!("FR-THEORY/15-fracture-burns-heat-drowning.md"),
    shipped!("RE-CS/01-confined-space-entry.md"),
    shipped!("RE-DUST/01-dust-explosion-prevention.md"),
    shipped!("RE-EP/01-plating-chemical-hazards.md"),
    shipped!("RE-HC/01-major-hazard-control.md"),
    shipped!("RE-LB/01-thermal-runaway-control.md"),
];

/// The shipped lessons, read. Each names its course by code.
pub fn shipped_lessons() -> Result<Vec<LessonFile>, String> {
    SHIPPED
        .iter()
        .map(|(name, text)| parse(name, text))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_list_names_every_lesson_in_the_folder() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons");
        let mut on_disk = Vec::new();
        for course in std::fs::read_dir(&root).unwrap() {
            let course = course.unwrap().path();
            if course.is_dir() {
                for lesson in read_dir(&course).unwrap() {
                    on_disk.push((lesson.course, lesson.lesson.position));
                }
            }
        }
        on_disk.sort();
        let mut shipped: Vec<_> = shipped_lessons()
            .unwrap()
            .into_iter()
            .map(|l| (l.course, l.lesson.position))
            .collect();
        shipped.sort();
        assert_eq!(shipped, on_disk);
    }

    #[test]
    fn the_first_responder_course_is_seven_modules_and_sixteen_hours_online() {
        let lessons: Vec<_> = shipped_lessons()
            .unwrap()
            .into_iter()
            .filter(|l| l.course == "FR-THEORY")
            .collect();
        let modules: std::collections::BTreeSet<_> =
            lessons.iter().map(|l| l.lesson.module.as_str()).collect();
        let expected = [
            "防灾减灾基础",
            "应急避难与现场疏散",
            "突发事件信息收集与上报",
            "事故基础知识及应对",
            "消防安全与火灾应对",
            "灾后初期搜索与营救",
            "应急救护",
        ];
        assert_eq!(modules, expected.into_iter().collect());
        let seconds: i64 = lessons.iter().map(|l| l.lesson.required_seconds).sum();
        assert_eq!(seconds, 16 * super::super::SECONDS_PER_STUDY_HOUR);
        assert!(
            lessons.iter().all(|l| !l.lesson.sources.is_empty()),
            "every lesson names its sources"
        );
    }

    #[test]
    fn every_reeducation_course_ships_a_lesson() {
        let shipped = shipped_lessons().unwrap();
        for code in ["RE-CS", "RE-DUST", "RE-EP", "RE-HC", "RE-LB"] {
            assert!(shipped.iter().any(|l| l.course == code), "{code}");
        }
    }

    #[test]
    fn a_broken_file_is_refused_saying_what_is_wrong() {
        let err = parse("x.md", "no front matter").unwrap_err();
        assert!(err.contains("+++"), "{err}");
        let err = parse(
            "x.md",
            "+++\nformat = \"safecert-lesson/1\"\ncourse = \"FR\"\nmodule = \"m\"\norder = 1\ntitle = \"t\"\nrequired_minutes = 0\n+++\n正文",
        )
        .unwrap_err();
        assert!(err.contains("学习时长"), "{err}");
        let err = parse("x.md", "+++\nformat = \"other/2\"\n+++\n正文").unwrap_err();
        assert!(err.contains("x.md"), "{err}");
    }
}
