//! Reading an uploaded lead file (CSV or XLSX) into rows keyed by lead
//! field, before anything is written. A file is refused whole when it is
//! not CSV/XLSX, has no email column, or breaks one of the caps below; the
//! caps bound the memory a file can make the reader use, whatever it holds.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Largest accepted file.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// Most data rows in one file (rows after the header, blank ones included).
pub const MAX_ROWS: usize = 50_000;
/// Most columns a row may reach.
pub const MAX_COLUMNS: usize = 200;
/// Longest cell, in characters (a lead field holds at most 300).
pub const MAX_CELL_CHARS: usize = 1_000;
/// Most text the recognised columns may hold all together: a workbook can
/// repeat one shared string in every cell, so its size on disk bounds
/// nothing.
pub const MAX_TEXT_BYTES: usize = 32 * 1024 * 1024;

/// One data row: its number in the file (the header is row 1) and its
/// values by lead field name (`email`, `firstName`...), empty cells left out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRow {
    pub row: usize,
    pub values: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImportFileError {
    #[error("the file is not CSV or XLSX")]
    NotSupported,
    #[error("the file has no email column")]
    NoEmailColumn,
    #[error("the file holds more than {MAX_ROWS} rows")]
    TooManyRows,
    #[error("the file has cells beyond column {MAX_COLUMNS}")]
    TooManyColumns,
    #[error("row {row}, column {column}: a cell holds more than {MAX_CELL_CHARS} characters")]
    CellTooLong { row: usize, column: usize },
    #[error("the file's cells hold more than 32 MB of text")]
    TooMuchText,
    #[error("the file is larger than 10 MB")]
    TooLarge,
    #[error("the workbook inflates to more than 100 MB")]
    ArchiveTooLarge,
    #[error(
        "the workbook holds more than {} entries",
        crate::import_xlsx::MAX_ARCHIVE_ENTRIES
    )]
    TooManyEntries,
    #[error(
        "the workbook compresses more than {} to 1",
        crate::import_xlsx::MAX_COMPRESSION_RATIO
    )]
    SuspiciousCompression,
    #[error("the file could not be read: {0}")]
    Unreadable(String),
}

impl ImportFileError {
    /// The cap the file broke, if that is why it was refused.
    pub fn cap(&self) -> Option<&'static str> {
        Some(match self {
            Self::TooManyRows => "maxRows",
            Self::TooManyColumns => "maxColumns",
            Self::CellTooLong { .. } => "maxCellCharacters",
            Self::TooMuchText => "maxTextBytes",
            Self::TooLarge => "maxFileBytes",
            Self::ArchiveTooLarge => "maxInflatedBytes",
            Self::TooManyEntries => "maxArchiveEntries",
            Self::SuspiciousCompression => "maxCompressionRatio",
            Self::NotSupported | Self::NoEmailColumn | Self::Unreadable(_) => return None,
        })
    }
}

/// The lead field a header names, matched case-insensitively and ignoring
/// spaces, dashes and underscores (`First Name`, `first_name`, `firstName`).
pub fn field_of_header(header: &str) -> Option<&'static str> {
    let key: String = header
        .trim()
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_'))
        .flat_map(char::to_lowercase)
        .collect();
    Some(match key.as_str() {
        "email" | "emailaddress" | "e-mail" => "email",
        "firstname" | "first" | "givenname" => "firstName",
        "lastname" | "last" | "surname" | "familyname" => "lastName",
        "company" | "companyname" | "organization" | "organisation" => "company",
        "phone" | "phonenumber" | "telephone" | "mobile" => "phone",
        "title" | "jobtitle" => "title",
        "website" | "url" | "companywebsite" => "website",
        "country" => "country",
        "industry" => "industry",
        "companysize" | "employees" | "size" => "companySize",
        "salesmanager" => "salesManager",
        "dealamount" | "amount" => "dealAmount",
        _ => return None,
    })
}

/// Whether the upload looks like XLSX (a zip archive) rather than text.
fn is_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// Reads the upload into rows. `file_name` decides between the formats
/// only together with the content: an `.xlsx` must be a zip, a CSV must be
/// text.
pub fn read_upload(file_name: &str, bytes: &[u8]) -> Result<Vec<ImportRow>, ImportFileError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(ImportFileError::TooLarge);
    }
    let name = file_name.to_lowercase();
    if is_xlsx(bytes) && !name.ends_with(".csv") {
        crate::import_xlsx::read_xlsx(bytes)
    } else if !name.ends_with(".xlsx") && !name.ends_with(".xls") && looks_like_text(bytes) {
        read_csv(bytes)
    } else {
        Err(ImportFileError::NotSupported)
    }
}

fn looks_like_text(bytes: &[u8]) -> bool {
    !bytes.is_empty() && !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok()
}

fn read_csv(bytes: &[u8]) -> Result<Vec<ImportRow>, ImportFileError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let mut rows = RowCollector::default();
    let mut record = csv::StringRecord::new();
    let mut line = 0;
    while reader
        .read_record(&mut record)
        .map_err(|e| ImportFileError::Unreadable(e.to_string()))?
    {
        line += 1;
        for (column, cell) in record.iter().enumerate() {
            rows.cell(line, column, cell)?;
        }
    }
    rows.finish()
}

/// Gathers rows from cells streamed in file order (row by row, left to
/// right), keeping only the recognised columns and refusing the file at
/// the first cell that breaks a cap. The header is the first row with a
/// non-empty cell.
#[derive(Default)]
pub(crate) struct RowCollector {
    header_row: Option<usize>,
    fields: Vec<Option<&'static str>>,
    current: Option<ImportRow>,
    rows: Vec<ImportRow>,
    text_bytes: usize,
}

