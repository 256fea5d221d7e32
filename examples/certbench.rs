//! Certificate PDF throughput on one core: renders certificates the way issuance does
//! (template, CJK font subset, QR code, seal) for varied holders, and reports certificates per
//! second and sizes as markdown. See bench/README.md.
//!
//!   cargo run --release --example certbench -- [--count 2000] [--rounds 5]

use safecert::{certificates::templates, pdf};
use std::{collections::HashMap, time::Instant};

/// Surnames and given-name characters mixed per certificate, so each PDF subsets a different
/// set of glyphs, as real holders do (including 䶮, outside the common range).
const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "欧阳", "司马",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
    "涛", "明", "超", "䶮", "燚",
];

fn main() {
    let mut count = 2000usize;
    let mut rounds = 5usize;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--count" => count = value.parse().expect("--count"),
            "--rounds" => rounds = value.parse().expect("--rounds"),
            other => panic!("unknown flag {other}"),
        }
    }
    let fonts = pdf::PdfFonts::load(safecert::CJK_FONT).expect("font");
    let mut results = Vec::new();
    for (code, course) in [
        ("FR-THEORY", "应急第一响应人（理论）"),
        ("SM-INITIAL", "生产经营单位安全生产管理人员（初训）"),
    ] {
        let template = templates::for_course(code);
        let mut per_second = Vec::new();
        let (mut largest, mut total_bytes) = (0usize, 0usize);
        for round in 0..rounds {
            let started = Instant::now();
            for i in 0..count {
                let holder = format!(
                    "{}{}{}",
                    SURNAMES[i % SURNAMES.len()],
                    GIVEN[(i / 7) % GIVEN.len()],
                    GIVEN[(i / 3 + round) % GIVEN.len()]
                );
                let mut fields: HashMap<&str, String> = HashMap::new();
                fields.insert("holder", holder);
                fields.insert("id_number", "1101**********123X".into());
                fields.insert("course", course.into());
                fields.insert("hours", "16".into());
                fields.insert("exam_date", "2026年11月23日".into());
                fields.insert("issued_on", "2026年11月23日".into());
                fields.insert("expires_on", "2029年11月22日".into());
                fields.insert("number", format!("BA-{code}-2026-{:06}", i + 1));
                fields.insert(
                    "verify_url",
                    format!(
                        "https://safecert.example.gov.cn/verify/{:032x}",
                        (i as u128 + 1) * 0x9E37_79B9_7F4A_7C15
                    ),
                );
                fields.insert("issuer", "区应急管理局".into());
                let bytes = pdf::render_certificate(&fonts, &template, &fields).expect("renders");
                largest = largest.max(bytes.len());
                total_bytes += bytes.len();
            }
            per_second.push(count as f64 / started.elapsed().as_secs_f64());
        }
        per_second.sort_by(f64::total_cmp);
        results.push((code, per_second, total_bytes / (count * rounds), largest));
    }
    println!(
        "| template | certificates/s, one core (median of {rounds} rounds of {count}) | min–max | mean size | largest |"
    );
    println!("| --- | --- | --- | --- | --- |");
    for (code, per_second, mean, largest) in results {
        println!(
            "| {code} | {:.0} | {:.0}–{:.0} | {:.1} KB | {:.1} KB |",
            per_second[per_second.len() / 2],
            per_second[0],
            per_second[per_second.len() - 1],
            mean as f64 / 1024.0,
            largest as f64 / 1024.0
        );
    }
}
