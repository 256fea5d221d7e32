//! Certificate layouts from certificates/templates/: `<course code>.toml` when there is one,
//! else `default.toml`. Embedded at build time so the binary needs no files beside it.

use crate::pdf::CertificateTemplate;

/// Every template file: (course code, or "default"; contents). A test checks the folder.
pub const FILES: &[(&str, &str)] = &[
    (
        "default",
        include_str!("../../certificates/templates/default.toml"),
    ),
    (
        "FR-THEORY",
        include_str!("../../certificates/templates/FR-THEORY.toml"),
    ),
];

pub fn for_course(code: &str) -> CertificateTemplate {
    let text = FILES
        .iter()
        .find(|(c, _)| *c == code)
        .or_else(|| FILES.iter().find(|(c, _)| *c == "default"))
        .map(|(_, t)| *t)
        .expect("the default template is embedded");
    CertificateTemplate::parse(text).expect("shipped templates parse (tested)")
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_template_parses_and_is_embedded() {
        for (code, text) in super::FILES {
            crate::pdf::CertificateTemplate::parse(text).unwrap_or_else(|e| panic!("{code}: {e}"));
        }
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("certificates/templates");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                e.unwrap()
                    .file_name()
                    .to_string_lossy()
                    .trim_end_matches(".toml")
                    .to_string()
            })
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = super::FILES.iter().map(|(c, _)| c.to_string()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
    }
}
