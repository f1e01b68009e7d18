//! Tables in and out: CSV (UTF-8 with or without BOM, UTF-16 with BOM,
//! GB18030/GBK) and Excel workbooks (XLSX, XLS) read into rows of text;
//! CSV (UTF-8 with BOM, so that Excel reads it) and XLSX written.
use calamine::{open_workbook_auto_from_rs, Data, Reader};
use std::io::Cursor;

/// Larger uploads are refused before they are read.
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;
/// Rows beyond this are refused: split the roster.
pub const MAX_ROWS: usize = 50_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SheetError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is larger than 20 MB")]
    TooLarge,
    #[error("the file has more than 50,000 rows")]
    TooManyRows,
    #[error("the text is neither UTF-8 nor GB18030")]
    Encoding,
    #[error("the file is not a CSV or Excel table: {0}")]
    Unreadable(String),
}

impl SheetError {
    #[must_use]
    pub const fn message_key(&self) -> &'static str {
        match self {
            Self::Empty => "error-file-empty",
            Self::TooLarge => "error-file-too-large",
            Self::TooManyRows => "error-file-too-many-rows",
            Self::Encoding => "error-file-encoding",
            Self::Unreadable(_) => "error-file-unreadable",
        }
    }
}

/// Decodes text whatever Chinese software wrote it in.
///
/// # Errors
/// When the bytes are not valid in any accepted encoding.
pub fn decode_text(bytes: &[u8]) -> Result<String, SheetError> {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom..]);
        return if had_errors {
            Err(SheetError::Encoding)
        } else {
            Ok(text.into_owned())
        };
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.to_string());
    }
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if had_errors {
        Err(SheetError::Encoding)
    } else {
        Ok(text.into_owned())
    }
}

fn check_size(bytes: &[u8]) -> Result<(), SheetError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        Err(SheetError::Empty)
    } else if bytes.len() > MAX_FILE_BYTES {
        Err(SheetError::TooLarge)
    } else {
        Ok(())
    }
}

/// Reads a CSV or tab-separated text into rows (the first is the header).
///
/// # Errors
/// Encoding, size or CSV syntax problems.
pub fn read_csv(bytes: &[u8]) -> Result<Vec<Vec<String>>, SheetError> {
    check_size(bytes)?;
    let text = decode_text(bytes)?;
    let first_line = text.lines().next().unwrap_or_default();
    let delimiter = if first_line.matches('\t').count() > first_line.matches(',').count() {
        b'\t'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| SheetError::Unreadable(e.to_string()))?;
        rows.push(record.iter().map(str::to_string).collect());
        if rows.len() > MAX_ROWS + 1 {
            return Err(SheetError::TooManyRows);
        }
    }
    trim_blank_tail(&mut rows);
    if rows.is_empty() {
        return Err(SheetError::Empty);
    }
    Ok(rows)
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        // A whole number written without its fraction; an ID number stored
        // as a number has already lost its last digits and will be refused.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        // Dates become their day number, which the date parser reads.
        Data::DateTime(d) => format!("{:.0}", d.as_f64().floor()),
        Data::Error(e) => format!("={e:?}"),
    }
}

/// Reads the first worksheet of an XLSX/XLS workbook. Cells holding a
/// formula are returned as `=formula` so that they are refused, not
/// silently imported as their last computed value.
///
/// # Errors
/// When the workbook cannot be read, or is too large.
pub fn read_workbook(bytes: &[u8]) -> Result<Vec<Vec<String>>, SheetError> {
    check_size(bytes)?;
    let mut book = open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| SheetError::Unreadable(e.to_string()))?;
    let Some(name) = book.sheet_names().first().cloned() else {
        return Err(SheetError::Empty);
    };
    let range = book
        .worksheet_range(&name)
        .map_err(|e| SheetError::Unreadable(e.to_string()))?;
    if range.height() > MAX_ROWS + 1 {
        return Err(SheetError::TooManyRows);
    }
    let formulas = book.worksheet_formula(&name).ok();
    let start = range.start().unwrap_or((0, 0));
    let mut rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(cell_text).collect())
        .collect();
    if let Some(f) = formulas {
        for (r, c, formula) in f.used_cells() {
            if formula.is_empty() {
                continue;
            }
            let (fr, fc) = f.start().unwrap_or((0, 0));
            let row = (fr as usize + r).checked_sub(start.0 as usize);
            let col = (fc as usize + c).checked_sub(start.1 as usize);
            if let (Some(row), Some(col)) = (row, col) {
                if let Some(cell) = rows.get_mut(row).and_then(|x| x.get_mut(col)) {
                    *cell = format!("={formula}");
                }
            }
        }
    }
    trim_blank_tail(&mut rows);
    if rows.is_empty() {
        return Err(SheetError::Empty);
    }
    Ok(rows)
}

