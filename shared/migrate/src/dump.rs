//! Reading a `mongodump` database directory: `<collection>.bson` (or
//! `.bson.gz`) is a plain sequence of BSON documents, each starting with
//! its own little-endian length. Documents are read one at a time, so
//! memory stays flat whatever the size of the dump.

use std::fs::File;
use std::io::{BufReader, ErrorKind, Read};
use std::path::{Path, PathBuf};

use bson::Document;
use flate2::read::GzDecoder;

/// Largest document MongoDB stores (16 MiB), with room for its framing.
const MAX_DOCUMENT_BYTES: usize = 16 * 1024 * 1024 + 16 * 1024;

/// What reading one position of a collection file gave.
pub enum Entry {
    Document(Document),
    /// The bytes at this position are not a document (the reader stops:
    /// without a valid length nothing after it can be found).
    Broken(String),
}

/// The collection file of `name` under `dir`, `.bson` or `.bson.gz`.
pub fn collection_file(dir: &Path, name: &str) -> Option<PathBuf> {
    [format!("{name}.bson"), format!("{name}.bson.gz")]
        .into_iter()
        .map(|file| dir.join(file))
        .find(|path| path.is_file())
}

/// The documents of one collection file, in dump order.
pub struct Documents {
    reader: Box<dyn Read>,
    done: bool,
    /// Documents read so far (the position of the next one).
    pub position: u64,
}

impl Documents {
    /// Opens the file of `name` under `dir`; an absent collection has no
    /// documents.
    pub fn open(dir: &Path, name: &str) -> std::io::Result<Self> {
        let reader: Box<dyn Read> = match collection_file(dir, name) {
            None => Box::new(std::io::empty()),
            Some(path) => {
                let file = BufReader::with_capacity(1 << 20, File::open(&path)?);
                if path.extension().is_some_and(|e| e == "gz") {
                    Box::new(BufReader::new(GzDecoder::new(file)))
                } else {
                    Box::new(file)
                }
            }
        };
        Ok(Self {
            reader,
            done: false,
            position: 0,
        })
    }
}

/// Reads until `buf` is full or the input ends; answers how much was read.
fn read_full(reader: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

impl Iterator for Documents {
    /// The document's position in the file (from 0) and what was there.
    type Item = (u64, Entry);

    fn next(&mut self) -> Option<(u64, Entry)> {
        let position = self.position;
        self.read_next().map(|entry| (position, entry))
    }
}

impl Documents {
    fn read_next(&mut self) -> Option<Entry> {
        if self.done {
            return None;
        }
        let position = self.position;
        self.position += 1;
        let mut stop = |reason: String| {
            self.done = true;
            Some(Entry::Broken(format!("document {position}: {reason}")))
        };
        let mut length = [0u8; 4];
        match read_full(&mut self.reader, &mut length) {
            Ok(0) => {
                self.done = true;
                return None;
            }
            Ok(4) => {}
            Ok(n) => return stop(format!("truncated: {n} of the 4 length bytes")),
            Err(e) => return stop(format!("unreadable: {e}")),
        }
        let declared = i32::from_le_bytes(length);
        let Ok(declared) = usize::try_from(declared) else {
            return stop(format!("invalid length {declared}"));
        };
        if !(5..=MAX_DOCUMENT_BYTES).contains(&declared) {
            return stop(format!("invalid length {declared}"));
        }
        let mut bytes = vec![0u8; declared];
        bytes[..4].copy_from_slice(&length);
        match read_full(&mut self.reader, &mut bytes[4..]) {
            Ok(n) if n == declared - 4 => {}
            Ok(n) => {
                return stop(format!(
                    "truncated: {} of its {declared} bytes (the dump ends inside it)",
                    n + 4
                ));
            }
            Err(e) => return stop(format!("unreadable: {e}")),
        }
        match Document::from_reader(bytes.as_slice()) {
            Ok(document) => Some(Entry::Document(document)),
            // The length framed it, so the next document is still found.
            Err(e) => Some(Entry::Broken(format!("document {position}: not BSON: {e}"))),
        }
    }
}
