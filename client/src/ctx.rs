//! The services every screen needs (the local store and the sync loop's alarm), as one `Copy` handle.

use leptos::prelude::*;

use crate::browser::{self, Alarm};
use crate::storage::store::Store;
use crate::sync::status::SyncStatus;

struct Services {
    store: Store,
    alarm: Alarm,
}

/// The services every screen needs, as a `Copy` handle (the store and timers are not `Send`; Leptos keeps them).
#[derive(Clone, Copy)]
pub struct Ctx {
    services: StoredValue<Services, LocalStorage>,
    pub status: SyncStatus,
    /// An author's preview (`screens/preview.rs`): nothing is sent, and the screen says so.
    pub preview: bool,
}

impl Ctx {
    pub fn new(store: Store, alarm: Alarm) -> Self {
        Ctx { services: StoredValue::new_local(Services { store, alarm }), status: SyncStatus::new(), preview: false }
    }

    pub fn preview(store: Store, alarm: Alarm) -> Self {
        Ctx { preview: true, ..Ctx::new(store, alarm) }
    }

    pub fn store(&self) -> Store {
        self.services.with_value(|s| s.store.clone())
    }

    pub fn alarm(&self) -> Alarm {
        self.services.with_value(|s| s.alarm.clone())
    }

    /// Called after every local save: recount what is pending and wake the sync loop.
    pub async fn saved(&self) {
        self.alarm().wake(browser::Wake::Saved);
        self.status.refresh(&self.store()).await;
    }
}
