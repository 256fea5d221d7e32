//! 课件文件 (lesson media): the images and videos the bureau uploads for its lessons.
//!
//! A file is kept in the database in chunks of [`CHUNK_BYTES`]: every app instance serves it,
//! a backup holds it, and a video is sent a range at a time (a phone seeking in a lesson's
//! video reads only the chunks it needs). Its kind is read from its first bytes, never taken
//! from the browser's word, and only images and videos a page can show are kept: nothing an
//! upload holds can run script on the site (no SVG, no HTML). An upload is written chunk by
//! chunk as it arrives, each chunk in its own short write, so a large video neither fills
//! memory nor holds the database's write lock while it crosses the network; it is served
//! only once complete. Owns `media` and `media_chunks`.

pub mod store;

use crate::{db::Db, error::AppError};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use std::path::Path;

/// The size of a stored chunk, and so of the most read for one slice of a range.
pub const CHUNK_BYTES: usize = 1 << 20;

/// The kinds of file a lesson can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Png,
    Jpeg,
    Gif,
    Webp,
    Mp4,
    Webm,
}

impl MediaKind {
    /// The kind of a file by its first bytes (its magic number), if it is one a page shows.
    pub fn sniff(head: &[u8]) -> Option<MediaKind> {
        if head.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(MediaKind::Png)
        } else if head.starts_with(b"\xff\xd8\xff") {
            Some(MediaKind::Jpeg)
        } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
            Some(MediaKind::Gif)
        } else if head.len() >= 12 && head.starts_with(b"RIFF") && &head[8..12] == b"WEBP" {
            Some(MediaKind::Webp)
        } else if head.len() >= 12 && &head[4..8] == b"ftyp" {
            // ISO base media (MP4): a box of type `ftyp` comes first.
            Some(MediaKind::Mp4)
        } else if head.starts_with(b"\x1a\x45\xdf\xa3") {
            // EBML, the container of WebM.
            Some(MediaKind::Webm)
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            MediaKind::Png => "png",
            MediaKind::Jpeg => "jpeg",
            MediaKind::Gif => "gif",
            MediaKind::Webp => "webp",
            MediaKind::Mp4 => "mp4",
            MediaKind::Webm => "webm",
        }
    }

    pub fn parse(name: &str) -> Option<MediaKind> {
        [
            MediaKind::Png,
            MediaKind::Jpeg,
            MediaKind::Gif,
            MediaKind::Webp,
            MediaKind::Mp4,
            MediaKind::Webm,
        ]
        .into_iter()
        .find(|k| k.name() == name)
    }

    pub fn content_type(self) -> &'static str {
        match self {
            MediaKind::Png => "image/png",
            MediaKind::Jpeg => "image/jpeg",
            MediaKind::Gif => "image/gif",
            MediaKind::Webp => "image/webp",
            MediaKind::Mp4 => "video/mp4",
            MediaKind::Webm => "video/webm",
        }
    }

    pub fn is_video(self) -> bool {
        matches!(self, MediaKind::Mp4 | MediaKind::Webm)
    }

    /// The largest file of the kind kept: a lesson's image is a few hundred KB, a video of a
    /// 45-minute lesson at phone quality a few hundred MB.
    pub fn max_bytes(self) -> u64 {
        if self.is_video() {
            MAX_VIDEO_BYTES
        } else {
            MAX_IMAGE_BYTES
        }
    }
}

pub const MAX_IMAGE_BYTES: u64 = 10 * 1024 * 1024;
pub const MAX_VIDEO_BYTES: u64 = 500 * 1024 * 1024;

/// A stored file, as listed and served.
#[derive(Debug, Clone, PartialEq)]
pub struct Media {
    pub id: i64,
    pub course_id: i64,
    pub kind: MediaKind,
    pub file_name: String,
    pub byte_count: u64,
    /// Hex SHA-256 of the whole file.
    pub sha256: String,
    pub created_at: DateTime<Utc>,
}

impl Media {
    /// Where pages and lessons find it.
    pub fn path(&self) -> String {
        format!("/media/{}", self.id)
    }

    /// What to write in a lesson to show it: Markdown for an image, the video field's value
    /// for a video.
    pub fn snippet(&self) -> String {
        if self.kind.is_video() {
            self.path()
        } else {
            format!("![{}]({})", self.file_name, self.path())
        }
    }
}

/// Whether a lesson's link names a file kept here (`/media/{id}`).
pub fn is_media_path(url: &str) -> bool {
    url.strip_prefix("/media/")
        .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
}

/// Why an upload was refused, in words for the person who sent it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadRefused {
    #[error("只能上传 PNG、JPEG、GIF、WebP 图片或 MP4、WebM 视频（按文件内容识别，不看扩展名）。")]
    NotMedia,
    #[error("文件是空的，请重新选择。")]
    Empty,
    #[error("文件太大：图片不超过 10 MB，视频不超过 500 MB。")]
    TooLarge,
}

