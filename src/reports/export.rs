//! A report as a file: CSV (UTF-8 with a byte-order mark, so Excel opens the Chinese right)
//! or xlsx, each with the report's Chinese column titles as the first row. Both are written
//! as the rows arrive (`Export`), so memory stays flat however long the report.

use super::{Export, Value};
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

/// Bytes handed to the response at a time.
const XLSX_PIECE: usize = 64 * 1024;

/// The xlsx, in pieces as it is written. A zip that streams puts each member's sizes after its
/// data and the directory at the end, so the worksheet is compressed and sent as the rows
/// arrive and the first bytes leave before the database has finished. A failure part-way
/// ends the stream with an error, as for the CSV.
pub fn xlsx(export: Export) -> ReceiverStream<std::io::Result<bytes::Bytes>> {
    let (pieces, out) = mpsc::channel(4);
    tokio::task::spawn_blocking(move || {
        let mut sent = Pieces {
            buffer: Vec::with_capacity(XLSX_PIECE),
            out: pieces.clone(),
        };
        match write_xlsx(export, &mut sent) {
            Ok(()) => drop(sent.send()),
            Err(e) => {
                tracing::warn!(error = %e, "xlsx export cut short");
                let _ = pieces.blocking_send(Err(e));
            }
        }
    });
    ReceiverStream::new(out)
}

/// What the zip writes, gathered into pieces for the response.
struct Pieces {
    buffer: Vec<u8>,
    out: mpsc::Sender<std::io::Result<bytes::Bytes>>,
}

impl Pieces {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let piece = std::mem::replace(&mut self.buffer, Vec::with_capacity(XLSX_PIECE));
        self.out
            .blocking_send(Ok(piece.into()))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client gone"))
    }
}

impl std::io::Write for Pieces {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= XLSX_PIECE {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The parts of a workbook of one sheet, besides the sheet. Cell styles: 1 bold (the column
/// titles), 2 a date.
const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>"#;
const PACKAGE_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;
const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\-mm\-dd"/></numFmts><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"#;

fn write_xlsx(mut export: Export, out: &mut Pieces) -> std::io::Result<()> {
    use std::io::Write;
    use zip::{CompressionMethod, write::SimpleFileOptions};
    let zip_failed = |e: zip::result::ZipError| std::io::Error::other(e.to_string());
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let mut zip = zip::ZipWriter::new_stream(out);
    // Sheet names are at most 31 characters, without []:*?/\ (a masked ID number has *).
    let name: String = export
        .title
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '·' } else { c })
        .take(31)
        .collect();
    let workbook = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="{}" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        xml_text(name.trim_matches('\''))
    );
    for (path, part) in [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", PACKAGE_RELS),
        ("xl/workbook.xml", workbook.as_str()),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        ("xl/styles.xml", STYLES),
    ] {
        zip.start_file(path, options).map_err(zip_failed)?;
        zip.write_all(part.as_bytes())?;
    }
    zip.start_file("xl/worksheets/sheet1.xml", options)
        .map_err(zip_failed)?;
    write!(
        zip,
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cols><col min="1" max="{}" width="14" customWidth="1"/></cols><sheetData>"#,
        export.columns.len().max(1)
    )?;
    let titles: Vec<Value> = export
        .columns
        .iter()
        .map(|c| Value::text(c.title))
        .collect();
    zip.write_all(sheet_row(1, &titles, 1).as_bytes())?;
    let mut r = 1;
    while let Some(row) = export.rows.blocking_recv() {
        let row = row.map_err(|e| std::io::Error::other(e.to_string()))?;
        r += 1;
        zip.write_all(sheet_row(r, &row, 0).as_bytes())?;
    }
    zip.write_all(b"</sheetData></worksheet>")?;
    zip.finish().map_err(zip_failed)?;
    Ok(())
}

/// One `<row>` of the sheet; text cells in `style` (dates keep their own).
fn sheet_row(r: u32, cells: &[Value], style: u8) -> String {
    use std::fmt::Write;
    let mut xml = format!(r#"<row r="{r}">"#);
    for (c, value) in cells.iter().enumerate() {
        let at = format!("{}{r}", column_letters(c));
        let _ = match value {
            Value::Text(s) => write!(
                xml,
                r#"<c r="{at}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{}</t></is></c>"#,
                xml_text(s)
            ),
            Value::Int(n) => write!(xml, r#"<c r="{at}"><v>{n}</v></c>"#),
            Value::Num(Some(x)) if x.is_finite() => write!(xml, r#"<c r="{at}"><v>{x}</v></c>"#),
            Value::Date(Some(d)) => {
                write!(xml, r#"<c r="{at}" s="2"><v>{}</v></c>"#, excel_day(*d))
            }
            Value::Num(_) | Value::Date(None) => Ok(()),
        };
    }
    xml.push_str("</row>");
    xml
}

/// A column's letters: A..Z, then AA, AB, ...
fn column_letters(mut c: usize) -> String {
    let mut letters = vec![];
    loop {
        letters.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    letters.iter().rev().map(|&b| b as char).collect()
}

/// Excel's serial day: days since 1899-12-30 (right for every date after February 1900).
fn excel_day(d: chrono::NaiveDate) -> i64 {
    let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).expect("a date");
    (d - epoch).num_days()
}

/// Text for XML: escaped, and without the control characters XML 1.0 cannot hold.
fn xml_text(s: &str) -> String {
    let legal: String = s
        .chars()
        .filter(|&c| c >= ' ' || matches!(c, '\t' | '\n' | '\r'))
        .collect();
    quick_xml::escape::escape(legal).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_and_days_are_named_as_excel_names_them() {
        let names: Vec<String> = [0, 1, 25, 26, 27, 51, 52, 701, 702]
            .into_iter()
            .map(column_letters)
            .collect();
        assert_eq!(names, ["A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]);
        let day = |y, m, d| excel_day(chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap());
        // Excel shows 45658 as 2025-01-01 and 61 as 1900-03-01.
        assert_eq!((day(2025, 1, 1), day(1900, 3, 1)), (45658, 61));
        assert_eq!(
            xml_text("A&B <c> \"d\"\u{1}"),
            "A&amp;B &lt;c&gt; &quot;d&quot;"
        );
    }
}