/// Reads a CSV or an Excel workbook, told apart by their first bytes.
///
/// # Errors
/// As `read_csv` and `read_workbook`.
pub fn read_table(bytes: &[u8]) -> Result<Vec<Vec<String>>, SheetError> {
    let zip = bytes.starts_with(b"PK\x03\x04");
    let ole = bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]);
    if zip || ole {
        read_workbook(bytes)
    } else {
        read_csv(bytes)
    }
}

fn trim_blank_tail(rows: &mut Vec<Vec<String>>) {
    while rows
        .last()
        .is_some_and(|r| r.iter().all(|c| c.trim().is_empty()))
    {
        rows.pop();
    }
}

/// A cell that a spreadsheet would run as a formula gets a leading
/// apostrophe (CSV injection).
fn defuse(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

/// CSV in UTF-8 with a BOM, which Excel opens without garbling Chinese.
#[must_use]
pub fn write_csv(rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(&mut out);
        for row in rows {
            let cells: Vec<String> = row.iter().map(|c| defuse(c)).collect();
            // Writing to a Vec cannot fail.
            let _ = w.write_record(&cells);
        }
        let _ = w.flush();
    }
    out
}

/// An XLSX workbook with one sheet; the first row is bold and frozen, and
/// every cell is text (so ID numbers keep all 18 characters).
///
/// # Errors
/// When the workbook cannot be assembled.
pub fn write_xlsx(sheet_name: &str, rows: &[Vec<String>]) -> Result<Vec<u8>, String> {
    write_xlsx_book(&[(sheet_name, rows)])
}

/// An XLSX workbook of several sheets, each as `write_xlsx` makes one.
///
/// # Errors
/// When the workbook cannot be assembled.
pub fn write_xlsx_book(sheets: &[(&str, &[Vec<String>])]) -> Result<Vec<u8>, String> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (sheet_name, rows) in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(*sheet_name).map_err(|e| e.to_string())?;
        for (r, row) in rows.iter().enumerate() {
            let r = u32::try_from(r).map_err(|e| e.to_string())?;
            for (c, cell) in row.iter().enumerate() {
                let c = u16::try_from(c).map_err(|e| e.to_string())?;
                // Written as text: a cell is never a formula here.
                if r == 0 {
                    sheet.write_string_with_format(r, c, cell, &bold)
                } else {
                    sheet.write_string(r, c, cell)
                }
                .map_err(|e| e.to_string())?;
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(|e| e.to_string())?;
        if let Some(header) = rows.first() {
            for (c, cell) in header.iter().enumerate() {
                let width = rows
                    .iter()
                    .take(200)
                    .filter_map(|r| r.get(c))
                    .map(|s| {
                        s.chars()
                            .map(|ch| if ch.is_ascii() { 1.0 } else { 2.0 })
                            .sum::<f64>()
                    })
                    .fold(cell.chars().count() as f64 * 2.0, f64::max);
                let c = u16::try_from(c).map_err(|e| e.to_string())?;
                sheet
                    .set_column_width(c, width.clamp(6.0, 60.0) + 1.0)
                    .map_err(|e| e.to_string())?;
            }
        }
    }
    book.save_to_buffer().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Vec<Vec<String>> {
        vec![
            vec!["姓名".into(), "身份证号".into()],
            vec!["张三".into(), "11010519491231002X".into()],
            vec!["=cmd|' /C calc'!A0".into(), "".into()],
        ]
    }

    #[test]
    fn reads_utf8_with_and_without_bom_gb18030_and_utf16() {
        let text = "姓名,村\n张三,石门村\n";
        let gbk = encoding_rs::GB18030.encode(text).0.into_owned();
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        let mut utf16 = vec![0xFF, 0xFE];
        for u in text.replace(',', "\t").encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        for bytes in [text.as_bytes().to_vec(), bom, gbk, utf16] {
            let rows = read_table(&bytes).unwrap();
            assert_eq!(rows[1], vec!["张三".to_string(), "石门村".to_string()]);
        }
    }

    #[test]
    fn refuses_empty_and_undecodable_files() {
        assert_eq!(read_table(b""), Err(SheetError::Empty));
        assert_eq!(read_table(b" \n\n"), Err(SheetError::Empty));
        assert_eq!(
            read_table(&[0x81, 0x20, 0xFF, 0x30]),
            Err(SheetError::Encoding)
        );
        assert!(matches!(
            read_table(b"PK\x03\x04not really a zip"),
            Err(SheetError::Unreadable(_))
        ));
    }

    #[test]
    fn written_csv_has_a_bom_and_defused_formulas() {
        let out = write_csv(&table());
        assert!(out.starts_with(b"\xEF\xBB\xBF"));
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("'=cmd"));
        assert_eq!(
            read_csv(text.as_bytes()).unwrap()[1][1],
            "11010519491231002X"
        );
    }

    #[test]
    fn xlsx_round_trips_through_the_reader() {
        let bytes = write_xlsx("名册", &table()).unwrap();
        let rows = read_table(&bytes).unwrap();
        assert_eq!(rows[1][1], "11010519491231002X");
        assert_eq!(rows[0][0], "姓名");
    }
}
