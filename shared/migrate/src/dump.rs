//! Reading a `mongodump` database directory: `<collection>.bson` (or
//! `.bson.gz`) is a plain sequence of BSON documents, each starting with
//! its own little-endian length. Documents are read one at a time, so
//! memory stays flat whatever the size of the dump.

use std::fs::File;
use std::io::{BufReader, ErrorKind, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
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
    /// Bytes read so far (where the next document starts, in the
    /// uncompressed file).
    pub offset: u64,
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
        Ok(Self::from_reader(reader))
    }

    /// The documents of an uncompressed collection file already open.
    pub fn from_file(file: File) -> Self {
        Self::from_reader(Box::new(BufReader::with_capacity(1 << 20, file)))
    }

    fn from_reader(reader: Box<dyn Read>) -> Self {
        Self {
            reader,
            done: false,
            position: 0,
            offset: 0,
        }
    }
}

/// The collection file of `name` under `dir` uncompressed, for reading
/// documents at their offsets ([`document_at`]): the file itself, or a
/// `.bson.gz` decompressed into an anonymous temporary file (gone with
/// the process); `None` when the dump has no such collection.
pub fn uncompressed(dir: &Path, name: &str) -> std::io::Result<Option<File>> {
    let Some(path) = collection_file(dir, name) else {
        return Ok(None);
    };
    let file = File::open(&path)?;
    if path.extension().is_none_or(|e| e != "gz") {
        return Ok(Some(file));
    }
    let mut plain = std::io::BufWriter::with_capacity(1 << 20, tempfile::tempfile()?);
    std::io::copy(
        &mut GzDecoder::new(BufReader::with_capacity(1 << 20, file)),
        &mut plain,
    )?;
    let mut plain = plain.into_inner().map_err(|e| e.into_error())?;
    plain.seek(SeekFrom::Start(0))?;
    Ok(Some(plain))
}

/// The document that starts at byte `offset` of an uncompressed
/// collection file (one [`Documents`] read whole before).
pub fn document_at(file: &File, offset: u64) -> std::io::Result<Document> {
    let mut length = [0u8; 4];
    file.read_exact_at(&mut length, offset)?;
    let declared = usize::try_from(i32::from_le_bytes(length))
        .ok()
        .filter(|n| (5..=MAX_DOCUMENT_BYTES).contains(n))
        .ok_or_else(|| std::io::Error::other(format!("no document at byte {offset}")))?;
    let mut bytes = vec![0u8; declared];
    file.read_exact_at(&mut bytes, offset)?;
    Document::from_reader(bytes.as_slice()).map_err(std::io::Error::other)
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
        let start = self.offset;
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
            Ok(n) if n == declared - 4 => self.offset = start + declared as u64,
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
