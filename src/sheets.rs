//! Tables in and out: CSV (UTF-8 with or without BOM, UTF-16 with BOM,
//! GB18030/GBK) and Excel workbooks (XLSX, XLS) read into rows of text;
//! CSV (UTF-8 with BOM, so that Excel reads it) and XLSX written.
//!
//! Reading is bounded: every limit below is checked before anything sized
//! by the file is allocated. A workbook's ZIP directory (entries, declared
//! sizes, compression ratio) and its shared-strings count are checked
//! before calamine opens it; cells are streamed (never a rows × columns
//! range) and the used range, cell count and cell length are checked as
//! they arrive, whatever the sheet's `<dimension>` declares. XLS files are
//! walked by `ole` (sectors, chains, records, cell positions) before
//! calamine, which reads every sheet of an XLS at once, sees them.
use calamine::{Data, DataRef, Reader, Xls, Xlsx, XlsxFormulaMetadata};
use std::{
    collections::HashMap,
    io::{Cursor, Read},
    panic::{catch_unwind, AssertUnwindSafe},
};

mod ole;

/// Larger uploads are refused before they are read.
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;
/// Rows beyond this are refused: split the roster.
pub const MAX_ROWS: usize = 50_000;
/// Columns in use (holding a value) beyond this are refused.
pub const MAX_COLUMNS: usize = 64;
/// Characters in one cell.
pub const MAX_CELL_CHARS: usize = 1_000;
/// Cells kept for the whole table: each row counts up to its last used
/// column (50,000 rows of 30 columns).
pub const MAX_CELLS: usize = 1_500_000;

const MIB: u64 = 1024 * 1024;
/// Parts of an XLSX package (a workbook has a dozen or two).
const MAX_ZIP_ENTRIES: usize = 1_000;
/// One part, uncompressed (a 50,000-row roster's sheet is about 30 MB).
const MAX_ENTRY_BYTES: u64 = 128 * MIB;
/// All parts, uncompressed.
const MAX_UNZIPPED_BYTES: u64 = 192 * MIB;
/// Uncompressed ÷ compressed, for parts above `RATIO_FROM_BYTES`; sheet
/// XML compresses 5 to 20 times, a ZIP bomb a thousand times.
const MAX_RATIO: u64 = 100;
const RATIO_FROM_BYTES: u64 = MIB;
/// The `uniqueCount` a shared-strings part may announce (calamine
/// reserves that many strings before reading one).
const MAX_SHARED_STRINGS: u64 = 2_000_000;
/// How far into the shared-strings part its `<sst>` tag must start.
const SST_HEAD_BYTES: u64 = 64 * 1024;
/// Fields of one CSV line, blank ones included (trailing blank fields are
/// dropped, then `MAX_COLUMNS` applies).
const MAX_CSV_FIELDS: usize = 16_384;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SheetError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is larger than 20 MB")]
    TooLarge,
    #[error("the file has more than 50,000 rows")]
    TooManyRows,
    #[error("the table uses more than 64 columns")]
    TooManyColumns,
    #[error("a cell holds more than 1,000 characters")]
    CellTooLong,
    #[error("the table has more than 1,500,000 cells")]
    TooManyCells,
    #[error("the workbook expands too much when unpacked")]
    Expands,
    #[error("the workbook's structure is damaged or forged: {0}")]
    Malformed(&'static str),
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
            Self::TooManyColumns => "error-file-too-many-columns",
            Self::CellTooLong => "error-file-cell-too-long",
            Self::TooManyCells => "error-file-too-many-cells",
            Self::Expands => "error-file-expands",
            Self::Malformed(_) => "error-file-malformed",
            Self::Encoding => "error-file-encoding",
            Self::Unreadable(_) => "error-file-unreadable",
        }
    }
}

fn unreadable(e: impl std::fmt::Display) -> SheetError {
    SheetError::Unreadable(e.to_string())
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

fn check_cell_length(text: &str) -> Result<(), SheetError> {
    // A char is at most 4 bytes: short texts are not counted.
    if text.len() > MAX_CELL_CHARS && text.chars().count() > MAX_CELL_CHARS {
        Err(SheetError::CellTooLong)
    } else {
        Ok(())
    }
}

/// The table as it is read: rows grow to the last used column only, and
/// every limit is checked before a cell is stored.
#[derive(Default)]
struct Table {
    rows: Vec<Vec<String>>,
    /// Cells allocated: the sum of the rows' lengths.
    cells: usize,
    /// The first column holding a value (the table starts there).
    first_column: Option<usize>,
}

impl Table {
    /// Stores `text` at (`row`, `col`), both from 0; a blank cell is not
    /// part of the used range and is skipped.
    fn put(&mut self, row: usize, col: usize, text: String) -> Result<(), SheetError> {
        if text.is_empty() {
            return Ok(());
        }
        if row > MAX_ROWS {
            return Err(SheetError::TooManyRows);
        }
        if col >= MAX_COLUMNS {
            return Err(SheetError::TooManyColumns);
        }
        check_cell_length(&text)?;
        if self.rows.len() <= row {
            self.rows.resize_with(row + 1, Vec::new);
        }
        let cells = &mut self.rows[row];
        if cells.len() <= col {
            self.cells += col + 1 - cells.len();
            if self.cells > MAX_CELLS {
                return Err(SheetError::TooManyCells);
            }
            cells.resize(col + 1, String::new());
        }
        cells[col] = text;
        self.first_column = Some(self.first_column.map_or(col, |c| c.min(col)));
        Ok(())
    }

    /// The rows from the first non-blank one and from the first used
    /// column (as calamine's ranges started), without blank rows at the end.
    fn finish(self) -> Result<Vec<Vec<String>>, SheetError> {
        let skip = self.first_column.unwrap_or(0);
        let is_blank = |r: &Vec<String>| r.iter().all(|c| c.trim().is_empty());
        let mut rows: Vec<Vec<String>> = self
            .rows
            .into_iter()
            .skip_while(is_blank)
            .map(|mut r| {
                r.drain(..skip.min(r.len()));
                r
            })
            .collect();
        trim_blank_tail(&mut rows);
        if rows.is_empty() {
            return Err(SheetError::Empty);
        }
        Ok(rows)
    }
}

/// Refuses, before the text is parsed, a CSV line with too many fields or
/// a field longer than a cell may be (so that the CSV reader never buffers
/// one). Follows the CSV reader's quoting: a field opening with `"` runs
/// to the next lone `"`, and `""` inside it is one quote.
fn prescan_csv(text: &str, delimiter: char) -> Result<(), SheetError> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Start,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let mut state = State::Start;
    let (mut length, mut fields) = (0usize, 1usize);
    for ch in text.chars() {
        match (state, ch) {
            (State::Quoted, '"') => state = State::QuoteInQuoted,
            (State::Quoted, _) | (State::QuoteInQuoted, '"') => {
                state = State::Quoted;
                length += 1;
            }
            (State::Start, '"') => state = State::Quoted,
            (_, c) if c == delimiter => {
                fields += 1;
                if fields > MAX_CSV_FIELDS {
                    return Err(SheetError::TooManyColumns);
                }
                (state, length) = (State::Start, 0);
            }
            (_, '\n' | '\r') => (state, length, fields) = (State::Start, 0, 1),
            _ => {
                state = State::Unquoted;
                length += 1;
            }
        }
        if length > MAX_CELL_CHARS {
            return Err(SheetError::CellTooLong);
        }
    }
    Ok(())
}

