//! The local database's schema: one numbered step per version. A device may hold any older version, with unsent
//! answers in it; opening runs the steps it lacks, in order, inside the one upgrade transaction (all or nothing), and
//! keeps every record. A step never changes once shipped: a schema change is a new step at the end of `STEPS`.

use idb::{Database, ObjectStoreParams};

use crate::storage::error::Result;

pub const SESSIONS: &str = "sessions";
pub const ANSWERS: &str = "answers";
pub const OUTBOX: &str = "outbox";
pub const SURVEYS: &str = "surveys";
/// Saves the server refused, with its reasons, keyed like the outbox: kept, shown, never sent again.
pub const REJECTED: &str = "rejected";

/// One version's change, run in the upgrade transaction.
pub type Step = fn(&Database) -> Result<()>;

/// `STEPS[i]` takes the database from version `i` to `i + 1`.
pub const STEPS: [Step; 2] = [v1_first_stores, v2_rejected];

/// The version this build writes.
pub const VERSION: u32 = STEPS.len() as u32;

/// Runs the steps that take a database from version `from` to `to`.
pub fn upgrade(steps: &[Step], db: &Database, from: u32, to: u32) -> Result<()> {
    for step in steps.get(from as usize..to as usize).unwrap_or_default() {
        step(db)?;
    }
    Ok(())
}

/// Creates an object store with out-of-line string keys, unless the device has it already: builds before numbered
/// steps created every store they knew of at any version.
pub fn create_store(db: &Database, name: &str) -> Result<()> {
    if !db.store_names().iter().any(|s| s == name) {
        db.create_object_store(name, ObjectStoreParams::new())?;
    }
    Ok(())
}

fn v1_first_stores(db: &Database) -> Result<()> {
    for name in [SESSIONS, ANSWERS, OUTBOX, SURVEYS] {
        create_store(db, name)?;
    }
    Ok(())
}

fn v2_rejected(db: &Database) -> Result<()> {
    create_store(db, REJECTED)
}
