//! Reading tables people keep in spreadsheets (question banks, staff rosters): CSV in UTF-8
//! or GB18030/GBK as a Chinese Excel saves it, and the first sheet of an xlsx workbook.
//! Rows come back as strings; `rows[i]` is spreadsheet row `i + 1`.

/// A problem with the whole file: (row, reason).
pub type TableError = (usize, String);

pub fn csv_rows(bytes: &[u8]) -> Result<Vec<Vec<String>>, TableError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // Excel on a Chinese Windows saves CSV as GB18030/GBK; accept that as well as UTF-8.
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => {
            let (text, _, had_errors) = encoding_rs::GB18030.decode(bytes);
            if had_errors {
                return Err((1, "the file is neither UTF-8 nor GB18030 text".into()));
            }
            text.into_owned()
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        match record {
            Ok(r) => {
                // Keep row numbers equal to lines even when a quoted cell spans lines.
                let line = r.position().map_or(rows.len() + 1, |p| p.line() as usize);
                while rows.len() + 1 < line {
                    rows.push(Vec::new());
                }
                rows.push(r.iter().map(str::to_string).collect());
            }
            Err(err) => {
                let line = err.position().map_or(rows.len() + 1, |p| p.line() as usize);
                return Err((line, format!("CSV cannot be read: {err}")));
            }
        }
    }
    Ok(rows)
}

pub fn xlsx_rows(bytes: &[u8]) -> Result<Vec<Vec<String>>, TableError> {
    use calamine::{Data, Reader, Xlsx};
    let mut workbook = Xlsx::new(std::io::Cursor::new(bytes))
        .map_err(|err| (1, format!("not an xlsx workbook: {err}")))?;
    let range = match workbook.worksheet_range_at(0) {
        Some(Ok(range)) => range,
        Some(Err(err)) => return Err((1, format!("the first sheet cannot be read: {err}"))),
        None => return Err((1, "the workbook has no sheet".into())),
    };
    // Rows and columns before the range's start keep their numbers.
    let first_row = range.start().map_or(0, |(r, _)| r as usize);
    let first_col = range.start().map_or(0, |(_, c)| c as usize);
    let mut rows: Vec<Vec<String>> = vec![Vec::new(); first_row];
    for row in range.rows() {
        let mut cells = vec![String::new(); first_col];
        cells.extend(row.iter().map(|cell| match cell {
            Data::Empty => String::new(),
            Data::String(s) => s.clone(),
            // ID numbers and phones typed as numbers come back as floats: print them whole.
            Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e17 => format!("{}", *f as i64),
            Data::Float(f) => f.to_string(),
            Data::Int(i) => i.to_string(),
            Data::Bool(b) => if *b { "T" } else { "F" }.to_string(),
            other => other.to_string(),
        }));
        rows.push(cells);
    }
    Ok(rows)
}

/// Finds the header (the first non-empty row) and maps column names to indices with
/// `name_of`, which turns a header cell into a known column (or None to ignore it).
pub fn header<C: Copy + PartialEq>(
    rows: &[Vec<String>],
    name_of: impl Fn(&str) -> Option<C>,
) -> Option<(usize, Vec<(C, usize)>)> {
    let index = rows
        .iter()
        .position(|r| r.iter().any(|c| !c.trim().is_empty()))?;
    let columns = rows[index]
        .iter()
        .enumerate()
        .filter_map(|(i, cell)| {
            let name = cell.trim().trim_start_matches('\u{feff}').to_lowercase();
            name_of(&name).map(|c| (c, i))
        })
        .collect();
    Some((index, columns))
}
