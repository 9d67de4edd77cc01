//! Reading an XLSX upload without trusting it: the zip's central directory
//! is checked (entry count, declared sizes, compression ratio) before a
//! byte is inflated, every entry is then inflated into nothing to prove its
//! declared size true, and only then is the first sheet read cell by cell
//! (never as a dense range, whose size a single far-away cell decides).

use std::borrow::Cow;
use std::io::{Cursor, Read};

use calamine::{Data, DataRef, Reader, Xlsx, XlsxError, open_workbook_from_rs};
use zip::ZipArchive;

use crate::import_file::{ImportFileError, ImportRow, RowCollector};

/// Most entries in the archive (a workbook has a dozen or so).
pub const MAX_ARCHIVE_ENTRIES: usize = 200;
/// Most bytes the archive's entries may inflate to, all together.
pub const MAX_ARCHIVE_BYTES: u64 = 100 * 1024 * 1024;
/// Highest inflated/compressed ratio of an entry larger than
/// [`RATIO_CHECK_FROM`] (sheet XML compresses about 10 to 30 times).
pub const MAX_COMPRESSION_RATIO: u64 = 200;
/// Entries smaller than this are too small for their ratio to matter.
pub const RATIO_CHECK_FROM: u64 = 1024 * 1024;

/// Reads the first sheet of a workbook into rows.
pub fn read_xlsx(bytes: &[u8]) -> Result<Vec<ImportRow>, ImportFileError> {
    check_archive(bytes)?;
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e: XlsxError| ImportFileError::Unreadable(e.to_string()))?;
    let Some(sheet) = workbook.sheet_names().first().cloned() else {
        return Err(ImportFileError::NoEmailColumn);
    };
    let mut cells = workbook
        .worksheet_cells_reader(&sheet)
        .map_err(|e| ImportFileError::Unreadable(e.to_string()))?;
    let mut rows = RowCollector::default();
    while let Some(cell) = cells
        .next_cell()
        .map_err(|e| ImportFileError::Unreadable(e.to_string()))?
    {
        let (row, column) = cell.get_position();
        let text = cell_text(cell.get_value());
        rows.cell(row as usize + 1, column as usize, &text)?;
    }
    rows.finish()
}

/// A cell's text; shared strings are borrowed, so an over-long one is
/// refused before it is copied.
fn cell_text<'a>(value: &'a DataRef<'a>) -> Cow<'a, str> {
    match value {
        DataRef::SharedString(s) => Cow::Borrowed(s),
        DataRef::String(s) => Cow::Borrowed(s.as_str()),
        DataRef::Empty => Cow::Borrowed(""),
        other => Cow::Owned(Data::from(other.clone()).to_string()),
    }
}

/// Refuses an archive whose central directory promises too much, then
/// inflates each entry (up to its declared size and one byte more) into
/// nothing, so a directory that lies about sizes is caught before any
/// entry is inflated into memory.
pub fn check_archive(bytes: &[u8]) -> Result<(), ImportFileError> {
    let mut archive = ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| ImportFileError::Unreadable(e.to_string()))?;
    if archive.len() > MAX_ARCHIVE_ENTRIES {
        return Err(ImportFileError::TooManyEntries);
    }
    let mut total = 0u64;
    let mut declared = Vec::with_capacity(archive.len());
    for index in 0..archive.len() {
        let entry = archive
            .by_index_raw(index)
            .map_err(|e| ImportFileError::Unreadable(e.to_string()))?;
        let size = entry.size();
        total = total.saturating_add(size);
        if total > MAX_ARCHIVE_BYTES {
            return Err(ImportFileError::ArchiveTooLarge);
        }
        if size > RATIO_CHECK_FROM && size / entry.compressed_size().max(1) > MAX_COMPRESSION_RATIO
        {
            return Err(ImportFileError::SuspiciousCompression);
        }
        declared.push(size);
    }
    for (index, size) in declared.into_iter().enumerate() {
        let entry = archive
            .by_index(index)
            .map_err(|e| ImportFileError::Unreadable(e.to_string()))?;
        let inflated = std::io::copy(&mut entry.take(size + 1), &mut std::io::sink())
            .map_err(|e| ImportFileError::Unreadable(e.to_string()))?;
        if inflated != size {
            return Err(ImportFileError::Unreadable(
                "an entry's size differs from what the archive declares".into(),
            ));
        }
    }
    Ok(())
}

