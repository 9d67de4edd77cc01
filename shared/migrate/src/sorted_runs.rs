//! An external sort of `(key, payload)` byte pairs: pairs are gathered in
//! memory up to a byte budget, each full buffer is sorted and spilled to
//! an anonymous temporary file (a run), and the runs are merged at the
//! end. Memory stays at the budget plus a read buffer per run, whatever
//! the number of pairs; the run files vanish with the process, killed or
//! not (they are unlinked from the start). Not the `extsort` crate: it
//! bounds a run by its number of items, and a search entry's payload
//! (its lead's words and view) varies too much in size for a count to
//! bound the memory.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufReader, BufWriter, ErrorKind, Read, Seek, SeekFrom, Write};

/// One pair: the key it is sorted by and what it carries.
pub type Pair = (Vec<u8>, Vec<u8>);

/// Bytes of a run file read at a time during the merge.
const READ_BUFFER: usize = 64 * 1024;

pub struct SortedRuns {
    buffer: Vec<Pair>,
    buffered_bytes: usize,
    budget_bytes: usize,
    runs: Vec<File>,
}

impl SortedRuns {
    /// Spills a run once the pairs in memory hold `budget_bytes`.
    pub fn new(budget_bytes: usize) -> Self {
        Self {
            buffer: Vec::new(),
            buffered_bytes: 0,
            budget_bytes,
            runs: Vec::new(),
        }
    }

    pub fn push(&mut self, key: Vec<u8>, payload: Vec<u8>) -> std::io::Result<()> {
        // The vectors' own bookkeeping counts too.
        self.buffered_bytes += key.len() + payload.len() + 2 * size_of::<Vec<u8>>();
        self.buffer.push((key, payload));
        if self.buffered_bytes >= self.budget_bytes {
            self.spill()?;
        }
        Ok(())
    }

    /// Runs spilled to disk so far.
    pub fn spilled_runs(&self) -> usize {
        self.runs.len()
    }

    fn spill(&mut self) -> std::io::Result<()> {
        let mut pairs = std::mem::take(&mut self.buffer);
        self.buffered_bytes = 0;
        pairs.sort_unstable();
        let mut out = BufWriter::with_capacity(READ_BUFFER, tempfile::tempfile()?);
        for (key, payload) in &pairs {
            write_part(&mut out, key)?;
            write_part(&mut out, payload)?;
        }
        let mut file = out.into_inner().map_err(|e| e.into_error())?;
        file.seek(SeekFrom::Start(0))?;
        self.runs.push(file);
        Ok(())
    }

    /// Every pair pushed, in key order (pairs with equal keys in payload
    /// order).
    pub fn into_sorted(mut self) -> std::io::Result<Sorted> {
        if self.runs.is_empty() {
            self.buffer.sort_unstable();
            return Ok(Sorted::Memory(self.buffer.into_iter()));
        }
        if !self.buffer.is_empty() {
            self.spill()?;
        }
        let mut readers: Vec<BufReader<File>> = self
            .runs
            .into_iter()
            .map(|f| BufReader::with_capacity(READ_BUFFER, f))
            .collect();
        let mut heads = BinaryHeap::with_capacity(readers.len());
        for (run, reader) in readers.iter_mut().enumerate() {
            if let Some(pair) = read_pair(reader)? {
                heads.push(Reverse((pair, run)));
            }
        }
        Ok(Sorted::Merge { readers, heads })
    }
}

/// The sorted pairs: straight from memory, or merged from the runs.
pub enum Sorted {
    Memory(std::vec::IntoIter<Pair>),
    Merge {
        readers: Vec<BufReader<File>>,
        heads: BinaryHeap<Reverse<(Pair, usize)>>,
    },
}

impl Iterator for Sorted {
    type Item = std::io::Result<Pair>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Sorted::Memory(pairs) => pairs.next().map(Ok),
            Sorted::Merge { readers, heads } => {
                let Reverse((pair, run)) = heads.pop()?;
                match read_pair(&mut readers[run]) {
                    Ok(Some(next)) => heads.push(Reverse((next, run))),
                    Ok(None) => {}
                    Err(e) => return Some(Err(e)),
                }
                Some(Ok(pair))
            }
        }
    }
}

fn write_part(out: &mut impl Write, bytes: &[u8]) -> std::io::Result<()> {
    let len = u32::try_from(bytes.len()).map_err(std::io::Error::other)?;
    out.write_all(&len.to_le_bytes())?;
    out.write_all(bytes)
}

fn read_part(input: &mut impl Read) -> std::io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 4];
    match input.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let mut bytes = vec![0u8; u32::from_le_bytes(len) as usize];
    input.read_exact(&mut bytes)?;
    Ok(Some(bytes))
}

fn read_pair(input: &mut impl Read) -> std::io::Result<Option<Pair>> {
    let Some(key) = read_part(input)? else {
        return Ok(None);
    };
    let payload = read_part(input)?
        .ok_or_else(|| std::io::Error::new(ErrorKind::UnexpectedEof, "a run ends inside a pair"))?;
    Ok(Some((key, payload)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(n: u32) -> Vec<Pair> {
        // A fixed shuffle of 0..n (7919 is prime, n below it).
        (0..n)
            .map(|i| {
                let k = (i * 7919) % n;
                (format!("k{k:06}").into_bytes(), k.to_le_bytes().to_vec())
            })
            .collect()
    }

    fn sorted(budget: usize, input: Vec<Pair>) -> (usize, Vec<Pair>) {
        let mut runs = SortedRuns::new(budget);
        for (key, payload) in input {
            runs.push(key, payload).expect("pushed");
        }
        let spilled = runs.spilled_runs();
        let out = runs
            .into_sorted()
            .expect("sorted")
            .collect::<std::io::Result<Vec<_>>>()
            .expect("read back");
        (spilled, out)
    }

    #[test]
    fn pairs_come_back_in_key_order_from_memory_and_from_spilled_runs() {
        let mut expected = pairs(5_000);
        expected.sort();
        let (spilled, in_memory) = sorted(usize::MAX, pairs(5_000));
        assert_eq!(spilled, 0);
        assert_eq!(in_memory, expected);
        // About 70 bytes a pair: a run every ~100 pairs, plus the rest.
        let (spilled, merged) = sorted(7_000, pairs(5_000));
        assert!(spilled > 10, "{spilled} runs spilled");
        assert_eq!(merged, expected);
    }

    #[test]
    fn nothing_pushed_sorts_to_nothing() {
        let (_, out) = sorted(10, Vec::new());
        assert!(out.is_empty());
    }
}
