//! Helpers of the import-hardening scenarios: uploading a file as a
//! multipart form, and building workbooks from code (a hostile one is a
//! few hundred bytes of XML in a zip).

use std::io::{Cursor, Write};

use reqwest::{Client, Response, multipart};
use zip::write::SimpleFileOptions;

use crate::TestApp;

/// Posts `bytes` as the import file `name`, for `partner` when given.
pub async fn upload(
    app: &TestApp,
    client: &Client,
    partner: Option<&str>,
    name: &str,
    bytes: Vec<u8>,
) -> Response {
    let mut form = multipart::Form::new().part(
        "file",
        multipart::Part::bytes(bytes).file_name(name.to_owned()),
    );
    if let Some(pid) = partner {
        form = form.text("partnerId", pid.to_owned());
    }
    client
        .post(app.url("/v1/leads/import"))
        .multipart(form)
        .send()
        .await
        .expect("the server answers")
}

/// A workbook whose first sheet holds `cells` (reference like `B7`, text),
/// plus any `extra` entries in its zip.
pub fn workbook(cells: &[(&str, &str)], extra: &[(&str, &[u8])]) -> Vec<u8> {
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
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default();
    let sheet_part = [("xl/worksheets/sheet1.xml", sheet.as_bytes())];
    let parts = pc_leads::import_xlsx::MINIMAL_WORKBOOK_PARTS
        .iter()
        .map(|(n, t)| (*n, t.as_bytes()));
    for (name, bytes) in parts.chain(sheet_part).chain(extra.iter().copied()) {
        zip.start_file(name, options).expect("a zip entry starts");
        zip.write_all(bytes).expect("a zip entry is written");
    }
    zip.finish().expect("the zip closes").into_inner()
}
