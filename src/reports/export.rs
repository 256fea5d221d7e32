//! A report as a file: CSV (UTF-8 with a byte-order mark, so Excel opens the Chinese right)
//! or xlsx, each with the report's Chinese column titles as the first row.

use super::{Table, Value};

/// Excel reads a CSV as UTF-8 only when it starts with this mark.
const BOM: &str = "\u{feff}";

pub fn csv(table: &Table) -> Vec<u8> {
    let mut out = csv::Writer::from_writer(BOM.as_bytes().to_vec());
    let write = |out: &mut csv::Writer<Vec<u8>>| -> csv::Result<()> {
        out.write_record(table.columns.iter().map(|c| c.title))?;
        for row in &table.rows {
            out.write_record(row.iter().map(Value::to_text))?;
        }
        out.flush()?;
        Ok(())
    };
    // Writing to memory cannot fail.
    write(&mut out).expect("CSV into memory");
    out.into_inner().expect("CSV into memory")
}

pub fn xlsx(table: &Table) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    // Sheet names are at most 31 characters, without []:*?/\ (a masked ID number has *).
    let name: String = table
        .title
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '·' } else { c })
        .take(31)
        .collect();
    sheet.set_name(name.trim_matches('\''))?;
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (c, column) in table.columns.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, column.title, &bold)?;
        sheet.set_column_width(c as u16, 14)?;
    }
    for (r, row) in table.rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, value) in row.iter().enumerate() {
            let c = c as u16;
            match value {
                Value::Text(s) => {
                    sheet.write_string(r, c, s)?;
                }
                Value::Int(n) => {
                    sheet.write_number(r, c, *n as f64)?;
                }
                Value::Num(Some(x)) => {
                    sheet.write_number(r, c, *x)?;
                }
                Value::Date(Some(d)) => {
                    use chrono::Datelike;
                    let day = rust_xlsxwriter::ExcelDateTime::from_ymd(
                        d.year() as u16,
                        d.month() as u8,
                        d.day() as u8,
                    )?;
                    sheet.write_datetime_with_format(r, c, &day, &date)?;
                }
                Value::Num(None) | Value::Date(None) => {}
            }
        }
    }
    book.save_to_buffer()
}
