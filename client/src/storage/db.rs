//! The IndexedDB connection, over the `idb` crate: string keys, JSON-string values (no structured-clone mapping to get
//! wrong), and writes queued on one transaction and committed together.
//!
//! `Tx::commit` resolves only when IndexedDB reports `complete` (the data is durable), and fails with nothing applied
//! when any part fails, e.g. on a full quota. It asks the browser to commit *in the caller's task*, before the future
//! is awaited: otherwise the browser commits only after the page's event loop has seen every request succeed, and a
//! tab closed in between aborts the transaction (measured: text typed 0 ms before closing the tab was lost,
//! `e2e/tests/loss-window.spec.ts`). `idb`'s transactions own their handle (no borrow of the database), which is why
//! this crate was chosen over `indexed_db_futures`, whose transactions borrow the database and whose `commit` starts
//! only when first polled; the commit and its outcome are asked of the browser directly (`request_commit`).

use std::future::{Future, IntoFuture};
use std::rc::Rc;

use idb::{
    Database, DatabaseEvent, Event, Factory, KeyRange, ObjectStore, Query, Request, Transaction, TransactionMode,
};
use js_sys::{Function, Promise};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
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
        let done = match error {
            Some(e) => {
                let _ = sys.abort();
                Err(e)
            }
            None => Ok(request_commit(&sys)),
        };
        async move {
            match JsFuture::from(done?).await {
                Ok(_) => Ok(()),
                Err(_) => Err(sys
                    .error()
                    .map(|d| StoreError::dom(&d.name(), &d.message()))
                    .unwrap_or_else(|| StoreError::Other("the browser aborted the transaction".into()))),
            }
        }
    }
}

/// A promise of the transaction's end: `complete`, or `abort` (whose reason, `QuotaExceededError` included, is then
/// on the transaction). Not `idb`'s own transaction future: it settles on the first failed request's `error` event,
/// before the abort, and looks for the reason on the request instead of the transaction, so a full disk would be
/// reported as an unknown failure; its freed callbacks would also be called by the abort that follows. The promise's
/// own `resolve`/`reject` functions are the handlers, so nothing on the Rust side can be dropped too early.
fn request_commit(sys: &IdbTransaction) -> Promise {
    let promise = Promise::new(&mut |resolve: Function, reject: Function| {
        sys.set_oncomplete(Some(&resolve));
        sys.set_onabort(Some(&reject));
    });
    // A browser without `IDBTransaction.commit` (before Chrome 76 / Safari 15) commits once the requests are done; a
    // `commit` that throws (the transaction is already finishing) changes nothing either: the outcome is awaited the
    // same way, never assumed.
    if js_sys::Reflect::has(sys, &"commit".into()).unwrap_or(false) {
        #[allow(deprecated)]
        let _ = sys.commit();
    }
    promise
}
