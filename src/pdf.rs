//! Tables as a PDF: A4 pages, a title, then sections of rows (the first
//! row of each a header), cells wrapped to their column. Chinese and Latin
//! text is set in WenQuanYi Micro Hei (`assets/fonts`, Apache-2.0), built
//! into the binary and embedded as a subset of the glyphs used, with a
//! ToUnicode map so the text can be searched and copied.
use pdf_writer::{
    types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap},
    Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr,
};
use std::collections::BTreeMap;

static FONT: &[u8] = include_bytes!("../assets/fonts/wqy-microhei.ttf");

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 40.0;
const SIZE: f32 = 9.0;
const TITLE_SIZE: f32 = 15.0;
const HEADING_SIZE: f32 = 12.0;
const LEADING: f32 = 12.0;
const PAD: f32 = 3.0;

/// The font's glyphs and advances.
struct Font<'a> {
    face: ttf_parser::Face<'a>,
    per_em: f32,
}

impl Font<'_> {
    fn load() -> Result<Font<'static>, String> {
        let face = ttf_parser::Face::parse(FONT, 0).map_err(|e| format!("font: {e}"))?;
        let per_em = f32::from(face.units_per_em());
        Ok(Font { face, per_em })
    }

    /// The glyph of a character (a missing one shows as the empty box).
    fn glyph(&self, ch: char) -> u16 {
        self.face.glyph_index(ch).map_or(0, |g| g.0)
    }

    /// Width of one character at `size` points.
    fn char_width(&self, ch: char, size: f32) -> f32 {
        let g = ttf_parser::GlyphId(self.glyph(ch));
        f32::from(self.face.glyph_hor_advance(g).unwrap_or(0)) * size / self.per_em
    }

    /// Width of `s` at `size` points.
    fn width(&self, s: &str, size: f32) -> f32 {
        s.chars().map(|ch| self.char_width(ch, size)).sum()
    }

    /// `s` broken into lines no wider than `max` (between any two
    /// characters: Chinese has no spaces to break at).
    fn wrap(&self, s: &str, size: f32, max: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for para in s.split('\n') {
            let (mut line, mut w) = (String::new(), 0.0);
            for ch in para.chars() {
                let cw = self.char_width(ch, size);
                if !line.is_empty() && w + cw > max {
                    lines.push(std::mem::take(&mut line));
                    w = 0.0;
                }
                line.push(ch);
                w += cw;
            }
            lines.push(line);
        }
        lines
    }
}

/// Lays out text and remembers every glyph used.
struct Writer<'a> {
    font: &'a Font<'a>,
    used: BTreeMap<u16, char>,
    pages: Vec<Content>,
    page: Content,
    y: f32,
}