impl RowCollector {
    /// One cell: `row` counts from 1, `column` from 0.
    pub(crate) fn cell(
        &mut self,
        row: usize,
        column: usize,
        text: &str,
    ) -> Result<(), ImportFileError> {
        if column >= MAX_COLUMNS {
            return Err(ImportFileError::TooManyColumns);
        }
        if text.len() > MAX_CELL_CHARS && text.chars().count() > MAX_CELL_CHARS {
            return Err(ImportFileError::CellTooLong {
                row,
                column: column + 1,
            });
        }
        let text = text.trim();
        if text.is_empty() {
            return Ok(());
        }
        let header_row = *self.header_row.get_or_insert(row);
        if row < header_row || self.current.as_ref().is_some_and(|c| row < c.row) {
            return Err(ImportFileError::Unreadable(
                "the sheet's rows are out of order".into(),
            ));
        }
        if row == header_row {
            if self.fields.len() <= column {
                self.fields.resize(column + 1, None);
            }
            self.fields[column] = field_of_header(text);
            return Ok(());
        }
        if row - header_row > MAX_ROWS {
            return Err(ImportFileError::TooManyRows);
        }
        if !self.fields.contains(&Some("email")) {
            return Err(ImportFileError::NoEmailColumn);
        }
        let Some(Some(field)) = self.fields.get(column).copied() else {
            return Ok(());
        };
        self.text_bytes += text.len();
        if self.text_bytes > MAX_TEXT_BYTES {
            return Err(ImportFileError::TooMuchText);
        }
        if self.current.as_ref().is_none_or(|c| c.row != row) {
            self.rows.extend(self.current.take());
            self.current = Some(ImportRow {
                row,
                values: BTreeMap::new(),
            });
        }
        if let Some(current) = &mut self.current {
            current
                .values
                .entry(field.to_owned())
                .or_insert_with(|| text.to_owned());
        }
        Ok(())
    }

    /// The rows gathered, once the last cell is in.
    pub(crate) fn finish(mut self) -> Result<Vec<ImportRow>, ImportFileError> {
        if !self.fields.contains(&Some("email")) {
            return Err(ImportFileError::NoEmailColumn);
        }
        self.rows.extend(self.current.take());
        Ok(self.rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_headers_match_loosely_and_blank_rows_are_skipped() {
        let csv = "Email,First Name,last_name,Company,Ignored\n a@x.io ,Ann,Lee,Acme,zzz\n,,,,\nb@x.io,,,,\n";
        let rows = read_upload("leads.csv", csv.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].row, 2);
        assert_eq!(rows[0].values["email"], "a@x.io");
        assert_eq!(rows[0].values["firstName"], "Ann");
        assert_eq!(rows[0].values["lastName"], "Lee");
        assert!(!rows[0].values.contains_key("Ignored"));
        assert_eq!(rows[1].row, 4);
    }

    #[test]
    fn refuses_files_without_email_or_of_other_kinds() {
        assert_eq!(
            read_upload("x.csv", b"name,company\nAnn,Acme\n"),
            Err(ImportFileError::NoEmailColumn)
        );
        assert_eq!(
            read_upload("x.pdf", b"%PDF-1.4\n\x00\x01binary"),
            Err(ImportFileError::NotSupported)
        );
        assert_eq!(
            read_upload("x.xlsx", b"email\na@x.io\n"),
            Err(ImportFileError::NotSupported)
        );
        let many = format!("email\n{}", "a@x.io\n".repeat(MAX_ROWS + 1));
        assert_eq!(
            read_upload("x.csv", many.as_bytes()),
            Err(ImportFileError::TooManyRows)
        );
    }

    #[test]
    fn csv_columns_and_cells_are_capped() {
        let wide = format!("email{}\na@x.io\n", ",x".repeat(MAX_COLUMNS));
        assert_eq!(
            read_upload("x.csv", wide.as_bytes()),
            Err(ImportFileError::TooManyColumns)
        );
        let edge = format!("email{}\na@x.io\n", ",x".repeat(MAX_COLUMNS - 1));
        assert_eq!(read_upload("x.csv", edge.as_bytes()).unwrap().len(), 1);

        let long = format!("email,company\na@x.io,{}\n", "é".repeat(MAX_CELL_CHARS + 1));
        assert_eq!(
            read_upload("x.csv", long.as_bytes()),
            Err(ImportFileError::CellTooLong { row: 2, column: 2 })
        );
        let fits = format!("email,company\na@x.io,{}\n", "é".repeat(MAX_CELL_CHARS));
        assert_eq!(read_upload("x.csv", fits.as_bytes()).unwrap().len(), 1);
        assert_eq!(
            ImportFileError::CellTooLong { row: 2, column: 2 }.cap(),
            Some("maxCellCharacters")
        );
    }

    #[test]
    fn text_of_recognised_columns_is_capped_in_total() {
        let mut rows = RowCollector::default();
        rows.cell(1, 0, "email").unwrap();
        let cell = "a".repeat(MAX_CELL_CHARS);
        let fill = MAX_TEXT_BYTES / MAX_CELL_CHARS;
        for row in 0..fill {
            rows.cell(row + 2, 0, &cell).unwrap();
            // Columns without a recognised header cost nothing.
            rows.cell(row + 2, 1, &cell).unwrap();
        }
        assert_eq!(
            rows.cell(fill + 2, 0, &cell),
            Err(ImportFileError::TooMuchText)
        );
    }
}