/// Reads a CSV or tab-separated text into rows (the first is the header).
/// Blank fields at the end of a line are dropped.
///
/// # Errors
/// Encoding, size, limits or CSV syntax problems.
pub fn read_csv(bytes: &[u8]) -> Result<Vec<Vec<String>>, SheetError> {
    check_size(bytes)?;
    let text = decode_text(bytes)?;
    let first_line = text.lines().next().unwrap_or_default();
    let delimiter = if first_line.matches('\t').count() > first_line.matches(',').count() {
        b'\t'
    } else {
        b','
    };
    prescan_csv(&text, char::from(delimiter))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut cells = 0usize;
    for record in reader.records() {
        let record = record.map_err(unreadable)?;
        let used = (0..record.len())
            .rev()
            .find(|i| record.get(*i).is_some_and(|f| !f.is_empty()))
            .map_or(0, |i| i + 1);
        if used > MAX_COLUMNS {
            return Err(SheetError::TooManyColumns);
        }
        cells += used;
        if cells > MAX_CELLS {
            return Err(SheetError::TooManyCells);
        }
        let row = record
            .iter()
            .take(used)
            .map(|f| check_cell_length(f).map(|()| f.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        rows.push(row);
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

fn float_text(f: f64) -> String {
    // A whole number written without its fraction; an ID number stored
    // as a number has already lost its last digits and will be refused.
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{f:.0}")
    } else {
        f.to_string()
    }
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => float_text(*f),
        Data::Bool(b) => b.to_string(),
        // Dates become their day number, which the date parser reads.
        Data::DateTime(d) => format!("{:.0}", d.as_f64().floor()),
        Data::Error(e) => format!("={e:?}"),
    }
}

fn cell_ref_text(d: DataRef<'_>) -> Result<String, SheetError> {
    Ok(match d {
        DataRef::Empty => String::new(),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s,
        DataRef::SharedString(s) => {
            check_cell_length(s)?;
            s.to_string()
        }
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => float_text(f),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(d) => format!("{:.0}", d.as_f64().floor()),
        DataRef::Error(e) => format!("={e:?}"),
    })
}

/// Checks an XLSX package before calamine opens it: the number of parts,
/// each part's declared size and compression ratio, the total, and the
/// count the shared-strings part announces. While calamine reads, the
/// `zip` crate fails a part that inflates beyond its declared size, so the
/// declared sizes checked here bound the bytes actually read.
fn check_package(bytes: &[u8]) -> Result<(), SheetError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(unreadable)?;
    if zip.len() > MAX_ZIP_ENTRIES {
        return Err(SheetError::Expands);
    }
    let mut total = 0u64;
    let mut shared_strings = Vec::new();
    for i in 0..zip.len() {
        let part = zip.by_index_raw(i).map_err(unreadable)?;
        let (size, packed) = (part.size(), part.compressed_size());
        total = total.saturating_add(size);
        if size > MAX_ENTRY_BYTES
            || total > MAX_UNZIPPED_BYTES
            || (size > RATIO_FROM_BYTES && size / packed.max(1) > MAX_RATIO)
        {
            return Err(SheetError::Expands);
        }
        if part
            .name_raw()
            .to_ascii_lowercase()
            .ends_with(b"sharedstrings.xml")
        {
            shared_strings.push(i);
        }
    }
    for i in shared_strings {
        let part = zip.by_index(i).map_err(unreadable)?;
        let declared = part.size();
        let mut head = Vec::new();
        part.take(SST_HEAD_BYTES)
            .read_to_end(&mut head)
            .map_err(unreadable)?;
        check_shared_strings_head(&head, declared > SST_HEAD_BYTES)?;
    }
    Ok(())
}

/// The `<sst>` start tag must come first (after the XML declaration) and
/// announce a bounded `uniqueCount`.
fn check_shared_strings_head(head: &[u8], truncated: bool) -> Result<(), SheetError> {
    let malformed = || SheetError::Malformed("sharedStrings");
    let mut rest = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    loop {
        rest = rest.trim_ascii_start();
        if rest.starts_with(b"<?") {
            let end = rest.windows(2).position(|w| w == b"?>");
            match end {
                Some(e) => rest = &rest[e + 2..],
                None if truncated => return Err(malformed()),
                None => return Ok(()),
            }
        } else {
            break;
        }
    }
    if rest.is_empty() && !truncated {
        return Ok(()); // calamine refuses it as unreadable
    }
    let Some(tag_end) = rest.iter().position(|b| *b == b'>') else {
        return Err(malformed());
    };
    let Some(tag) = rest[..tag_end].strip_prefix(b"<") else {
        return Err(malformed());
    };
    let name_end = tag
        .iter()
        .position(|b| b.is_ascii_whitespace() || *b == b'/')
        .unwrap_or(tag.len());
    let name = &tag[..name_end];
    let local = name.rsplit(|b| *b == b':').next().unwrap_or(name);
    if local != b"sst" {
        return Err(malformed());
    }
    let mut attrs = &tag[name_end..];
    while let Some(at) = attrs.windows(11).position(|w| w == b"uniqueCount") {
        let after = attrs[at + 11..].trim_ascii_start();
        attrs = &attrs[at + 11..];
        let Some(after) = after.strip_prefix(b"=") else {
            continue;
        };
        let after = after.trim_ascii_start();
        let Some((&quote, value)) = after.split_first() else {
            return Err(malformed());
        };
        let end = value
            .iter()
            .position(|b| *b == quote)
            .ok_or_else(malformed)?;
        let value = &value[..end];
        if value.is_empty() || value.len() > 19 || !value.iter().all(u8::is_ascii_digit) {
            return Err(malformed());
        }
        let n: u64 = std::str::from_utf8(value)
            .ok()
            .and_then(|v| v.parse().ok())
            .ok_or_else(malformed)?;
        if n > MAX_SHARED_STRINGS {
            return Err(SheetError::Expands);
        }
    }
    Ok(())
}

/// Streams the first worksheet's cells into a table.
fn read_xlsx(bytes: &[u8]) -> Result<Vec<Vec<String>>, SheetError> {
    check_package(bytes)?;
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(unreadable)?;
    let Some(name) = book.sheet_names().first().cloned() else {
        return Err(SheetError::Empty);
    };
    let mut cells = book.worksheet_cells_reader(&name).map_err(unreadable)?;
    // The declared `<dimension>` is only a hint: a sheet may declare
    // A1:XFD1048576 and hold two cells, or A1:B2 and hold a cell in row
    // 900,000. Rows are reserved for it only within the limits; the cells
    // themselves are checked as they arrive.
    let declared = cells.dimensions();
    let mut table = Table::default();
    let declared_rows = (declared.end.0 as usize).saturating_add(1);
    if declared.end.1 < MAX_COLUMNS as u32 && declared_rows <= MAX_ROWS + 1 {
        table.rows.reserve(declared_rows);
    }
    // Shared formulas: the anchor's text, shown for the cells sharing it.
    let mut shared: HashMap<usize, String> = HashMap::new();
    while let Some(cell) = cells
        .next_cell_with_formula_metadata()
        .map_err(unreadable)?
    {
        let (row, col) = (cell.pos.0 as usize, cell.pos.1 as usize);
        let formula = match cell.formula {
            None => None,
            Some(XlsxFormulaMetadata::Normal { formula }) => Some(formula),
            Some(XlsxFormulaMetadata::Shared {
                shared_index,
                formula,
                ..
            }) => {
                check_cell_length(&formula)?;
                if shared.len() < MAX_CELLS {
                    shared.insert(shared_index, formula.clone());
                }
                Some(formula)
            }
            // Shown as its group's formula (not moved to this cell); it
            // starts with `=` whatever it is, so it is refused.
            Some(XlsxFormulaMetadata::SharedDerived { shared_index }) => Some(
                shared
                    .get(&shared_index)
                    .cloned()
                    .unwrap_or_else(|| "?".to_string()),
            ),
            Some(_) => Some("?".to_string()),
        };
        let text = match formula {
            Some(f) if !f.is_empty() => format!("={f}"),
            _ => cell_ref_text(cell.value)?,
        };
        table.put(row, col, text)?;
    }
    table.finish()
}

/// Reads the first sheet of an XLS workbook once `ole::check` has bounded
/// what calamine will allocate for it.
fn read_xls(bytes: &[u8]) -> Result<Vec<Vec<String>>, SheetError> {
    ole::check(bytes)?;
    let mut book: Xls<_> = Xls::new(Cursor::new(bytes)).map_err(unreadable)?;
    let Some(name) = book.sheet_names().first().cloned() else {
        return Err(SheetError::Empty);
    };
    let range = book.worksheet_range(&name).map_err(unreadable)?;
    let mut table = Table::default();
    let (r0, c0) = range.start().unwrap_or((0, 0));
    for (r, c, v) in range.used_cells() {
        table.put(r0 as usize + r, c0 as usize + c, cell_text(v))?;
    }
    if let Ok(formulas) = book.worksheet_formula(&name) {
        let (r0, c0) = formulas.start().unwrap_or((0, 0));
        for (r, c, f) in formulas.used_cells() {
            if !f.is_empty() {
                table.put(r0 as usize + r, c0 as usize + c, format!("={f}"))?;
            }
        }
    }
    table.finish()
}

/// Reads the first worksheet of an XLSX/XLS workbook. Cells holding a
/// formula are returned as `=formula` so that they are refused, not
/// silently imported as their last computed value.
///
/// # Errors
/// When the workbook cannot be read, or is beyond a limit.
pub fn read_workbook(bytes: &[u8]) -> Result<Vec<Vec<String>>, SheetError> {
    check_size(bytes)?;
    let ole = bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]);
    // calamine indexes and slices what it reads; a forged file that slips
    // past the checks above must not take the request (or a job) down.
    catch_unwind(AssertUnwindSafe(|| {
        if ole {
            read_xls(bytes)
        } else {
            read_xlsx(bytes)
        }
    }))
    .unwrap_or(Err(SheetError::Malformed("reader")))
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
    use crate::domain::roster::Column;

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

    // ---- building hostile files -------------------------------------

    /// A ZIP part: its bytes as stored, and what its headers declare.
    struct Part {
        name: String,
        deflated: bool,
        data: Vec<u8>,
        size: u64,
        crc: u32,
    }

    fn stored(name: &str, data: &[u8]) -> Part {
        let mut crc = flate2::Crc::new();
        crc.update(data);
        Part {
            name: name.to_string(),
            deflated: false,
            data: data.to_vec(),
            size: data.len() as u64,
            crc: crc.sum(),
        }
    }

    /// A ZIP written by hand, so that sizes can be declared at will.
    fn zip_of(parts: &[Part]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for p in parts {
            let offset = out.len() as u32;
            let method: u16 = if p.deflated { 8 } else { 0 };
            let mut fields = Vec::new();
            fields.extend_from_slice(&20u16.to_le_bytes());
            fields.extend_from_slice(&0x0800u16.to_le_bytes()); // UTF-8 names
            fields.extend_from_slice(&method.to_le_bytes());
            fields.extend_from_slice(&[0, 0, 0x21, 0]); // time, date
            fields.extend_from_slice(&p.crc.to_le_bytes());
            fields.extend_from_slice(&(p.data.len() as u32).to_le_bytes());
            fields.extend_from_slice(&u32::try_from(p.size).unwrap().to_le_bytes());
            fields.extend_from_slice(&(p.name.len() as u16).to_le_bytes());
            fields.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(b"PK\x03\x04");
            out.extend_from_slice(&fields);
            out.extend_from_slice(p.name.as_bytes());
            out.extend_from_slice(&p.data);
            central.extend_from_slice(b"PK\x01\x02");
            central.extend_from_slice(&20u16.to_le_bytes());
            central.extend_from_slice(&fields);
            central.extend_from_slice(&[0; 10]); // comment, disk, attributes
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(p.name.as_bytes());
        }
        let at = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
        out.extend_from_slice(&(parts.len() as u16).to_le_bytes());
        out.extend_from_slice(&(parts.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&at.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    /// Raw deflate of `prefix`, `byte` repeated `run` times, then
    /// `suffix`: one block of fixed codes, the run as copies of 258 bytes
    /// at distance 1 (13 bits each), so a gigabyte costs 6.5 MB and no
    /// time to build.
    fn deflate_run(prefix: &[u8], byte: u8, run: u64, suffix: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let (mut acc, mut n) = (0u64, 0u32);
        let mut put = |v: u64, len: u32| {
            acc |= v << n;
            n += len;
            while n >= 8 {
                out.push(acc as u8);
                acc >>= 8;
                n -= 8;
            }
        };
        let reversed = |code: u32, len: u32| -> u64 {
            (0..len).fold(0, |r, i| r | u64::from((code >> i) & 1) << (len - 1 - i))
        };
        let literal = |v: u8| {
            if v < 144 {
                (reversed(0x30 + u32::from(v), 8), 8)
            } else {
                (reversed(0x190 + u32::from(v) - 144, 9), 9)
            }
        };
        put(0b011, 3); // last block, fixed codes
        for &b in prefix {
            let (v, l) = literal(b);
            put(v, l);
        }
        if run > 0 {
            let (v, l) = literal(byte);
            put(v, l);
            let mut left = run - 1;
            let copy = reversed(285, 0) | reversed(0xC5, 8); // length 258, then distance code 0
            while left >= 258 {
                put(copy, 13);
                left -= 258;
            }
            for _ in 0..left {
                put(v, l);
            }
        }
        for &b in suffix {
            let (v, l) = literal(b);
            put(v, l);
        }
        put(0, 7); // end of block
        put(0, 7); // flush the last bits
        out
    }

    fn deflated(name: &str, data: Vec<u8>, size: u64) -> Part {
        Part {
            name: name.to_string(),
            deflated: true,
            data,
            size,
            crc: 0,
        }
    }

    const NS: &str = "http://schemas.openxmlformats.org";

    /// The parts of a one-sheet workbook around `sheet` (the worksheet XML).
    fn package(sheet: Part, more: Vec<Part>) -> Vec<Part> {
        let mut parts = vec![
            stored(
                "[Content_Types].xml",
                format!(
                    r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{NS}/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#
                )
                .as_bytes(),
            ),
            stored(
                "_rels/.rels",
                format!(
                    r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{NS}/package/2006/relationships"><Relationship Id="rId1" Type="{NS}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
                )
                .as_bytes(),
            ),
            stored(
                "xl/workbook.xml",
                format!(
                    r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{NS}/spreadsheetml/2006/main" xmlns:r="{NS}/officeDocument/2006/relationships"><sheets><sheet name="名册" sheetId="1" r:id="rId1"/></sheets></workbook>"#
                )
                .as_bytes(),
            ),
            stored(
                "xl/_rels/workbook.xml.rels",
                format!(
                    r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{NS}/package/2006/relationships"><Relationship Id="rId1" Type="{NS}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#
                )
                .as_bytes(),
            ),
            sheet,
        ];
        parts.extend(more);
        parts
    }

    const SHEET_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#;

    /// A worksheet declaring `dimension` and holding `cells` (reference,
    /// inner XML of `<c>`), one `<row>` per cell.
    fn sheet_xml(dimension: &str, cells: &[(&str, String)]) -> Part {
        let mut xml = format!(r#"{SHEET_HEAD}<dimension ref="{dimension}"/><sheetData>"#);
        for (r, inner) in cells {
            let row: String = r.chars().filter(char::is_ascii_digit).collect();
            xml.push_str(&format!(r#"<row r="{row}"><c r="{r}"{inner}</c></row>"#));
        }
        xml.push_str("</sheetData></worksheet>");
        stored("xl/worksheets/sheet1.xml", xml.as_bytes())
    }

    fn text(s: &str) -> String {
        format!(r#" t="inlineStr"><is><t>{s}</t></is>"#)
    }

    fn xlsx(dimension: &str, cells: &[(&str, String)]) -> Vec<u8> {
        zip_of(&package(sheet_xml(dimension, cells), Vec::new()))
    }

    fn strings(v: &[&[&str]]) -> Vec<Vec<String>> {
        v.iter()
            .map(|r| r.iter().map(ToString::to_string).collect())
            .collect()
    }

    #[test]
    fn the_deflate_builder_makes_what_it_says() {
        let data = deflate_run(b"<t>", b'a', 1000, b"</t>");
        let mut out = Vec::new();
        flate2::read::DeflateDecoder::new(&data[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(
            out,
            [b"<t>".to_vec(), vec![b'a'; 1000], b"</t>".to_vec()].concat()
        );
    }

    #[test]
    fn a_hand_made_workbook_reads() {
        let book = xlsx("A1:B2", &[("A1", text("姓名")), ("B2", text("张三"))]);
        assert_eq!(
            read_table(&book).unwrap(),
            strings(&[&["姓名"], &["", "张三"]])
        );
    }

    #[rstest::rstest]
    // The declared dimension is a hint: the cells decide.
    #[case::dimension_claims_the_whole_sheet_for_two_cells(
        xlsx("A1:XFD1048576", &[("A1", text("姓名")), ("B2", text("张三"))]),
        Ok(strings(&[&["姓名"], &["", "张三"]]))
    )]
    #[case::dimension_hides_a_cell_in_row_900000(
        xlsx("A1:B2", &[("A1", text("姓名")), ("B900000", text("x"))]),
        Err(SheetError::TooManyRows)
    )]
    #[case::row_50001_is_the_last(
        xlsx("A1", &[("A1", text("h")), ("A50001", text("x"))]),
        Ok({ let mut v = vec![vec!["h".to_string()]]; v.resize(50_000, Vec::new()); v.push(vec!["x".into()]); v })
    )]
    #[case::row_50002_is_one_too_many(
        xlsx("A1", &[("A1", text("h")), ("A50002", text("x"))]),
        Err(SheetError::TooManyRows)
    )]
    #[case::column_bl_is_the_64th(
        xlsx("A1:BL1", &[("A1", text("h")), ("BL2", text("x"))]),
        Ok({ let mut r = vec![String::new(); 63]; r.push("x".into()); vec![vec!["h".into()], r] })
    )]
    #[case::column_bm_is_the_65th(
        xlsx("A1:BM1", &[("A1", text("h")), ("BM2", text("x"))]),
        Err(SheetError::TooManyColumns)
    )]
    #[case::a_cell_of_1000_characters(
        xlsx("A1", &[("A1", text(&"字".repeat(1000)))]),
        Ok(vec![vec!["字".repeat(1000)]])
    )]
    #[case::a_cell_of_1001_characters(
        xlsx("A1", &[("A1", text(&"字".repeat(1001)))]),
        Err(SheetError::CellTooLong)
    )]
    #[case::a_cell_of_5_mb(
        xlsx("A1", &[("A1", text(&"a".repeat(5 * 1024 * 1024)))]),
        Err(SheetError::CellTooLong)
    )]
    #[case::blank_styled_cells_far_away_are_not_used(
        xlsx("A1:XFD1048576", &[("A1", text("h")), ("XFD1048576", r#" s="1">"#.to_string())]),
        Ok(vec![vec!["h".to_string()]])
    )]
    #[case::a_formula_is_kept_as_a_formula(
        xlsx("A1:A2", &[("A1", "><f>B1*2</f><v>2</v>".to_string()), ("A2", r#" t="e"><v>#DIV/0!</v>"#.to_string())]),
        Ok(vec![vec!["=B1*2".to_string()], vec!["=Div0".to_string()]])
    )]
    #[case::shared_formulas_are_kept_as_formulas(
        xlsx("A1:A2", &[("A1", r#"><f t="shared" ref="A1:A2" si="0">B1*2</f><v>2</v>"#.to_string()), ("A2", r#"><f t="shared" si="0"/><v>4</v>"#.to_string())]),
        Ok(vec![vec!["=B1*2".to_string()], vec!["=B1*2".to_string()]])
    )]
    #[case::a_table_starting_at_c3_starts_there(
        xlsx("C3:D4", &[("C3", text("姓名")), ("D4", text("张三"))]),
        Ok(strings(&[&["姓名"], &["", "张三"]]))
    )]
    fn workbooks_are_read_within_the_limits(
        #[case] book: Vec<u8>,
        #[case] expected: Result<Vec<Vec<String>>, SheetError>,
    ) {
        assert_eq!(read_table(&book), expected);
    }

    #[test]
    fn too_many_cells_are_refused() {
        // 30,000 rows of 51 used columns: within rows and columns, beyond cells.
        let mut xml = format!(r#"{SHEET_HEAD}<sheetData>"#);
        for r in 1..=30_000 {
            xml.push_str(&format!(r#"<row r="{r}"><c r="AY{r}"><v>1</v></c></row>"#));
        }
        xml.push_str("</sheetData></worksheet>");
        let book = zip_of(&package(
            stored("xl/worksheets/sheet1.xml", xml.as_bytes()),
            Vec::new(),
        ));
        assert_eq!(read_table(&book), Err(SheetError::TooManyCells));
    }

    /// Runs `name`, an ignored test of this module, in a child process
    /// with its address space capped: if the reader ever allocates a
    /// sparse sheet's range again, this fails instead of aborting the
    /// whole test binary.
    fn in_a_capped_process(name: &str) {
        let exe = std::env::current_exe().unwrap();
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(r#"ulimit -v 4000000 && exec "$0" --exact "$1" --ignored --test-threads=1 -q"#)
            .arg(exe)
            .arg(name)
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "{name} failed in its capped process");
    }

    #[test]
    fn a_sparse_sheet_from_a1_to_xfd1048576_is_refused_without_allocating_it() {
        in_a_capped_process("sheets::tests::sparse_sheet_in_a_capped_process");
    }

    #[test]
    #[ignore = "run by the test above, in a capped process"]
    fn sparse_sheet_in_a_capped_process() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "姓名").unwrap();
        sheet.write_string(1_048_575, 16_383, "x").unwrap();
        let bytes = book.save_to_buffer().unwrap();
        assert!(bytes.len() < 10_000);
        assert_eq!(read_table(&bytes), Err(SheetError::TooManyRows));
        // The same cell in row 1 is beyond the columns.
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "姓名").unwrap();
        sheet.write_string(0, 16_383, "x").unwrap();
        let bytes = book.save_to_buffer().unwrap();
        assert_eq!(read_table(&bytes), Err(SheetError::TooManyColumns));
    }

    const GIB: u64 = 1024 * 1024 * 1024;

    #[rstest::rstest]
    #[case::a_part_of_1_gib_of_zeros(
        vec![deflated("xl/media/image1.bin", deflate_run(b"", 0, GIB, b""), GIB)],
        SheetError::Expands
    )]
    #[case::a_part_that_expands_160_times(
        vec![deflated("xl/media/image1.bin", deflate_run(b"", 0, 10 * MIB, b""), 10 * MIB)],
        SheetError::Expands
    )]
    #[case::parts_that_add_up_to_too_much(
        (0..2).map(|i| deflated(&format!("xl/media/{i}.bin"), deflate_run(&vec![7; 2 << 20], 0, 100 * MIB - (2 << 20), b""), 100 * MIB)).collect(),
        SheetError::Expands
    )]
    #[case::a_thousand_parts(
        (0..1000).map(|i| stored(&format!("xl/media/{i}.bin"), b"x")).collect(),
        SheetError::Expands
    )]
    #[case::shared_strings_announcing_ten_billion(
        vec![stored("xl/sharedStrings.xml", br#"<?xml version="1.0"?><sst xmlns="x" count="1" uniqueCount="10000000000"><si><t>a</t></si></sst>"#)],
        SheetError::Expands
    )]
    #[case::shared_strings_behind_a_doctype(
        vec![stored("xl/sharedStrings.xml", br#"<?xml version="1.0"?><!DOCTYPE sst><sst uniqueCount="1"><si><t>a</t></si></sst>"#)],
        SheetError::Malformed("sharedStrings")
    )]
    #[case::shared_strings_counting_in_words(
        vec![stored("xl/sharedStrings.xml", br#"<sst uniqueCount="&#49;0000000000"><si><t>a</t></si></sst>"#)],
        SheetError::Malformed("sharedStrings")
    )]
    fn zip_bombs_are_refused_before_they_are_read(
        #[case] more: Vec<Part>,
        #[case] expected: SheetError,
    ) {
        let sheet = sheet_xml("A1", &[("A1", text("姓名"))]);
        let book = zip_of(&package(sheet, more));
        assert!(book.len() < MAX_FILE_BYTES);
        assert_eq!(read_table(&book), Err(expected));
    }

    #[test]
    fn a_part_is_not_read_beyond_its_declared_size() {
        // The sheet declares 4 KB and inflates to 64 MB of one cell: the
        // reader stops at 4 KB (it would otherwise find the cell too long).
        let head = format!(r#"{SHEET_HEAD}<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>"#);
        let data = deflate_run(
            head.as_bytes(),
            b'a',
            64 * MIB,
            b"</t></is></c></row></sheetData></worksheet>",
        );
        let book = zip_of(&package(
            deflated("xl/worksheets/sheet1.xml", data, 4096),
            Vec::new(),
        ));
        match read_table(&book) {
            Err(SheetError::Unreadable(m)) => assert!(m.contains("declared"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_limits_sit_well_above_what_a_full_roster_needs() {
        let roster = |rows: usize| {
            let mut table = vec![Column::ALL
                .iter()
                .map(|c| c.header().to_string())
                .collect::<Vec<_>>()];
            for i in 0..rows {
                table.push((0..15).map(|c| format!("{i}-{c}-石门村2组")).collect());
            }
            table
        };
        // 50,000 rows of 15 columns (as CSV: writing XLSX unoptimised
        // takes a minute).
        let csv = write_csv(&roster(50_000));
        assert_eq!(read_table(&csv).unwrap().len(), 50_001);
        // A tenth of it as XLSX: ten times its sheet still fits a part, and
        // it compresses far less than a bomb.
        let bytes = write_xlsx("名册", &roster(5_000)).unwrap();
        assert_eq!(read_table(&bytes).unwrap().len(), 5_001);
        let mut zip = zip::ZipArchive::new(Cursor::new(&bytes)).unwrap();
        let sheet = zip.by_name("xl/worksheets/sheet1.xml").unwrap();
        assert!(sheet.size() * 10 < MAX_ENTRY_BYTES / 2, "{}", sheet.size());
        assert!(sheet.size() / sheet.compressed_size() < MAX_RATIO / 4);
        drop(sheet);
        let strings = zip.by_name("xl/sharedStrings.xml").unwrap();
        assert!(
            strings.size() * 10 < MAX_ENTRY_BYTES / 2,
            "{}",
            strings.size()
        );
    }

    #[rstest::rstest]
    #[case::a_field_of_5_mb(format!("姓名,备注\n张三,{}\n", "a".repeat(5 * 1024 * 1024)), Err(SheetError::CellTooLong))]
    #[case::a_quoted_field_of_5_mb(format!("姓名,备注\n张三,\"{}\"\n", "a\n".repeat(2 * 1024 * 1024)), Err(SheetError::CellTooLong))]
    #[case::a_field_of_1000_with_quotes(format!("a\n\"{}\"\n", "\"\"".repeat(1000)), Ok(vec![vec!["a".to_string()], vec!["\"".repeat(1000)]]))]
    #[case::a_field_of_1001_with_quotes(format!("a\n\"{}\"\n", "\"\"".repeat(1001)), Err(SheetError::CellTooLong))]
    #[case::sixty_four_columns((1..=64).map(|i| i.to_string()).collect::<Vec<_>>().join(","), Ok(vec![(1..=64).map(|i| i.to_string()).collect()]))]
    #[case::sixty_five_columns((1..=65).map(|i| i.to_string()).collect::<Vec<_>>().join(","), Err(SheetError::TooManyColumns))]
    #[case::blank_fields_at_the_end_do_not_count(format!("a,b{}\n", ",".repeat(200)), Ok(vec![vec!["a".to_string(), "b".to_string()]]))]
    #[case::a_line_of_20000_commas(format!("a{}\n", ",".repeat(20_000)), Err(SheetError::TooManyColumns))]
    fn csv_is_read_within_the_limits(
        #[case] text: String,
        #[case] expected: Result<Vec<Vec<String>>, SheetError>,
    ) {
        assert_eq!(read_table(text.as_bytes()), expected);
    }

    // ---- XLS -----------------------------------------------------------

    fn record(typ: u16, data: &[u8]) -> Vec<u8> {
        let mut r = typ.to_le_bytes().to_vec();
        r.extend_from_slice(&(data.len() as u16).to_le_bytes());
        r.extend_from_slice(data);
        r
    }

    enum Value<'a> {
        Number(f64),
        Text(&'a str),
    }

    /// A BIFF8 workbook stream: one sheet, an optional DIMENSIONS record
    /// (rows from, rows to, columns from, columns to; "to" exclusive).
    fn biff(cells: &[(u16, u16, Value<'_>)], dims: Option<(u32, u32, u16, u16)>) -> Vec<u8> {
        let bof = |dt: u16| {
            let mut d = 0x0600u16.to_le_bytes().to_vec();
            d.extend_from_slice(&dt.to_le_bytes());
            d.extend_from_slice(&[0; 12]);
            record(0x0809, &d)
        };
        let name: Vec<u8> = "名册".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let bound = |pos: u32| {
            let mut d = pos.to_le_bytes().to_vec();
            d.extend_from_slice(&[0, 0, 2, 1]);
            d.extend_from_slice(&name);
            record(0x0085, &d)
        };
        let globals_len = bof(5).len() + bound(0).len() + record(0x000A, &[]).len();
        let mut out = bof(5);
        out.extend(bound(globals_len as u32));
        out.extend(record(0x000A, &[]));
        out.extend(bof(0x10));
        if let Some((r0, r1, c0, c1)) = dims {
            let mut d = r0.to_le_bytes().to_vec();
            d.extend_from_slice(&r1.to_le_bytes());
            d.extend_from_slice(&c0.to_le_bytes());
            d.extend_from_slice(&c1.to_le_bytes());
            d.extend_from_slice(&[0, 0]);
            out.extend(record(0x0200, &d));
        }
        for (row, col, value) in cells {
            let mut d = row.to_le_bytes().to_vec();
            d.extend_from_slice(&col.to_le_bytes());
            d.extend_from_slice(&0u16.to_le_bytes());
            match value {
                Value::Number(f) => {
                    d.extend_from_slice(&f.to_le_bytes());
                    out.extend(record(0x0203, &d));
                }
                Value::Text(s) => {
                    let units: Vec<u16> = s.encode_utf16().collect();
                    d.extend_from_slice(&(units.len() as u16).to_le_bytes());
                    d.push(1);
                    d.extend(units.iter().flat_map(|u| u.to_le_bytes()));
                    out.extend(record(0x0204, &d));
                }
            }
        }
        out.extend(record(0x000A, &[]));
        // Past the mini stream's 4 KB, so it lies in ordinary sectors.
        out.resize(out.len().max(4200), 0);
        out
    }

    const END: u32 = 0xFFFF_FFFE;

    /// A compound file (version 3, 512-byte sectors): sector 0 the FAT,
    /// sector 1 the directory, then the stream; `fat_patch` overwrites
    /// FAT entries to forge chains.
    fn cfb(stream: &[u8], fat_patch: &[(usize, u32)]) -> Vec<u8> {
        cfb_sized(stream, fat_patch, stream.len() as u32)
    }

    /// As `cfb`, the stream's directory entry declaring `size` bytes.
    fn cfb_sized(stream: &[u8], fat_patch: &[(usize, u32)], size: u32) -> Vec<u8> {
        let sectors = stream.len().div_ceil(512);
        assert!(sectors + 2 <= 128);
        let mut header = vec![0u8; 512];
        header[..8].copy_from_slice(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1");
        header[24..26].copy_from_slice(&0x3Eu16.to_le_bytes());
        header[26..28].copy_from_slice(&3u16.to_le_bytes());
        header[28..30].copy_from_slice(&0xFFFEu16.to_le_bytes());
        header[30..32].copy_from_slice(&9u16.to_le_bytes());
        header[32..34].copy_from_slice(&6u16.to_le_bytes());
        header[44..48].copy_from_slice(&1u32.to_le_bytes());
        header[48..52].copy_from_slice(&1u32.to_le_bytes());
        header[56..60].copy_from_slice(&4096u32.to_le_bytes());
        header[60..64].copy_from_slice(&END.to_le_bytes());
        header[68..72].copy_from_slice(&END.to_le_bytes());
        header[76..80].copy_from_slice(&0u32.to_le_bytes());
        for at in (80..512).step_by(4) {
            header[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        }
        let mut fat = vec![u32::MAX; 128];
        fat[0] = 0xFFFF_FFFD;
        fat[1] = END;
        for i in 0..sectors {
            fat[2 + i] = if i + 1 == sectors {
                END
            } else {
                (3 + i) as u32
            };
        }
        for (i, v) in fat_patch {
            fat[*i] = *v;
        }
        let entry = |name: &str, typ: u8, child: u32, start: u32, size: u32| {
            let mut e = vec![0u8; 128];
            let units: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
            e[..units.len()].copy_from_slice(&units);
            e[64..66].copy_from_slice(&((units.len() + 2) as u16).to_le_bytes());
            e[66] = typ;
            e[67] = 1;
            e[68..72].copy_from_slice(&u32::MAX.to_le_bytes());
            e[72..76].copy_from_slice(&u32::MAX.to_le_bytes());
            e[76..80].copy_from_slice(&child.to_le_bytes());
            e[116..120].copy_from_slice(&start.to_le_bytes());
            e[120..124].copy_from_slice(&size.to_le_bytes());
            e
        };
        let mut out = header;
        out.extend(fat.iter().flat_map(|v| v.to_le_bytes()));
        out.extend(entry("Root Entry", 5, 1, END, 0));
        out.extend(entry("Workbook", 2, u32::MAX, 2, size));
        out.extend(vec![0u8; 256]);
        out.extend_from_slice(stream);
        out.resize(512 * (3 + sectors), 0);
        out
    }

    #[test]
    fn an_xls_reads() {
        let book = cfb(
            &biff(
                &[
                    (0, 0, Value::Text("姓名")),
                    (0, 1, Value::Text("身份证号")),
                    (1, 0, Value::Text("张三")),
                    (1, 1, Value::Number(12.0)),
                ],
                Some((0, 2, 0, 2)),
            ),
            &[],
        );
        assert_eq!(
            read_table(&book).unwrap(),
            strings(&[&["姓名", "身份证号"], &["张三", "12"]])
        );
    }

    #[rstest::rstest]
    // What calamine would allocate is checked before it opens the file
    // (`ole::check`, which never calls calamine: a regression fails here
    // rather than allocating).
    #[case::sparse_cells_a1_and_iv65536(
        cfb(&biff(&[(0, 0, Value::Number(1.0)), (65_535, 255, Value::Number(1.0))], None), &[]),
        SheetError::TooManyColumns
    )]
    #[case::sparse_cells_a1_and_bl65536(
        cfb(&biff(&[(0, 0, Value::Number(1.0)), (65_535, 63, Value::Number(1.0))], None), &[]),
        SheetError::TooManyRows
    )]
    #[case::sparse_cells_a1_and_gs40000(
        cfb(&biff(&[(0, 0, Value::Number(1.0)), (40_000, 200, Value::Number(1.0))], None), &[]),
        SheetError::TooManyColumns
    )]
    #[case::sparse_cells_a1_and_bh50000(
        cfb(&biff(&[(0, 0, Value::Number(1.0)), (49_999, 59, Value::Number(1.0))], None), &[]),
        SheetError::TooManyCells
    )]
    #[case::dimensions_of_a_million_rows(
        cfb(&biff(&[(0, 0, Value::Number(1.0))], Some((0, 1_048_576, 0, 2))), &[]),
        SheetError::TooManyRows
    )]
    #[case::dimensions_upside_down(
        cfb(&biff(&[(0, 0, Value::Number(1.0))], Some((10, 5, 0, 2))), &[]),
        SheetError::Malformed("dimensions")
    )]
    #[case::a_directory_chain_that_loops(
        cfb(&biff(&[(0, 0, Value::Number(1.0))], None), &[(1, 1)]),
        SheetError::Malformed("chain loops")
    )]
    #[case::a_stream_of_4_gb_whose_chain_loops(
        cfb_sized(&biff(&[(0, 0, Value::Number(1.0))], None), &[(3, 2)], 0xFFFF_FFF0),
        SheetError::Malformed("chain loops")
    )]
    #[case::a_chain_beyond_the_fat(
        cfb(&biff(&[(0, 0, Value::Number(1.0))], None), &[(2, 5000)]),
        SheetError::Malformed("sector")
    )]
    fn hostile_xls_files_are_refused_before_calamine_opens_them(
        #[case] book: Vec<u8>,
        #[case] expected: SheetError,
    ) {
        assert_eq!(ole::check(&book), Err(expected));
    }

    #[test]
    fn a_sparse_xls_within_reach_is_refused_by_the_table() {
        // A1 and A50002: calamine may allocate that box; the table then
        // refuses the row.
        let book = cfb(
            &biff(
                &[(0, 0, Value::Number(1.0)), (50_001, 0, Value::Number(1.0))],
                None,
            ),
            &[],
        );
        assert_eq!(ole::check(&book), Ok(()));
        assert_eq!(read_table(&book), Err(SheetError::TooManyRows));
    }

    #[test]
    fn xlsx_round_trips_through_the_reader() {
        let bytes = write_xlsx("名册", &table()).unwrap();
        let rows = read_table(&bytes).unwrap();
        assert_eq!(rows[1][1], "11010519491231002X");
        assert_eq!(rows[0][0], "姓名");
    }
}
