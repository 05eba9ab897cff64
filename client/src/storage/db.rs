//! The IndexedDB connection, over the `idb` crate: string keys, JSON-string values (no structured-clone mapping to get
//! wrong), and writes queued on one transaction and committed together.
//!
//! `Tx::commit` resolves only when IndexedDB reports `complete` (the data is durable), and fails with nothing applied
//! when any part fails, e.g. on a full quota. It asks the browser to commit *in the caller's task*, before the future
//! is awaited: otherwise the browser commits only after the page's event loop has seen every request succeed, and a
//! tab closed in between aborts the transaction (measured: text typed 0 ms before closing the tab was lost,
//! `e2e/tests/loss-window.spec.ts`). `idb::Transaction::commit` is synchronous, which is why this crate was chosen
//! over `indexed_db_futures`, whose `commit` starts only when first polled and whose transactions borrow the database.

use std::future::{Future, IntoFuture};
use std::rc::Rc;

use idb::{
    Database, DatabaseEvent, Event, Factory, KeyRange, ObjectStore, Query, Request, Transaction, TransactionMode,
};
use idb::{TransactionFuture, TransactionResult};
use wasm_bindgen::JsValue;
use web_sys::IdbTransaction;

use crate::storage::error::{Result, StoreError};

/// Opens a database at `version`, running `upgrade` first when the browser holds an older one (or none). A failed
/// upgrade is aborted: the database stays at its old version with everything in it.
/// `upgrade(db, from, to)` takes the database from version `from` (0: new) to `to`.
pub async fn open(
    name: &str,
    version: u32,
    upgrade: impl FnOnce(&Database, u32, u32) -> Result<()> + 'static,
) -> Result<Db> {
    let mut request = Factory::new()?.open(name, Some(version))?;
    let failure: Rc<std::cell::RefCell<Option<StoreError>>> = Rc::default();
    let noted = failure.clone();
    request.on_upgrade_needed(move |event| {
        let run = || -> Result<()> { upgrade(&event.database()?, event.old_version()?, version) };
        if let Err(e) = run() {
            if let Some(tx) = event.target().ok().and_then(|r| r.transaction()) {
                let _ = tx.abort();
            }
            *noted.borrow_mut() = Some(e);
        }
    });
    let opened = request.await;
    if let Some(e) = failure.borrow_mut().take() {
        return Err(e);
    }
    Ok(Db { db: Rc::new(opened?) })
}

/// Deletes a whole database (tests use a fresh one each).
pub async fn delete_database(name: &str) -> Result<()> {
    Factory::new()?.delete(name)?.await?;
    Ok(())
}

#[derive(Clone)]
pub struct Db {
    db: Rc<Database>,
}

/// The key range `[prefix, prefix + U+FFFF]`: every string key that starts with `prefix` (keys are ASCII here).
fn prefix_range(prefix: &str) -> Result<KeyRange> {
    Ok(KeyRange::bound(&prefix.into(), &format!("{prefix}\u{ffff}").into(), None, None)?)
}

impl Db {
    /// A read-write transaction over `stores`; queue writes on it, then `commit`.
    pub fn write(&self, stores: &[&str]) -> Result<Tx> {
        Ok(Tx { tx: self.db.transaction(stores, TransactionMode::ReadWrite)?, error: None })
    }

    pub async fn get(&self, store: &str, key: &str) -> Result<Option<String>> {
        let tx = self.db.transaction(&[store], TransactionMode::ReadOnly)?;
        let value = tx.object_store(store)?.get(JsValue::from_str(key))?.await?;
        Ok(value.and_then(|v| v.as_string()))
    }

