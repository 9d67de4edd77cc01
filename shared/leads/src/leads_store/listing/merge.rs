//! Partitions of the same sort-key shape read page by page and merged into
//! one ordered read, so a list over several partitions (statuses, sources,
//! partners) can stop at the end of its page.

use std::collections::VecDeque;

use pc_platform::store::{Cursor, Item, Query, Store, StoreError};
use serde_json::Value;

/// One partition read page by page.
pub(super) struct Stream {
    query: Query,
    buffer: VecDeque<Item>,
    cursor: Option<Cursor>,
    done: bool,
}

impl Stream {
    pub(super) fn new(query: Query) -> Self {
        Self {
            query,
            buffer: VecDeque::new(),
            cursor: None,
            done: false,
        }
    }

    /// The sort key of the next item, reading a page when needed.
    async fn head(&mut self, store: &dyn Store, page: usize) -> Result<Option<String>, StoreError> {
        while self.buffer.is_empty() && !self.done {
            let query = self.query.clone().limit(page).after(self.cursor.take());
            let found = store.query(&query).await?;
            self.buffer.extend(found.items);
            self.cursor = found.cursor;
            self.done = self.cursor.is_none();
        }
        let (_, sk) = self.query.index.key_attributes();
        Ok(self.buffer.front().map(|item| {
            item.get(sk)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        }))
    }
}

/// Partitions of the same sort-key shape merged into one ordered read.
pub(super) struct Merge {
    pub(super) streams: Vec<Stream>,
    pub(super) descending: bool,
    pub(super) page: usize,
}

impl Merge {
    pub(super) async fn next(&mut self, store: &dyn Store) -> Result<Option<Item>, StoreError> {
        let mut best: Option<(usize, String)> = None;
        for (i, stream) in self.streams.iter_mut().enumerate() {
            let Some(sk) = stream.head(store, self.page).await? else {
                continue;
            };
            let better = best
                .as_ref()
                .is_none_or(|(_, b)| if self.descending { sk > *b } else { sk < *b });
            if better {
                best = Some((i, sk));
            }
        }
        Ok(best.and_then(|(i, _)| self.streams[i].buffer.pop_front()))
    }
}