impl Writer<'_> {
    fn new_page(&mut self) {
        let done = std::mem::replace(&mut self.page, Content::new());
        self.pages.push(done);
        self.y = PAGE_H - MARGIN;
    }

    /// Room for `h` more points on this page, else a new one.
    fn room(&mut self, h: f32) {
        if self.y - h < MARGIN {
            self.new_page();
        }
    }

    fn text(&mut self, x: f32, y: f32, size: f32, s: &str) {
        let mut bytes = Vec::with_capacity(s.len() * 2);
        for ch in s.chars() {
            let g = self.font.glyph(ch);
            self.used.entry(g).or_insert(ch);
            bytes.extend_from_slice(&g.to_be_bytes());
        }
        self.page
            .begin_text()
            .set_font(Name(b"F1"), size)
            .next_line(x, y)
            .show(Str(&bytes))
            .end_text();
    }

    fn line(&mut self, s: &str, size: f32) {
        let lead = size * 1.4;
        self.room(lead);
        self.y -= lead;
        self.text(MARGIN, self.y + size * 0.3, size, s);
    }

    /// One table: columns sized to their content, rows wrapped, the
    /// header repeated on each new page.
    fn table(&mut self, rows: &[Vec<String>]) {
        let Some(header) = rows.first() else {
            return;
        };
        let n = rows.iter().map(Vec::len).max().unwrap_or(0).max(1);
        let avail = PAGE_W - 2.0 * MARGIN;
        // Each column wants its widest cell, up to a third of the page.
        let mut want = vec![0f32; n];
        for r in rows.iter().take(500) {
            for (i, cell) in r.iter().enumerate() {
                let w = self.font.width(cell, SIZE) + 2.0 * PAD;
                want[i] = want[i].max(w.min(avail / 3.0)).max(24.0);
            }
        }
        let total: f32 = want.iter().sum();
        let widths: Vec<f32> = if total > avail {
            want.iter().map(|w| w * avail / total).collect()
        } else {
            // The last column takes what is left.
            let mut w = want.clone();
            if let Some(last) = w.last_mut() {
                *last += avail - total;
            }
            w
        };
        let cells = |font: &Font, r: &Vec<String>| -> Vec<Vec<String>> {
            (0..n)
                .map(|i| {
                    font.wrap(
                        r.get(i).map_or("", String::as_str),
                        SIZE,
                        widths[i] - 2.0 * PAD,
                    )
                })
                .collect()
        };
        let head = cells(self.font, header);
        self.row(&head, &widths, true);
        for r in rows.iter().skip(1) {
            let c = cells(self.font, r);
            let h = row_height(&c);
            if self.y - h < MARGIN {
                self.new_page();
                self.row(&head, &widths, true);
            }
            self.row(&c, &widths, false);
        }
    }

    fn row(&mut self, cells: &[Vec<String>], widths: &[f32], header: bool) {
        let h = row_height(cells);
        self.room(h);
        let top = self.y;
        if header {
            self.page
                .set_fill_rgb(0.92, 0.93, 0.95)
                .rect(MARGIN, top - h, widths.iter().sum(), h)
                .fill_nonzero()
                .set_fill_rgb(0.0, 0.0, 0.0);
        }
        let mut x = MARGIN;
        for (lines, w) in cells.iter().zip(widths) {
            for (k, l) in lines.iter().enumerate() {
                let baseline = top - PAD - LEADING * (k as f32 + 1.0) + 3.0;
                self.text(x + PAD, baseline, SIZE, l);
            }
            x += w;
        }
        self.page
            .set_stroke_rgb(0.75, 0.77, 0.8)
            .set_line_width(0.5)
            .move_to(MARGIN, top - h)
            .line_to(MARGIN + widths.iter().sum::<f32>(), top - h)
            .stroke();
        self.y -= h;
    }
}

impl Writer<'_> {
    /// The parties' blocks to sign and seal, side by side, kept together
    /// on one page.
    fn signatures(&mut self, words: &SignatureWords, parties: &[Signatory]) {
        if parties.is_empty() {
            return;
        }
        self.room(HEADING_SIZE * 3.0 + SIGN_BLOCK_H);
        self.y -= HEADING_SIZE * 0.6;
        self.line(&words.heading, HEADING_SIZE);
        self.y -= 8.0;
        let gap = 24.0;
        let n = parties.len() as f32;
        let col = (PAGE_W - 2.0 * MARGIN - gap * (n - 1.0)) / n;
        let top = self.y;
        let size = 10.0;
        for (k, p) in parties.iter().enumerate() {
            let x = MARGIN + k as f32 * (col + gap);
            let mut y = top;
            // Role and name, wrapped to the column (at most three lines).
            let mut lines = self
                .font
                .wrap(&format!("{}：{}", p.role, p.name), size, col);
            lines.truncate(3);
            for l in &lines {
                y -= size * 1.5;
                self.text(x, y, size, l);
            }
            let name_end = top - size * 1.5 * 3.0;
            // The signature line after its label.
            let y = name_end - 22.0;
            self.text(x, y, size, &words.signature);
            let after = x + self.font.width(&words.signature, size) + 4.0;
            self.page
                .set_stroke_rgb(0.2, 0.2, 0.2)
                .set_line_width(0.6)
                .move_to(after, y - 2.0)
                .line_to(x + col, y - 2.0)
                .stroke();
            // The seal area: a dashed square, its label inside.
            let seal_top = y - 14.0;
            let seal_x = x + col - SEAL - 8.0;
            self.page
                .set_stroke_rgb(0.6, 0.6, 0.6)
                .set_line_width(0.6)
                .set_dash_pattern([3.0, 2.0], 0.0)
                .rect(seal_x, seal_top - SEAL, SEAL, SEAL)
                .stroke()
                .set_dash_pattern(std::iter::empty::<f32>(), 0.0);
            let label_w = self.font.width(&words.seal, SIZE);
            self.page.set_fill_rgb(0.45, 0.45, 0.45);
            self.text(
                seal_x + (SEAL - label_w) / 2.0,
                seal_top - SEAL / 2.0 - SIZE / 3.0,
                SIZE,
                &words.seal,
            );
            self.page.set_fill_rgb(0.0, 0.0, 0.0);
            // The date line under the seal.
            self.text(x, seal_top - SEAL - 20.0, size, &words.date);
        }
        self.y = top - SIGN_BLOCK_H;
    }
}

