//! A report as a file: CSV (UTF-8 with a byte-order mark, so Excel opens the Chinese right)
//! or xlsx, each with the report's Chinese column titles as the first row. Both are written
//! as the rows arrive (`Export`), so memory stays flat however long the report.

use super::{Export, Value};
use crate::error::{AppError, AppResult};
use std::io::Seek;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

/// Excel reads a CSV as UTF-8 only when it starts with this mark.
const BOM: &str = "\u{feff}";

/// Rows per piece of the CSV sent: large enough that a piece is tens of kilobytes.
const ROWS_PER_CHUNK: usize = 500;

/// The CSV, in pieces as the rows arrive. A failure part-way ends the stream with an error,
/// which cuts the response short rather than leaving a file that looks complete.
pub fn csv(mut export: Export) -> ReceiverStream<std::io::Result<bytes::Bytes>> {
    let (chunks, out) = mpsc::channel(4);
    tokio::spawn(async move {
        let mut head = BOM.as_bytes().to_vec();
        head.extend(csv_lines(std::iter::once(
            export.columns.iter().map(|c| c.title.to_string()).collect(),
        )));
        if chunks.send(Ok(head.into())).await.is_err() {
            return;
        }
        let mut pending = Vec::with_capacity(ROWS_PER_CHUNK);
        loop {
            let row = export.rows.recv().await;
            let done = row.is_none();
            match row {
                Some(Ok(row)) => pending.push(row.iter().map(Value::to_text).collect()),
                Some(Err(e)) => {
                    tracing::warn!(error = %e, report = export.name, "CSV export cut short");
                    let _ = chunks.send(Err(std::io::Error::other(e.to_string()))).await;
                    return;
                }
                None => {}
            }
            if (done && !pending.is_empty()) || pending.len() == ROWS_PER_CHUNK {
                let piece = csv_lines(pending.drain(..));
                if chunks.send(Ok(piece.into())).await.is_err() {
                    return; // the client went away
                }
            }
            if done {
                return;
            }
        }
    });
    ReceiverStream::new(out)
}

/// CSV lines for rows of cells (quoting where a cell needs it).
fn csv_lines(rows: impl Iterator<Item = Vec<String>>) -> Vec<u8> {
    let mut out = csv::Writer::from_writer(Vec::new());
    for row in rows {
        out.write_record(&row).expect("CSV into memory");
    }
    out.into_inner().expect("CSV into memory")
}

/// The xlsx in a temporary file (gone once closed), written row by row to the worksheet's
/// own temporary file (rust_xlsxwriter's constant-memory mode) and then zipped into it.
pub async fn xlsx(export: Export) -> AppResult<std::fs::File> {
    tokio::task::spawn_blocking(move || write_xlsx(export))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("xlsx export: {e}")))?
}

fn write_xlsx(mut export: Export) -> AppResult<std::fs::File> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let failed =
        |e: rust_xlsxwriter::XlsxError| AppError::Internal(anyhow::anyhow!("xlsx export: {e}"));
    let mut book = Workbook::new();
    let sheet = book.add_worksheet_with_constant_memory().map_err(failed)?;
    // Sheet names are at most 31 characters, without []:*?/\ (a masked ID number has *).
    let name: String = export
        .title
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '·' } else { c })
        .take(31)
        .collect();
    sheet.set_name(name.trim_matches('\'')).map_err(failed)?;
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (c, column) in export.columns.iter().enumerate() {
        sheet
            .set_column_width(c as u16, 14)
            .and_then(|s| s.write_string_with_format(0, c as u16, column.title, &bold))
            .map_err(failed)?;
    }
    let mut r = 0u32;
    while let Some(row) = export.rows.blocking_recv() {
        r += 1;
        for (c, value) in row?.iter().enumerate() {
            let c = c as u16;
            match value {
                Value::Text(s) => sheet.write_string(r, c, s).map(drop),
                Value::Int(n) => sheet.write_number(r, c, *n as f64).map(drop),
                Value::Num(Some(x)) => sheet.write_number(r, c, *x).map(drop),
                Value::Date(Some(d)) => {
                    use chrono::Datelike;
                    ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
                        .and_then(|day| sheet.write_datetime_with_format(r, c, &day, &date))
                        .map(drop)
                }
                Value::Num(None) | Value::Date(None) => Ok(()),
            }
            .map_err(failed)?;
        }
    }
    let io = |e: std::io::Error| AppError::Internal(anyhow::anyhow!("xlsx export: {e}"));
    let mut file = tempfile::tempfile().map_err(io)?;
    book.save_to_writer(&mut file).map_err(failed)?;
    file.rewind().map_err(io)?;
    Ok(file)
}
