//! A bounded walk over an XLS file (a Compound File holding a BIFF
//! `Workbook` stream) before calamine reads it.
//!
//! calamine 0.38 reads every sheet of an XLS when it opens the file. On
//! the way it follows sector chains for as long as they go (a chain that
//! loops back never ends, and grows a buffer at each turn), indexes its
//! FAT with ids taken from the file, reserves rows × columns cells for
//! each sheet's DIMENSIONS record, and allocates each sheet's bounding box
//! of cells, however sparse: two cells at A1 and IV65536 make sixteen
//! million. This module follows the same chains (refusing loops, ids
//! beyond the file and a FAT larger than the file) and checks every record
//! calamine turns into a cell, so that what calamine then allocates is
//! bounded by the limits of `sheets`. It is stricter than calamine where
//! being exact would cost more code than the files it refuses are worth:
//! a damaged file that calamine might have half-read is refused.
use super::{SheetError, MAX_CELLS, MAX_COLUMNS, MAX_ROWS};

const SIGNATURE: &[u8; 8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
const RESERVED_SECTORS: u32 = 0xFFFF_FFFA;
const DIFSECT: u32 = 0xFFFF_FFFC;
const MINI_SECTOR: usize = 64;
/// Cells calamine may allocate for all the sheets of a workbook together
/// (each sheet's box of values plus its box of formulas), and cell records
/// it may collect: room for a full roster and a copy of it.
const MAX_XLS_CELLS: usize = 2 * MAX_CELLS;

fn malformed(what: &'static str) -> SheetError {
    SheetError::Malformed(what)
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at + 2).map(|x| u16::from_le_bytes([x[0], x[1]]))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)
        .map(|x| u32::from_le_bytes([x[0], x[1], x[2], x[3]]))
}

fn u32s(b: &[u8]) -> impl Iterator<Item = u32> + '_ {
    b.chunks_exact(4)
        .map(|x| u32::from_le_bytes([x[0], x[1], x[2], x[3]]))
}

/// Checks that calamine can open `bytes` as an XLS within the limits.
///
/// # Errors
/// `Malformed` for a damaged or forged container or record; the limit
/// errors for a sheet whose cells reach too far.
pub(super) fn check(bytes: &[u8]) -> Result<(), SheetError> {
    let stream = workbook_stream(bytes)?;
    check_records(&stream)
}

struct Sectors<'a> {
    /// The file after its header: sector `id` starts at `id * size`.
    body: &'a [u8],
    size: usize,
    /// calamine refuses ids above this (the file's length in sectors).
    max_id: usize,
}

impl<'a> Sectors<'a> {
    fn get(&self, id: u32) -> Result<&'a [u8], SheetError> {
        let id = id as usize;
        let start = id
            .checked_mul(self.size)
            .ok_or_else(|| malformed("sector"))?;
        if id > self.max_id || start >= self.body.len() {
            return Err(malformed("sector"));
        }
        Ok(&self.body[start..(start + self.size).min(self.body.len())])
    }

    /// The bytes of a chain, as calamine collects them: up to `len`, or to
    /// the end of the chain. A chain longer than the file has sectors loops.
    fn chain(&self, start: u32, fat: &[u32], len: usize) -> Result<Vec<u8>, SheetError> {
        let mut out = Vec::new();
        let (mut id, mut steps) = (start, 0usize);
        while id != ENDOFCHAIN {
            steps += 1;
            if steps > self.max_id + 1 {
                return Err(malformed("chain loops"));
            }
            let sector = self.get(id)?;
            let take = sector.len().min(len - out.len());
            out.extend_from_slice(&sector[..take]);
            if out.len() >= len {
                break;
            }
            id = *fat
                .get(id as usize)
                .ok_or_else(|| malformed("chain leaves the FAT"))?;
        }
        Ok(out)
    }
}

/// A chain of 64-byte sectors inside the mini stream.
fn mini_chain(
    mini: &[u8],
    mini_fat: &[u32],
    start: u32,
    len: usize,
) -> Result<Vec<u8>, SheetError> {
    let mut out = Vec::new();
    let (mut id, mut steps) = (start, 0usize);
    while id != ENDOFCHAIN {
        steps += 1;
        if steps > mini.len() / MINI_SECTOR + 1 {
            return Err(malformed("chain loops"));
        }
        let at = (id as usize)
            .checked_mul(MINI_SECTOR)
            .ok_or_else(|| malformed("sector"))?;
        let sector = mini
            .get(at..at + MINI_SECTOR)
            .ok_or_else(|| malformed("sector"))?;
        let take = sector.len().min(len - out.len());
        out.extend_from_slice(&sector[..take]);
        if out.len() >= len {
            break;
        }
        id = *mini_fat
            .get(id as usize)
            .ok_or_else(|| malformed("chain leaves the FAT"))?;
    }
    Ok(out)
}

struct Entry {
    name: String,
    start: u32,
    len: usize,
}