fn row_height(cells: &[Vec<String>]) -> f32 {
    let lines = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
    lines as f32 * LEADING + 2.0 * PAD
}

/// A party that signs and seals a document: its role (购买方) and name.
#[derive(Debug, Clone)]
pub struct Signatory {
    pub role: String,
    pub name: String,
}

/// The words of the signature blocks: their heading, the signature line's
/// label, the seal area's and the date line.
#[derive(Debug, Clone)]
pub struct SignatureWords {
    pub heading: String,
    pub signature: String,
    pub seal: String,
    pub date: String,
}

/// Height of one signature block, name to date.
const SIGN_BLOCK_H: f32 = 190.0;
const SEAL: f32 = 76.0;

/// A PDF of `title` and `sections` (a heading and its table rows; an
/// empty row list prints the heading only).
///
/// # Errors
/// The built-in font cannot be read or subset (never, short of a broken
/// build).
pub fn write_pdf_tables(
    title: &str,
    sections: &[(&str, &[Vec<String>])],
) -> Result<Vec<u8>, String> {
    write_pdf(title, sections, None)
}

/// [`write_pdf_tables`] ending with a block for each party to sign and
/// seal, side by side: role and name, a signature line, a seal area and
/// a date line.
///
/// # Errors
/// The built-in font cannot be read or subset (never, short of a broken
/// build).
pub fn write_pdf(
    title: &str,
    sections: &[(&str, &[Vec<String>])],
    signatures: Option<(&SignatureWords, &[Signatory])>,
) -> Result<Vec<u8>, String> {
    let font = Font::load()?;
    let mut w = Writer {
        font: &font,
        used: BTreeMap::new(),
        pages: Vec::new(),
        page: Content::new(),
        y: PAGE_H - MARGIN,
    };
    for l in font.wrap(title, TITLE_SIZE, PAGE_W - 2.0 * MARGIN) {
        w.line(&l, TITLE_SIZE);
    }
    for (heading, rows) in sections {
        w.room(HEADING_SIZE * 3.0);
        w.y -= HEADING_SIZE * 0.6;
        w.line(heading, HEADING_SIZE);
        w.y -= 4.0;
        w.table(rows);
    }
    if let Some((words, parties)) = signatures {
        w.signatures(words, parties);
    }
    let last = std::mem::replace(&mut w.page, Content::new());
    w.pages.push(last);
    // The page numbers' characters.
    for ch in "0123456789 /".chars() {
        w.used.entry(font.glyph(ch)).or_insert(ch);
    }
    w.used.entry(0).or_insert('\u{FFFD}');
    assemble(&font, title, &w.used, w.pages)
}

