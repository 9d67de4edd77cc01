//! Reading an uploaded lead file (CSV or XLSX) into rows keyed by lead
//! field, before anything is written: a file that is not CSV/XLSX, has no
//! email column or holds too many rows is refused whole.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Reader, Xlsx, open_workbook_from_rs};
use serde::{Deserialize, Serialize};

/// Largest accepted file.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// Most data rows in one file.
pub const MAX_ROWS: usize = 50_000;

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
    #[error("the file is larger than 10 MB")]
    TooLarge,
    #[error("the file could not be read: {0}")]
    Unreadable(String),
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
    let table = if is_xlsx(bytes) && !name.ends_with(".csv") {
        read_xlsx(bytes)?
    } else if !name.ends_with(".xlsx") && !name.ends_with(".xls") && looks_like_text(bytes) {
        read_csv(bytes)?
    } else {
        return Err(ImportFileError::NotSupported);
    };
    rows_of(table)
}

fn looks_like_text(bytes: &[u8]) -> bool {
    !bytes.is_empty() && !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok()
}

fn read_csv(bytes: &[u8]) -> Result<Vec<Vec<String>>, ImportFileError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let mut table = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| ImportFileError::Unreadable(e.to_string()))?;
        table.push(record.iter().map(str::to_owned).collect());
        if table.len() > MAX_ROWS + 1 {
            return Err(ImportFileError::TooManyRows);
        }
    }
    Ok(table)
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<Vec<String>>, ImportFileError> {
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec()))
        .map_err(|e: calamine::XlsxError| ImportFileError::Unreadable(e.to_string()))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or(ImportFileError::NoEmailColumn)?
        .map_err(|e| ImportFileError::Unreadable(e.to_string()))?;
    if range.height() > MAX_ROWS + 1 {
        return Err(ImportFileError::TooManyRows);
    }
    Ok(range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string().trim().to_owned()).collect())
        .collect())
}

fn rows_of(table: Vec<Vec<String>>) -> Result<Vec<ImportRow>, ImportFileError> {
    let mut lines = table.into_iter().enumerate();
    let Some((_, header)) = lines.next() else {
        return Err(ImportFileError::NoEmailColumn);
    };
    let fields: Vec<Option<&'static str>> = header.iter().map(|h| field_of_header(h)).collect();
    if !fields.contains(&Some("email")) {
        return Err(ImportFileError::NoEmailColumn);
    }
    let mut rows = Vec::new();
    for (index, cells) in lines {
        let mut values = BTreeMap::new();
        for (cell, field) in cells.into_iter().zip(&fields) {
            if let (Some(field), false) = (field, cell.is_empty()) {
                values.entry((*field).to_owned()).or_insert(cell);
            }
        }
        if values.is_empty() {
            continue;
        }
        rows.push(ImportRow {
            row: index + 1,
            values,
        });
    }
    if rows.len() > MAX_ROWS {
        return Err(ImportFileError::TooManyRows);
    }
    Ok(rows)
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
}
