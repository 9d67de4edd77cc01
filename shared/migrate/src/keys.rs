//! Every key the migration writes of its own (the records it migrates
//! keep their capabilities' keys), and the items under them.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | unfinished search stage of an embedded import (see [`crate::search_stage`]) | `MIGRATION` | `SEARCHSTAGE` |

use pc_platform::store::Key;

/// The marker of an embedded import whose search stage is not done.
pub fn search_stage_key() -> Key {
    Key::new("MIGRATION", "SEARCHSTAGE")
}