/// An upload being written as it arrives: bytes are gathered into chunks of
/// [`CHUNK_BYTES`] and each full chunk is written at once, so memory holds at most one chunk.
pub struct Upload {
    course_id: i64,
    uploaded_by: Option<i64>,
    file_name: String,
    /// The row, once the first chunk told the kind.
    started: Option<(i64, MediaKind)>,
    pending: Vec<u8>,
    written_chunks: i64,
    total: u64,
    digest: Sha256,
}

/// What a failed upload says: refused (the person's mistake) or the database failed.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error(transparent)]
    Refused(#[from] UploadRefused),
    #[error(transparent)]
    Store(#[from] AppError),
}

impl Upload {
    /// An upload for the course; `uploaded_by` is the console's user (none for an import).
    pub fn new(course_id: i64, uploaded_by: Option<i64>, file_name: &str) -> Upload {
        Upload {
            course_id,
            uploaded_by,
            file_name: clean_file_name(file_name),
            started: None,
            pending: Vec::with_capacity(CHUNK_BYTES),
            written_chunks: 0,
            total: 0,
            digest: Sha256::new(),
        }
    }

    /// Takes the next bytes; writes every chunk they fill.
    pub async fn push(&mut self, db: &Db, mut bytes: &[u8]) -> Result<(), UploadError> {
        while !bytes.is_empty() {
            let room = CHUNK_BYTES - self.pending.len();
            let (now, later) = bytes.split_at(room.min(bytes.len()));
            self.pending.extend_from_slice(now);
            self.total += now.len() as u64;
            self.digest.update(now);
            bytes = later;
            if self.pending.len() == CHUNK_BYTES {
                self.flush(db).await?;
            }
        }
        Ok(())
    }

    async fn flush(&mut self, db: &Db) -> Result<(), UploadError> {
        let (id, kind) = match self.started {
            Some(started) => started,
            None => {
                let kind = MediaKind::sniff(&self.pending).ok_or(UploadRefused::NotMedia)?;
                let id = store::begin(
                    db,
                    self.course_id,
                    kind,
                    &self.file_name,
                    self.uploaded_by,
                    Utc::now(),
                )
                .await?;
                self.started = Some((id, kind));
                (id, kind)
            }
        };
        if self.total > kind.max_bytes() {
            return Err(UploadRefused::TooLarge.into());
        }
        store::put_chunk(db, id, self.written_chunks, &self.pending).await?;
        self.written_chunks += 1;
        self.pending.clear();
        Ok(())
    }

    /// Writes the last chunk and marks the file complete.
    pub async fn finish(&mut self, db: &Db) -> Result<Media, UploadError> {
        if self.total == 0 {
            return Err(UploadRefused::Empty.into());
        }
        if !self.pending.is_empty() {
            self.flush(db).await?;
        }
        let (id, _) = self.started.expect("a non-empty upload has its row");
        let sha256 = hex::encode(self.digest.finalize_reset());
        store::complete(db, id, self.total, &sha256).await?;
        Ok(store::get(db, id)
            .await?
            .expect("the file just completed is there"))
    }

    /// Removes what a failed upload wrote (a refused or broken one).
    pub async fn abandon(self, db: &Db) {
        if let Some((id, _)) = self.started
            && let Err(e) = store::remove(db, id).await
        {
            tracing::warn!(media_id = id, error = %e, "a failed upload's chunks were not removed");
        }
    }
}

/// Keeps a file of a lesson folder for the course (`safecert import-lessons`), read a piece
/// at a time; a file the course already holds (the same bytes) is not kept twice, so an
/// import run again adds nothing.
pub async fn import_file(db: &Db, course_id: i64, path: &Path) -> Result<Media, UploadError> {
    use std::io::Read;
    let unreadable = |e: std::io::Error| {
        UploadError::Store(AppError::Internal(anyhow::anyhow!(
            "{}: {e}",
            path.display()
        )))
    };
    let mut digest = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut file = std::fs::File::open(path).map_err(unreadable)?;
    loop {
        let n = file.read(&mut buf).map_err(unreadable)?;
        if n == 0 {
            break;
        }
        digest.update(&buf[..n]);
    }
    let sha256 = hex::encode(digest.finalize());
    if let Some(kept) = store::same_in_course(db, course_id, &sha256).await? {
        return Ok(kept);
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut upload = Upload::new(course_id, None, &name);
    let mut file = std::fs::File::open(path).map_err(unreadable)?;
    let stored = async {
        loop {
            let n = file.read(&mut buf).map_err(unreadable)?;
            if n == 0 {
                break;
            }
            upload.push(db, &buf[..n]).await?;
        }
        upload.finish(db).await
    }
    .await;
    if stored.is_err() {
        upload.abandon(db).await;
    }
    stored
}

/// A file name as shown (a path's last part, at most 100 characters, no control characters).
fn clean_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '[' | ']' | '(' | ')' | '<' | '>'))
        .take(100)
        .collect();
    if clean.trim().is_empty() {
        "未命名文件".into()
    } else {
        clean.trim().to_string()
    }
}

