//! The id port: opaque, creation-time sortable ids (ULIDs).

pub trait Ids: Send + Sync {
    fn new_id(&self) -> String;
}

pub struct UlidIds;

impl Ids for UlidIds {
    fn new_id(&self) -> String {
        ulid::Ulid::new().to_string()
    }
}