/// Footer with page numbers, the subset font, the document.
fn assemble(
    font: &Font,
    title: &str,
    used: &BTreeMap<u16, char>,
    pages: Vec<Content>,
) -> Result<Vec<u8>, String> {
    let mut pdf = Pdf::new();
    let mut next = 1;
    let mut id = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let (catalog, tree, info) = (id(), id(), id());
    let (type0, cid, descriptor, file, cmap, cid_map) = (id(), id(), id(), id(), id(), id());
    // The content streams name glyphs by their number in the whole font
    // (as CIDs); the subset numbers them afresh, and the CIDToGIDMap
    // stream maps one to the other.
    let gids: Vec<u16> = used.keys().copied().collect();
    let mapper = subsetter::GlyphRemapper::new_from_glyphs_sorted(&gids);
    let subset = subsetter::subset(FONT, 0, &mapper).map_err(|e| format!("subset: {e}"))?;
    let page_ids: Vec<Ref> = (0..pages.len()).map(|_| id()).collect();
    let content_ids: Vec<Ref> = (0..pages.len()).map(|_| id()).collect();
    pdf.catalog(catalog).pages(tree);
    pdf.document_info(info)
        .title(TextStr(title))
        .producer(TextStr("Doudi"));
    pdf.pages(tree)
        .kids(page_ids.iter().copied())
        .count(i32::try_from(pages.len()).unwrap_or(i32::MAX));
    let count = pages.len();
    for (i, mut content) in pages.into_iter().enumerate() {
        // Page numbers, in glyphs of digits and the slash.
        let label = format!("{} / {count}", i + 1);
        let mut bytes = Vec::new();
        for ch in label.chars() {
            bytes.extend_from_slice(&font.glyph(ch).to_be_bytes());
        }
        content
            .begin_text()
            .set_font(Name(b"F1"), 8.0)
            .next_line(PAGE_W - MARGIN - font.width(&label, 8.0), MARGIN / 2.0)
            .show(Str(&bytes))
            .end_text();
        let data = miniz_oxide::deflate::compress_to_vec_zlib(&content.finish(), 6);
        pdf.stream(content_ids[i], &data)
            .filter(Filter::FlateDecode);
        let mut page = pdf.page(page_ids[i]);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
            .parent(tree)
            .contents(content_ids[i]);
        page.resources().fonts().pair(Name(b"F1"), type0);
        page.finish();
    }
    let base = Name(b"DOUDIA+WenQuanYiMicroHei");
    let system = SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    };
    pdf.type0_font(type0)
        .base_font(base)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid)
        .to_unicode(cmap);
    let scale = 1000.0 / font.per_em;
    let mut c = pdf.cid_font(cid);
    c.subtype(CidFontType::Type2)
        .base_font(base)
        .system_info(system)
        .font_descriptor(descriptor)
        .default_width(0.0)
        .cid_to_gid_map_stream(cid_map);
    {
        let mut widths = c.widths();
        for &old in used.keys() {
            let adv = font
                .face
                .glyph_hor_advance(ttf_parser::GlyphId(old))
                .unwrap_or(0);
            widths.consecutive(old, [f32::from(adv) * scale]);
        }
    }
    c.finish();
    let bbox = font.face.global_bounding_box();
    pdf.font_descriptor(descriptor)
        .name(base)
        .flags(FontFlags::NON_SYMBOLIC)
        .bbox(Rect::new(
            f32::from(bbox.x_min) * scale,
            f32::from(bbox.y_min) * scale,
            f32::from(bbox.x_max) * scale,
            f32::from(bbox.y_max) * scale,
        ))
        .italic_angle(0.0)
        .ascent(f32::from(font.face.ascender()) * scale)
        .descent(f32::from(font.face.descender()) * scale)
        .cap_height(f32::from(font.face.capital_height().unwrap_or(700)) * scale)
        .stem_v(80.0)
        .font_file2(file);
    let packed = miniz_oxide::deflate::compress_to_vec_zlib(&subset, 6);
    pdf.stream(file, &packed).filter(Filter::FlateDecode);
    let mut map = UnicodeCmap::new(Name(b"Doudi-UTF16"), system);
    for (&old, &ch) in used {
        if old != 0 {
            map.pair(old, ch);
        }
    }
    pdf.cmap(cmap, &map.finish());
    let top = used.keys().next_back().copied().unwrap_or(0);
    let mut to_gid = Vec::with_capacity(2 * (usize::from(top) + 1));
    for old in 0..=top {
        to_gid.extend_from_slice(&mapper.get(old).unwrap_or(0).to_be_bytes());
    }
    let packed = miniz_oxide::deflate::compress_to_vec_zlib(&to_gid, 6);
    pdf.stream(cid_map, &packed).filter(Filter::FlateDecode);
    Ok(pdf.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_tables_become_a_pdf_with_the_text_mapped_back() {
        let rows = vec![
            vec!["字段".to_string(), "值".to_string()],
            vec!["合同编号".to_string(), "BZ-ZK-2027-001".to_string()],
            vec!["备注".to_string(), "台账齐全，抽查回访无异议。".repeat(12)],
        ];
        let visits: Vec<Vec<String>> = std::iter::once(vec!["时间".into(), "服务对象".into()])
            .chain(
                (0..200).map(|i| vec![format!("2027-01-{:02} 09:00", i % 28 + 1), "单**".into()]),
            )
            .collect();
        let pdf = write_pdf_tables("履约验收单", &[("验收结果", &rows), ("服务记录", &visits)])
            .expect("pdf");
        assert!(pdf.starts_with(b"%PDF-"));
        if let Ok(out) = std::env::var("DOUDI_PDF_OUT") {
            std::fs::write(out, &pdf).expect("write");
        }
        let text = String::from_utf8_lossy(&pdf);
        // Several pages, one subset font embedded with its Unicode map.
        assert!(text.matches("/Type /Page\n").count() + text.matches("/Type /Page ").count() >= 1);
        assert!(text.contains("/FontFile2"));
        assert!(text.contains("/ToUnicode"));
        // A subset, not the 4.6 MB font.
        assert!(pdf.len() < 400_000, "{} bytes", pdf.len());
    }

    #[test]
    fn a_pack_of_many_visits_runs_to_many_pages() {
        let visits: Vec<Vec<String>> =
            std::iter::once(vec!["时间".into(), "服务对象".into(), "状态".into()])
                .chain((0..5000).map(|i| {
                    vec![
                        format!("2027-01-{:02} 09:00", i % 28 + 1),
                        "单**".into(),
                        "已完成".into(),
                    ]
                }))
                .collect();
        let pdf = write_pdf_tables("履约验收单", &[("服务记录", &visits)]).expect("pdf");
        let text = String::from_utf8_lossy(&pdf);
        let pages: usize = text
            .split("/Count ")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse().ok())
            .expect("a page count");
        // About 40 rows a page, the header repeated on each.
        assert!((80..=160).contains(&pages), "{pages} pages");
    }

    #[test]
    fn signature_blocks_end_the_document_with_every_party() {
        let rows = vec![
            vec!["字段".to_string(), "值".to_string()],
            vec!["合同编号".to_string(), "BZ-ZK-2027-001".to_string()],
        ];
        let words = SignatureWords {
            heading: "签字盖章".into(),
            signature: "负责人签字：".into(),
            seal: "（盖章）".into(),
            date: "日期：　　　　年　　月　　日".into(),
        };
        let parties = [
            Signatory {
                role: "购买方".into(),
                name: "曾口镇人民政府（民政办）".into(),
            },
            Signatory {
                role: "承接方".into(),
                name: "巴中市巴州区阳光社会工作服务中心".into(),
            },
        ];
        let pdf = write_pdf(
            "履约验收单",
            &[("验收结果", &rows)],
            Some((&words, &parties)),
        )
        .expect("pdf");
        let plain = write_pdf_tables("履约验收单", &[("验收结果", &rows)]).expect("pdf");
        assert!(pdf.len() > plain.len());
        // Every character of the blocks was set (the ToUnicode map names
        // each glyph used once): the seal's characters are among them.
        let font = Font::load().expect("font");
        for ch in "签字盖章承接方购买方日期".chars() {
            assert_ne!(font.glyph(ch), 0, "{ch}");
        }
        // A block that does not fit at the foot of a page starts a new one.
        let long: Vec<Vec<String>> = std::iter::once(vec!["时间".into()])
            .chain((0..60).map(|i| vec![format!("第{i}行")]))
            .collect();
        let two = write_pdf(
            "履约验收单",
            &[("服务记录", &long)],
            Some((&words, &parties)),
        )
        .expect("pdf");
        let text = String::from_utf8_lossy(&two);
        assert!(text.contains("/Count 2") || text.contains("/Count 3"));
    }

    #[test]
    fn long_text_wraps_inside_its_column() {
        let font = Font::load().expect("font");
        let lines = font.wrap("台账齐全，抽查回访无异议。", 9.0, 40.0);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| font.width(l, 9.0) <= 40.0));
        assert_eq!(lines.concat(), "台账齐全，抽查回访无异议。");
        assert_eq!(font.wrap("", 9.0, 40.0), vec![String::new()]);
    }
}
