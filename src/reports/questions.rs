//! 试题分析: each question version that was on a finished paper, with its uses, facility,
//! discrimination and option counts, the questions worth a look first. Read from the
//! aggregates grading keeps (`question_stats`), never from the answers themselves.

use super::{Column, Table, Value, col};
use crate::{
    db::Db,
    error::AppResult,
    question_stats::{self, BandCount},
    with_pool,
};
use std::collections::BTreeMap;

const COLUMNS: &[Column] = &[
    col("question_id", "试题ID"),
    col("bank", "题库"),
    col("ref", "试题编号"),
    col("version", "版本"),
    col("status", "状态"),
    col("stem", "题干"),
    col("used", "使用次数"),
    col("facility", "答对率"),
    col("discrimination", "区分度"),
    col("options", "选项分布"),
    col("flagged", "需关注"),
];

struct Version {
    question_id: i64,
    bank: String,
    reference: String,
    version: i64,
    status: String,
    stem: String,
    bands: Vec<BandCount>,
    options: Vec<(String, i64)>,
}

pub(super) async fn report(db: &Db) -> AppResult<Table> {
    type Row = (i64, i64, String, String, i64, String, String, i64, i64, i64);
    let rows: Vec<Row> = with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT qv.id, q.id, qb.name, q.ref, qv.version, q.status, qv.stem, s.band, s.used, s.correct \
             FROM question_stats s JOIN question_versions qv ON qv.id = s.question_version_id \
             JOIN questions q ON q.id = qv.question_id JOIN question_banks qb ON qb.id = q.bank_id \
             ORDER BY qv.id, s.band",
        )
        .fetch_all(pool).await?
    });
    let options: Vec<(i64, String, i64)> = with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT question_version_id, option_key, chosen FROM question_option_counts \
             ORDER BY question_version_id, option_key",
        )
        .fetch_all(pool).await?
    });
    let mut versions: BTreeMap<i64, Version> = BTreeMap::new();
    for (vid, qid, bank, reference, version, status, stem, band, used, correct) in rows {
        versions
            .entry(vid)
            .or_insert_with(|| Version {
                question_id: qid,
                bank,
                reference,
                version,
                status,
                stem,
                bands: Vec::new(),
                options: Vec::new(),
            })
            .bands
            .push(BandCount {
                band,
                used,
                correct,
            });
    }
    for (vid, key, chosen) in options {
        if let Some(v) = versions.get_mut(&vid) {
            v.options.push((key, chosen));
        }
    }
    let mut rated: Vec<(bool, i64, Vec<Value>)> = versions
        .into_values()
        .map(|v| {
            let used: i64 = v.bands.iter().map(|b| b.used).sum();
            let facility = question_stats::facility(&v.bands);
            let discrimination = question_stats::discrimination(&v.bands);
            let flagged = question_stats::flagged(used, facility, discrimination);
            let options = v
                .options
                .iter()
                .map(|(k, n)| format!("{k}:{n}"))
                .collect::<Vec<_>>()
                .join(" ");
            let stem: String = v.stem.chars().take(40).collect();
            let row = vec![
                Value::Int(v.question_id),
                Value::Text(v.bank),
                Value::Text(v.reference),
                Value::Int(v.version),
                Value::text(match v.status.as_str() {
                    "active" => "在用",
                    "retired" => "已停用",
                    _ => "草稿",
                }),
                Value::Text(stem),
                Value::Int(used),
                Value::Num(facility),
                Value::Num(discrimination),
                Value::Text(options),
                Value::text(if flagged { "是" } else { "" }),
            ];
            (flagged, used, row)
        })
        .collect();
    // The flagged first, then the most used.
    rated.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    Ok(Table {
        name: "question-stats",
        title: "试题分析".into(),
        columns: COLUMNS,
        rows: rated.into_iter().map(|(_, _, row)| row).collect(),
    })
}