    /// Every `(key, value)` whose key starts with `prefix`, in key order.
    pub async fn get_prefix(&self, store: &str, prefix: &str) -> Result<Vec<(String, String)>> {
        let tx = self.db.transaction(&[store], TransactionMode::ReadOnly)?;
        let os = tx.object_store(store)?;
        let range = prefix_range(prefix)?;
        // Two requests in one transaction see the same snapshot; both listen before either can finish.
        let keys = os.get_all_keys(Some(Query::KeyRange(range.clone())), None)?.into_future();
        let values = os.get_all(Some(Query::KeyRange(range)), None)?.into_future();
        let (keys, values) = (keys.await?, values.await?);
        Ok(keys.iter().zip(values.iter()).filter_map(|(k, v)| Some((k.as_string()?, v.as_string()?))).collect())
    }

    pub fn close(&self) {
        self.db.close();
    }
}

/// A read-write transaction. Operations are queued at once and applied atomically; the first failure to queue one
/// is kept, and `commit` then aborts the whole transaction.
pub struct Tx {
    tx: Transaction,
    error: Option<StoreError>,
}

impl Tx {
    fn store(&mut self, name: &str) -> Option<ObjectStore> {
        match self.tx.object_store(name) {
            Ok(os) => Some(os),
            Err(e) => {
                self.error.get_or_insert(e.into());
                None
            }
        }
    }

    fn note<T>(&mut self, result: std::result::Result<T, idb::Error>) {
        if let Err(e) = result {
            self.error.get_or_insert(e.into());
        }
    }

    pub fn put(&mut self, store: &str, key: &str, value: &str) -> &mut Self {
        if let Some(os) = self.store(store) {
            let r = os.put(&JsValue::from_str(value), Some(&JsValue::from_str(key)));
            self.note(r);
        }
        self
    }

    pub fn delete(&mut self, store: &str, key: &str) -> &mut Self {
        if let Some(os) = self.store(store) {
            let r = os.delete(JsValue::from_str(key));
            self.note(r);
        }
        self
    }

    /// Deletes every key in `[lower, upper)`.
    pub fn delete_range(&mut self, store: &str, lower: &str, upper: &str) -> &mut Self {
        let range = KeyRange::bound(&lower.into(), &upper.into(), Some(false), Some(true));
        self.delete_query(store, range)
    }

    /// Deletes every key that starts with `prefix`.
    pub fn delete_prefix(&mut self, store: &str, prefix: &str) -> &mut Self {
        let range = KeyRange::bound(&prefix.into(), &format!("{prefix}\u{ffff}").into(), None, None);
        self.delete_query(store, range)
    }

    fn delete_query(&mut self, store: &str, range: std::result::Result<KeyRange, idb::Error>) -> &mut Self {
        match range {
            Ok(range) => {
                if let Some(os) = self.store(store) {
                    let r = os.delete(Query::KeyRange(range));
                    self.note(r);
                }
            }
            Err(e) => self.note::<()>(Err(e)),
        }
        self
    }

    /// Requests the commit now and resolves once every queued write is durable; on any failure none is applied.
    pub fn commit(self) -> impl Future<Output = Result<()>> + 'static {
        let Tx { tx, error } = self;
        let sys: IdbTransaction = tx.into();
        let started = match error {
            Some(e) => {
                let _ = sys.abort();
                Err(e)
            }
            None => request_commit(&sys),
        };
        async move {
            match started?.await {
                Ok(TransactionResult::Committed) => Ok(()),
                Ok(TransactionResult::Aborted) | Err(_) => Err(sys
                    .error()
                    .map(|d| StoreError::dom(&d.name(), &d.message()))
                    .unwrap_or_else(|| StoreError::Other("the browser aborted the transaction".into()))),
            }
        }
    }
}

fn request_commit(sys: &IdbTransaction) -> Result<TransactionFuture> {
    let tx = Transaction::from(sys.clone());
    // A browser without `IDBTransaction.commit` (before Chrome 76 / Safari 15) commits once the requests are done.
    let has_commit = js_sys::Reflect::has(sys, &"commit".into()).unwrap_or(false);
    let tx = if has_commit { tx.commit()? } else { tx };
    Ok(tx.into_future())
}
