//! Changing items: a partial [`Update`], the [`Write`]s a transaction
//! holds and the checks and in-memory application both adapters share, so
//! a transaction is refused or applied the same way by each of them.

use serde_json::{Map, Value};

use super::{Condition, Item, Key, StoreError, validate_key};

/// Most writes one transaction may hold (DynamoDB's limit).
pub const MAX_TRANSACTION_WRITES: usize = 100;

/// A partial update: attributes to set, to remove and to add to (numbers),
/// creating the item when it does not exist (DynamoDB `UpdateItem`).
#[derive(Clone, Debug)]
pub struct Update {
    pub key: Key,
    pub set: Item,
    pub remove: Vec<String>,
    pub add: Vec<(String, i64)>,
    pub condition: Option<Condition>,
}

impl Update {
    pub fn new(key: Key) -> Self {
        Self {
            key,
            set: Map::new(),
            remove: Vec::new(),
            add: Vec::new(),
            condition: None,
        }
    }

    pub fn set(mut self, attr: &str, value: impl Into<Value>) -> Self {
        self.set.insert(attr.to_owned(), value.into());
        self
    }

    pub fn remove(mut self, attr: &str) -> Self {
        self.remove.push(attr.to_owned());
        self
    }

    pub fn add(mut self, attr: &str, by: i64) -> Self {
        self.add.push((attr.to_owned(), by));
        self
    }

    pub fn when(mut self, condition: Condition) -> Self {
        self.condition = Some(condition);
        self
    }
}

/// One write inside a transaction.
#[derive(Clone, Debug)]
pub enum Write {
    Put {
        item: Item,
        condition: Option<Condition>,
    },
    Update(Update),
    Delete {
        key: Key,
        condition: Option<Condition>,
    },
    /// Checks a condition on an item without changing it.
    Check {
        key: Key,
        condition: Condition,
    },
}

impl Write {
    pub fn put(item: Item) -> Self {
        Write::Put {
            item,
            condition: None,
        }
    }

    /// A put that fails if an item with the same key exists (guard items).
    pub fn put_new(item: Item) -> Self {
        Write::Put {
            item,
            condition: Some(Condition::NotExists),
        }
    }

    pub fn key(&self) -> Option<Key> {
        match self {
            Write::Put { item, .. } => Key::of(item),
            Write::Update(u) => Some(u.key.clone()),
            Write::Delete { key, .. } | Write::Check { key, .. } => Some(key.clone()),
        }
    }
}

/// Checks what both adapters refuse before touching data.
pub fn validate_transaction(writes: &[Write]) -> Result<(), StoreError> {
    if writes.is_empty() || writes.len() > MAX_TRANSACTION_WRITES {
        return Err(StoreError::Invalid(format!(
            "a transaction holds 1 to {MAX_TRANSACTION_WRITES} writes, not {}",
            writes.len()
        )));
    }
    let mut keys = std::collections::HashSet::new();
    for write in writes {
        let key = write
            .key()
            .ok_or_else(|| StoreError::Invalid("an item without pk/sk".into()))?;
        validate_key(&key)?;
        if !keys.insert(key.clone()) {
            return Err(StoreError::Invalid(format!(
                "a transaction touches {}/{} twice",
                key.pk, key.sk
            )));
        }
    }
    Ok(())
}

/// Applies an update to an item (or to a new one) in memory; shared by the
/// embedded adapter and by callers that need to predict the result.
pub fn apply_update(existing: Option<Item>, update: &Update) -> Result<Item, StoreError> {
    let touches_key = update
        .set
        .keys()
        .chain(update.remove.iter())
        .chain(update.add.iter().map(|(attr, _)| attr))
        .any(|attr| attr == "pk" || attr == "sk");
    if touches_key {
        return Err(StoreError::Invalid(
            "an update cannot change the key".into(),
        ));
    }
    let mut item = existing.unwrap_or_else(|| {
        let mut fresh = Map::new();
        fresh.insert("pk".into(), Value::String(update.key.pk.clone()));
        fresh.insert("sk".into(), Value::String(update.key.sk.clone()));
        fresh
    });
    for (attr, value) in &update.set {
        item.insert(attr.clone(), value.clone());
    }
    for attr in &update.remove {
        item.remove(attr);
    }
    for (attr, by) in &update.add {
        let current = match item.get(attr) {
            None | Some(Value::Null) => 0,
            Some(v) => v
                .as_i64()
                .ok_or_else(|| StoreError::Invalid(format!("{attr} is not an integer")))?,
        };
        let sum = current
            .checked_add(*by)
            .ok_or_else(|| StoreError::Invalid(format!("{attr} would overflow")))?;
        item.insert(attr.clone(), Value::from(sum));
    }
    Ok(item)
}