/// The `Workbook` (or older `Book`) stream, read as calamine reads it.
fn workbook_stream(bytes: &[u8]) -> Result<Vec<u8>, SheetError> {
    let header = bytes.get(..512).ok_or_else(|| malformed("header"))?;
    if header[..8] != SIGNATURE[..] {
        return Err(malformed("header"));
    }
    let field16 = |at| u16_at(header, at).ok_or_else(|| malformed("header"));
    let field32 = |at| u32_at(header, at).ok_or_else(|| malformed("header"));
    let version = field16(26)?;
    let size = match field16(30)? {
        0x0009 => 512,
        0x000C => 4096,
        _ => return Err(malformed("header")),
    };
    if field16(32)? != 0x0006 {
        return Err(malformed("header"));
    }
    let dir_start = field32(48)?;
    let mini_fat_start = field32(60)?;
    let mini_fat_len = field32(64)? as usize;
    let difat_start = field32(68)?;
    // A 4096-byte sector's header fills the whole first sector.
    let body = bytes.get(size..).ok_or_else(|| malformed("header"))?;
    let sectors = Sectors {
        body,
        size,
        max_id: bytes.len() / size,
    };

    let mut difat: Vec<u32> = u32s(&header[76..512]).collect();
    let (mut id, mut steps) = (difat_start, 0usize);
    while id < RESERVED_SECTORS {
        steps += 1;
        if steps > sectors.max_id + 1 {
            return Err(malformed("DIFAT loops"));
        }
        difat.extend(u32s(sectors.get(id)?));
        id = difat.pop().ok_or_else(|| malformed("DIFAT"))?;
    }
    let fat_sectors: Vec<u32> = difat.into_iter().filter(|id| *id < DIFSECT).collect();
    // Each FAT sector is a sector of the file: more of them than the file
    // has sectors repeat one, and calamine would copy it each time.
    if fat_sectors.len() > sectors.max_id + 1 {
        return Err(malformed("FAT"));
    }
    let mut fat = Vec::new();
    for id in fat_sectors {
        fat.extend(u32s(sectors.get(id)?));
    }

    let directory = sectors.chain(dir_start, &fat, usize::MAX)?;
    let entries: Vec<Entry> = directory
        .chunks_exact(128)
        .map(|d| {
            let units: Vec<u16> = d[..64]
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .take_while(|u| *u != 0)
                .collect();
            let len = if size == 512 {
                u32_at(d, 120).map_or(0, |l| l as usize)
            } else {
                d.get(120..128)
                    .and_then(|b| <[u8; 8]>::try_from(b).ok())
                    .map_or(usize::MAX, |b| {
                        usize::try_from(u64::from_le_bytes(b)).unwrap_or(usize::MAX)
                    })
            };
            Entry {
                name: String::from_utf16_lossy(&units),
                start: u32_at(d, 116).unwrap_or(ENDOFCHAIN),
                len,
            }
        })
        .collect();
    let Some(root) = entries.first() else {
        return Err(malformed("directory"));
    };
    if version != 3 && root.start == ENDOFCHAIN {
        return Err(malformed("directory"));
    }
    let (mini_fat, mini) = if mini_fat_len > 0 {
        let mini = sectors.chain(root.start, &fat, root.len)?;
        let mini_fat = sectors.chain(mini_fat_start, &fat, mini_fat_len.saturating_mul(size))?;
        (u32s(&mini_fat).collect::<Vec<u32>>(), mini)
    } else {
        (Vec::new(), Vec::new())
    };
    let named = |n: &str| entries.iter().find(|e| e.name.eq_ignore_ascii_case(n));
    let book = named("Workbook")
        .or_else(|| named("Book"))
        .ok_or_else(|| malformed("no workbook stream"))?;
    if book.len < 4096 {
        mini_chain(&mini, &mini_fat, book.start, book.len)
    } else {
        sectors.chain(book.start, &fat, book.len)
    }
}

/// BIFF records: (type, data); a truncated record is an error, as in calamine.
fn records(stream: &[u8]) -> impl Iterator<Item = Result<(u16, &[u8]), SheetError>> {
    let mut rest = stream;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let (Some(typ), Some(len)) = (u16_at(rest, 0), u16_at(rest, 2)) else {
            rest = &[];
            return Some(Err(malformed("record")));
        };
        let Some(data) = rest.get(4..4 + len as usize) else {
            rest = &[];
            return Some(Err(malformed("record")));
        };
        rest = &rest[4 + len as usize..];
        Some(Ok((typ, data)))
    })
}

/// The box of positions calamine spans with one sheet's cells.
#[derive(Default)]
struct Bounds(Option<(u32, u32, u32, u32)>);

impl Bounds {
    fn add(&mut self, row: u32, col: u32) {
        self.0 = Some(match self.0 {
            None => (row, row, col, col),
            Some((r0, r1, c0, c1)) => (r0.min(row), r1.max(row), c0.min(col), c1.max(col)),
        });
    }

