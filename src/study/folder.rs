//! The lesson folder format (`safecert-lesson/1`, described in `lessons/README.md`): one
//! folder per course, named by its code, one Markdown file per lesson with TOML front matter
//! between `+++` lines. Used for the lessons shipped in the binary and for imports. A lesson may
//! name image and video files kept in the course folder's `media/` folder (`![说明](media/a.png)`,
//! `video = "media/b.mp4"`); an import uploads them and writes their `/media/{id}` paths in.

use super::NewLesson;
use crate::media::MediaKind;
use serde::Deserialize;
use std::path::{Path, PathBuf};

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
    /// The files of the folder's `media/` the lesson names (`media/a.png`), to upload; the
    /// lesson's body and video still name them so until [`LessonFile::with_media`].
    pub media: Vec<PathBuf>,
}

/// A reference to a file in the lesson folder's `media/`: `media/NAME`, NAME a plain file name.
fn folder_media(reference: &str) -> Option<&str> {
    reference
        .strip_prefix("media/")
        .filter(|name| !name.is_empty() && !name.contains(['/', '\\']) && !name.starts_with('.'))
}

/// The `media/NAME` references of a lesson body's links and images, in order, once each.
fn body_media(body: &str) -> Vec<&str> {
    let mut found: Vec<&str> = Vec::new();
    for (at, _) in body.match_indices("](media/") {
        let rest = &body[at + 2..];
        let end = rest.find([')', ' ', '"']).unwrap_or(rest.len());
        let reference = &rest[..end];
        if folder_media(reference).is_some() && !found.contains(&reference) {
            found.push(reference);
        }
    }
    found
}

impl LessonFile {
    /// The lesson with each `media/NAME` replaced by the path its upload got.
    pub fn with_media(&self, uploaded: &dyn Fn(&Path) -> Option<String>) -> NewLesson {
        let mut lesson = self.lesson.clone();
        for path in &self.media {
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            let Some(to) = uploaded(path) else { continue };
            let from = format!("media/{name}");
            lesson.body = lesson
                .body
                .replace(&format!("]({from})"), &format!("]({to})"))
                .replace(&format!("]({from} "), &format!("]({to} "));
            if lesson.video_url.as_deref() == Some(from.as_str()) {
                lesson.video_url = Some(to.clone());
            }
        }
        lesson
    }
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
    // A video in the folder is checked once it is uploaded and has its path.
    let folder_video = lesson.video_url.as_deref().and_then(folder_media).is_some();
    let checked = NewLesson {
        video_url: lesson.video_url.clone().filter(|_| !folder_video),
        ..lesson.clone()
    };
    checked.check().map_err(|e| match e {
        crate::error::AppError::Invalid(invalid) => format!("{name}：{}", invalid.reason),
        other => format!("{name}：{other}"),
    })?;
    let mut media: Vec<PathBuf> = body_media(&lesson.body)
        .into_iter()
        .map(PathBuf::from)
        .collect();
    if folder_video {
        media.push(PathBuf::from(lesson.video_url.clone().unwrap_or_default()));
    }
    Ok(LessonFile {
        course: front.course.trim().to_string(),
        lesson,
        media,
    })
}

/// Checks that each file a lesson names is in the folder and is an image or a video a page
/// shows (a video where the lesson's video is); makes its path whole.
fn find_media(dir: &Path, name: &str, file: &mut LessonFile) -> Result<(), String> {
    let video = file.lesson.video_url.clone();
    for path in &mut file.media {
        let reference = path.display().to_string();
        let whole = dir.join(&*path);
        let mut head = [0u8; 16];
        let read = std::fs::File::open(&whole).and_then(|mut f| {
            use std::io::Read;
            f.read(&mut head)
        });
        let kind = match read {
            Ok(n) => MediaKind::sniff(&head[..n]),
            Err(_) => return Err(format!("{name}：引用的文件 {reference} 不在课程文件夹中")),
        };
        let Some(kind) = kind else {
            return Err(format!(
                "{name}：{reference} 不是 PNG、JPEG、GIF、WebP 图片或 MP4、WebM 视频"
            ));
        };
        if video.as_deref() == Some(reference.as_str()) && !kind.is_video() {
            return Err(format!("{name}：video 指向的 {reference} 不是视频文件"));
        }
        let size = std::fs::metadata(&whole).map(|m| m.len()).unwrap_or(0);
        if size > kind.max_bytes() {
            return Err(format!(
                "{name}：{reference} 太大（图片不超过 10 MB，视频不超过 500 MB）"
            ));
        }
        *path = whole;
    }
    Ok(())
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
            let name = path.display().to_string();
            let mut file = parse(&name, &text)?;
            find_media(dir, &name, &mut file)?;
            Ok(file)
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

    #[test]
    fn a_lesson_names_files_of_its_folder_and_gets_their_paths() {
        let file = parse(
            "x.md",
            "+++\nformat = \"safecert-lesson/1\"\ncourse = \"FR\"\nmodule = \"m\"\norder = 1\ntitle = \"t\"\n\
             required_minutes = 5\nvideo = \"media/cpr.mp4\"\n+++\n看图：![按压](media/hands.png) 再看 ![按压](media/hands.png)\n\
             [外链](https://www.mem.gov.cn/) ![坏](media/../secret.png)",
        )
        .unwrap();
        assert_eq!(
            file.media,
            [
                PathBuf::from("media/hands.png"),
                PathBuf::from("media/cpr.mp4")
            ]
        );
        let lesson = file.with_media(&|p| {
            Some(
                if p.ends_with("cpr.mp4") {
                    "/media/7"
                } else {
                    "/media/6"
                }
                .to_string(),
            )
        });
        assert_eq!(lesson.video_url.as_deref(), Some("/media/7"));
        assert_eq!(
            lesson.body,
            "看图：![按压](/media/6) 再看 ![按压](/media/6)\n[外链](https://www.mem.gov.cn/) ![坏](media/../secret.png)"
        );
        assert!(lesson.check().is_ok());
    }
}