/// The bytes a request asks for, from its `Range` header (one range of bytes; anything
/// else is answered with the whole file, as RFC 9110 allows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    Whole,
    /// First and last byte, inclusive, within the file.
    Part(u64, u64),
    /// A range that starts past the end: 416.
    Unsatisfiable,
}

pub fn wanted(range: Option<&str>, len: u64) -> Wanted {
    let Some(spec) = range.and_then(|r| r.trim().strip_prefix("bytes=")) else {
        return Wanted::Whole;
    };
    if spec.contains(',') {
        return Wanted::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Wanted::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    let parsed = match (first.is_empty(), last.is_empty()) {
        // The last n bytes.
        (true, false) => match last.parse::<u64>() {
            Ok(0) => return Wanted::Unsatisfiable,
            Ok(n) => Some((len.saturating_sub(n), len.saturating_sub(1))),
            Err(_) => None,
        },
        (false, true) => first
            .parse::<u64>()
            .ok()
            .map(|a| (a, len.saturating_sub(1))),
        (false, false) => match (first.parse::<u64>(), last.parse::<u64>()) {
            (Ok(a), Ok(b)) if a <= b => Some((a, b.min(len.saturating_sub(1)))),
            _ => None,
        },
        (true, true) => None,
    };
    match parsed {
        None => Wanted::Whole,
        Some((a, _)) if len == 0 || a >= len => Wanted::Unsatisfiable,
        Some((a, b)) => Wanted::Part(a, b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_known_by_its_first_bytes_not_its_name() {
        assert_eq!(
            MediaKind::sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some(MediaKind::Png)
        );
        assert_eq!(
            MediaKind::sniff(b"\xff\xd8\xff\xe0\0\x10JFIF"),
            Some(MediaKind::Jpeg)
        );
        assert_eq!(MediaKind::sniff(b"GIF89a\x01\0"), Some(MediaKind::Gif));
        assert_eq!(
            MediaKind::sniff(b"RIFF\x24\0\0\0WEBPVP8 "),
            Some(MediaKind::Webp)
        );
        assert_eq!(
            MediaKind::sniff(b"\0\0\0\x18ftypmp42\0\0\0\0"),
            Some(MediaKind::Mp4)
        );
        assert_eq!(
            MediaKind::sniff(b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81"),
            Some(MediaKind::Webm)
        );
        // Script in any form is never kept: SVG, HTML, a renamed text file.
        assert_eq!(
            MediaKind::sniff(b"<svg xmlns=\"http://www.w3.org/2000/svg\">"),
            None
        );
        assert_eq!(MediaKind::sniff(b"<!DOCTYPE html><script>"), None);
        assert_eq!(MediaKind::sniff(b"RIFF\x24\0\0\0WAVEfmt "), None);
        assert_eq!(MediaKind::sniff(b""), None);
    }

    #[test]
    fn a_range_is_read_as_rfc_9110_says() {
        assert_eq!(wanted(None, 100), Wanted::Whole);
        assert_eq!(wanted(Some("bytes=0-"), 100), Wanted::Part(0, 99));
        assert_eq!(wanted(Some("bytes=10-19"), 100), Wanted::Part(10, 19));
        // A last byte past the end stops at the end.
        assert_eq!(wanted(Some("bytes=90-500"), 100), Wanted::Part(90, 99));
        assert_eq!(wanted(Some("bytes=-30"), 100), Wanted::Part(70, 99));
        assert_eq!(wanted(Some("bytes=-300"), 100), Wanted::Part(0, 99));
        assert_eq!(wanted(Some("bytes=100-"), 100), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=-0"), 100), Wanted::Unsatisfiable);
        // Several ranges, another unit or nonsense: the whole file.
        assert_eq!(wanted(Some("bytes=0-1,5-6"), 100), Wanted::Whole);
        assert_eq!(wanted(Some("items=0-1"), 100), Wanted::Whole);
        assert_eq!(wanted(Some("bytes=9-3"), 100), Wanted::Whole);
    }

    #[test]
    fn a_file_name_is_kept_short_and_plain() {
        assert_eq!(clean_file_name("C:\\课件\\心肺复苏.mp4"), "心肺复苏.mp4");
        assert_eq!(
            clean_file_name("../../a](javascript:x).png"),
            "ajavascript:x.png"
        );
        assert_eq!(clean_file_name("  "), "未命名文件");
        assert_eq!(clean_file_name(&"长".repeat(300)).chars().count(), 100);
    }

    #[test]
    fn a_lesson_link_to_a_kept_file_is_known() {
        assert!(is_media_path("/media/12"));
        assert!(!is_media_path("/media/"));
        assert!(!is_media_path("/media/12/../x"));
        assert!(!is_media_path("https://example.org/media/12"));
    }
}