    fn rows_cols(&self) -> (usize, usize) {
        self.0.map_or((0, 0), |(r0, r1, c0, c1)| {
            ((r1 - r0) as usize + 1, (c1 - c0) as usize + 1)
        })
    }
}

/// Which limit a box of `rows` × `cols` is beyond, if any.
fn over(rows: usize, cols: usize, budget: usize) -> Option<SheetError> {
    if rows.saturating_mul(cols) <= budget {
        None
    } else if cols > MAX_COLUMNS {
        Some(SheetError::TooManyColumns)
    } else if rows > MAX_ROWS + 1 {
        Some(SheetError::TooManyRows)
    } else {
        Some(SheetError::TooManyCells)
    }
}

/// The DIMENSIONS record as calamine reads it: rows × columns it reserves.
fn dimensions(data: &[u8]) -> Result<(usize, usize), SheetError> {
    let bad = || malformed("dimensions");
    let field16 = |at| u16_at(data, at).map(u32::from).ok_or_else(bad);
    let (first_row, rows_end, mut first_col, cols_end) = match data.len() {
        10 => (field16(0)?, field16(2)?, field16(4)?, field16(6)?),
        14 | 16 => (
            u32_at(data, 0).ok_or_else(bad)?,
            u32_at(data, 4).ok_or_else(bad)?,
            field16(8)?,
            field16(10)?,
        ),
        _ => return Err(bad()),
    };
    if first_col > 0xFF || cols_end < first_col {
        first_col = 0;
    }
    if rows_end == 0 || cols_end == 0 {
        return Ok((1, 1));
    }
    let rows = (rows_end - 1).checked_sub(first_row).ok_or_else(bad)?;
    let cols = (cols_end - 1).checked_sub(first_col).ok_or_else(bad)?;
    Ok((rows as usize + 1, cols as usize + 1))
}

/// Walks the workbook globals to find the sheets, then every record of
/// every sheet that calamine makes a cell of.
fn check_records(stream: &[u8]) -> Result<(), SheetError> {
    let mut sheets = Vec::new();
    for record in records(stream) {
        let (typ, data) = record?;
        match typ {
            // BoundSheet8: where the sheet's records start.
            0x0085 => {
                if data.len() < 6 {
                    return Err(malformed("sheet"));
                }
                sheets.push(u32_at(data, 0).ok_or_else(|| malformed("sheet"))? as usize);
            }
            0x000A => break,
            _ => {}
        }
    }
    let (mut area, mut cells) = (0usize, 0usize);
    for start in sheets {
        let sheet = stream.get(start..).ok_or_else(|| malformed("sheet"))?;
        let (mut values, mut formulas) = (Bounds::default(), Bounds::default());
        let (mut seen_bof, mut depth) = (false, 0usize);
        let mut formula_at = (0u32, 0u32);
        for record in records(sheet) {
            let (typ, data) = record?;
            if depth > 0 {
                match typ {
                    0x0809 => depth += 1,
                    0x000A => depth -= 1,
                    _ => {}
                }
                continue;
            }
            let at = || -> Result<(u32, u32), SheetError> {
                match (u16_at(data, 0), u16_at(data, 2)) {
                    (Some(r), Some(c)) => Ok((u32::from(r), u32::from(c))),
                    _ => Err(malformed("cell")),
                }
            };
            match typ {
                0x0809 if seen_bof => depth += 1,
                0x0809 => seen_bof = true,
                0x0200 => {
                    let (rows, cols) = dimensions(data)?;
                    if let Some(e) = over(rows, cols, MAX_CELLS) {
                        return Err(e);
                    }
                }
                // Number, Label, RString, BoolErr, RK, LabelSst.
                0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD => {
                    let (r, c) = at()?;
                    values.add(r, c);
                    cells += 1;
                }
                // Formula: its value and its text.
                0x0006 => {
                    formula_at = at()?;
                    values.add(formula_at.0, formula_at.1);
                    formulas.add(formula_at.0, formula_at.1);
                    cells += 2;
                }
                // String: the text value of the formula before it.
                0x0207 => {
                    values.add(formula_at.0, formula_at.1);
                    cells += 1;
                }
                // MulRk: numbers in a run of columns of one row.
                0x00BD => {
                    let (r, c) = at()?;
                    let n = data.len().saturating_sub(6).div_ceil(6);
                    if n > 0 {
                        let last = c as usize + n - 1;
                        values.add(r, c);
                        values.add(r, u32::try_from(last).map_err(|_| malformed("cell"))?);
                    }
                    cells += n;
                }
                0x000A => break,
                _ => {}
            }
            if cells > MAX_XLS_CELLS {
                return Err(SheetError::TooManyCells);
            }
        }
        for bounds in [&values, &formulas] {
            let (rows, cols) = bounds.rows_cols();
            if let Some(e) = over(rows, cols, MAX_CELLS) {
                return Err(e);
            }
            area += rows * cols;
        }
        if area > MAX_XLS_CELLS {
            return Err(SheetError::TooManyCells);
        }
    }
    Ok(())
}