/// The parts around the sheet of the smallest workbook a reader accepts
/// (content types, relationships, one sheet named `Leads`), for building
/// test workbooks, hostile ones included.
pub const MINIMAL_WORKBOOK_PARTS: [(&str, &str); 4] = [
    (
        "[Content_Types].xml",
        r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
    ),
    (
        "_rels/.rels",
        r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
    ),
    (
        "xl/workbook.xml",
        r#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Leads" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
    ),
    (
        "xl/_rels/workbook.xml.rels",
        r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import_file::{MAX_COLUMNS, MAX_ROWS, read_upload};
    use std::io::Write;
    use zip::write::SimpleFileOptions;

    /// A minimal workbook whose first sheet holds `cells` (reference, text).
    pub fn workbook(cells: &[(&str, &str)]) -> Vec<u8> {
        let mut sheet = String::from(
            r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
        );
        for (reference, text) in cells {
            let row: String = reference.chars().filter(char::is_ascii_digit).collect();
            sheet.push_str(&format!(
                r#"<row r="{row}"><c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c></row>"#
            ));
        }
        sheet.push_str("</sheetData></worksheet>");
        archive(&[("xl/worksheets/sheet1.xml", sheet.as_bytes())])
    }

    fn archive(extra: &[(&str, &[u8])]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let parts = MINIMAL_WORKBOOK_PARTS;
        let options = SimpleFileOptions::default();
        for (name, text) in parts {
            zip.start_file(name, options).unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        }
        for (name, bytes) in extra {
            zip.start_file(*name, options).unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn a_small_sheet_reads_into_rows_by_sheet_row_number() {
        let book = workbook(&[
            ("A1", "Email"),
            ("B1", "Company"),
            ("A2", "ann@acme.example"),
            ("B2", "Acme"),
            ("A4", "bob@bolt.example"),
        ]);
        let rows = read_upload("leads.xlsx", &book).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].row, 2);
        assert_eq!(rows[0].values["company"], "Acme");
        assert_eq!(rows[1].row, 4);
    }

    #[test]
    fn a_far_away_cell_is_refused_without_building_a_range() {
        let book = workbook(&[("A1", "email"), ("XFD1048576", "x")]);
        assert!(book.len() < 4096);
        assert_eq!(
            read_upload("bomb.xlsx", &book),
            Err(ImportFileError::TooManyColumns)
        );
        let tall = workbook(&[("A1", "email"), ("A1048576", "a@x.io")]);
        assert_eq!(
            read_upload("tall.xlsx", &tall),
            Err(ImportFileError::TooManyRows)
        );
        let last_row = format!("A{}", MAX_ROWS + 1);
        let edge = workbook(&[("A1", "email"), (&last_row, "a@x.io")]);
        assert_eq!(
            read_upload("edge.xlsx", &edge).unwrap()[0].row,
            MAX_ROWS + 1
        );
        let wide = workbook(&[("A1", "email"), ("GS1", "x")]);
        assert_eq!(MAX_COLUMNS, 200, "GS is column 201");
        assert_eq!(
            read_upload("wide.xlsx", &wide),
            Err(ImportFileError::TooManyColumns)
        );
    }

    #[test]
    fn archives_promising_too_much_are_refused_before_inflating() {
        let zeros = vec![0u8; (MAX_ARCHIVE_BYTES + 1) as usize];
        let bomb = archive(&[("xl/padding.bin", &zeros)]);
        assert!(bomb.len() < 1024 * 1024, "a {} byte bomb", bomb.len());
        assert_eq!(check_archive(&bomb), Err(ImportFileError::ArchiveTooLarge));

        let dense = vec![b'a'; 4 * 1024 * 1024];
        let ratio = archive(&[("xl/dense.bin", &dense)]);
        assert_eq!(
            check_archive(&ratio),
            Err(ImportFileError::SuspiciousCompression)
        );

        let names: Vec<String> = (0..=MAX_ARCHIVE_ENTRIES)
            .map(|i| format!("x/{i}"))
            .collect();
        let many: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b""[..])).collect();
        assert_eq!(
            check_archive(&archive(&many)),
            Err(ImportFileError::TooManyEntries)
        );
    }

    #[test]
    fn an_archive_lying_about_an_entry_size_is_caught() {
        let body = vec![b'q'; 64 * 1024];
        let mut bytes = archive(&[("xl/lie.bin", &body)]);
        // Declare 100 bytes where 64 KiB inflate, in the central directory
        // record of that entry (its uncompressed size is 24 bytes in).
        let name = b"xl/lie.bin";
        let record = bytes
            .windows(4)
            .enumerate()
            .filter(|(_, w)| *w == b"PK\x01\x02")
            .map(|(i, _)| i)
            .find(|i| bytes[i + 46..].starts_with(name))
            .expect("the central directory record");
        bytes[record + 24..record + 28].copy_from_slice(&100u32.to_le_bytes());
        let answer = check_archive(&bytes);
        assert!(
            matches!(&answer, Err(ImportFileError::Unreadable(m)) if m.contains("declare")),
            "{answer:?}"
        );
    }
}
