//! A thin, promise-based wrapper over the browser's IndexedDB: what `store` needs and nothing more.
//!
//! Why not a crate: the few calls Quire makes (put, delete, delete a key range, get, get a key range) fit in this file,
//! and writing them against `web-sys` keeps the bundle small and the transaction rules in plain sight. Every value is
//! a JSON string and every key a string, so there is no structured-clone mapping to get wrong.
//!
//! Writes are queued on a transaction and committed together: `Tx::commit` resolves only when IndexedDB reports
//! `complete`, i.e. the data is durable, and fails (nothing applied) when any part fails, e.g. on a full quota.

use js_sys::{Array, Function, Promise};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbKeyRange, IdbObjectStore, IdbRequest, IdbTransaction, IdbTransactionMode};

/// An IndexedDB failure, with the DOMException name when there is one (`QuotaExceededError`, `AbortError`, …).
#[derive(Debug, Clone, PartialEq)]
pub struct IdbError {
    pub name: String,
    pub message: String,
}

impl IdbError {
    pub fn is_quota(&self) -> bool {
        self.name == "QuotaExceededError"
    }

    fn from_js(value: JsValue) -> Self {
        if let Some(e) = value.dyn_ref::<web_sys::DomException>() {
            return IdbError { name: e.name(), message: e.message() };
        }
        // An event (from onerror/onabort): the error is on its target.
        let target = js_sys::Reflect::get(&value, &"target".into()).unwrap_or(JsValue::UNDEFINED);
        let error = js_sys::Reflect::get(&target, &"error".into()).unwrap_or(JsValue::UNDEFINED);
        if let Some(e) = error.dyn_ref::<web_sys::DomException>() {
            return IdbError { name: e.name(), message: e.message() };
        }
        IdbError { name: "Error".into(), message: value.as_string().unwrap_or_else(|| format!("{value:?}")) }
    }

    fn msg(message: &str) -> Self {
        IdbError { name: "Error".into(), message: message.into() }
    }
}

impl std::fmt::Display for IdbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.name, self.message)
    }
}

type Result<T> = std::result::Result<T, IdbError>;

/// Resolves with the request's result once it succeeds.
async fn request(req: IdbRequest) -> Result<JsValue> {
    let promise = Promise::new(&mut |resolve: Function, reject: Function| {
        req.set_onsuccess(Some(&resolve));
        req.set_onerror(Some(&reject));
    });
    JsFuture::from(promise).await.map_err(IdbError::from_js)?;
    req.result().map_err(IdbError::from_js)
}

/// Opens (and on first use creates) a database whose object stores are `stores`, all with out-of-line string keys.
pub async fn open(name: &str, version: u32, stores: &'static [&'static str]) -> Result<Db> {
    let window = web_sys::window().ok_or_else(|| IdbError::msg("no window"))?;
    let factory = window
        .indexed_db()
        .map_err(IdbError::from_js)?
        .ok_or_else(|| IdbError::msg("this browser has no IndexedDB (private mode?)"))?;
    let req = factory.open_with_u32(name, version).map_err(IdbError::from_js)?;
    let upgrade = wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
        let Some(db) = event
            .target()
            .and_then(|t| t.dyn_into::<IdbRequest>().ok())
            .and_then(|r| r.result().ok())
            .and_then(|r| r.dyn_into::<IdbDatabase>().ok())
        else {
            return;
        };
        let existing = db.object_store_names();
        for store in stores {
            if !existing.contains(store) {
                // Only fails for a duplicate name, which `contains` rules out.
                let _ = db.create_object_store(store);
            }
        }
    });
    req.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
    let result = request(req.clone().into()).await;
    req.set_onupgradeneeded(None);
    drop(upgrade);
    Ok(Db { db: result?.dyn_into().map_err(IdbError::from_js)? })
}

/// Deletes a whole database (tests use a fresh one each).
pub async fn delete_database(name: &str) -> Result<()> {
    let factory =
        web_sys::window().and_then(|w| w.indexed_db().ok().flatten()).ok_or_else(|| IdbError::msg("no IndexedDB"))?;
    request(factory.delete_database(name).map_err(IdbError::from_js)?.into()).await.map(|_| ())
}

#[derive(Clone)]
pub struct Db {
    db: IdbDatabase,
}

/// The key range `[prefix, prefix + U+FFFF]`: every string key that starts with `prefix` (keys are ASCII here).
fn prefix_range(prefix: &str) -> Result<IdbKeyRange> {
    IdbKeyRange::bound(&prefix.into(), &format!("{prefix}\u{ffff}").into()).map_err(IdbError::from_js)
}

impl Db {
    fn tx(&self, stores: &[&str], mode: IdbTransactionMode) -> Result<IdbTransaction> {
        let names: Array = stores.iter().map(|s| JsValue::from_str(s)).collect();
        self.db.transaction_with_str_sequence_and_mode(&names, mode).map_err(IdbError::from_js)
    }

    /// A read-write transaction over `stores`; queue writes on it, then `commit`.
    pub fn write(&self, stores: &[&str]) -> Result<Tx> {
        Ok(Tx { tx: self.tx(stores, IdbTransactionMode::Readwrite)?, error: None })
    }

    pub async fn get(&self, store: &str, key: &str) -> Result<Option<String>> {
        let tx = self.tx(&[store], IdbTransactionMode::Readonly)?;
        let os = tx.object_store(store).map_err(IdbError::from_js)?;
        let value = request(os.get(&key.into()).map_err(IdbError::from_js)?).await?;
        Ok(value.as_string())
    }

    /// Every `(key, value)` whose key starts with `prefix`, in key order.
    pub async fn get_prefix(&self, store: &str, prefix: &str) -> Result<Vec<(String, String)>> {
        let tx = self.tx(&[store], IdbTransactionMode::Readonly)?;
        let os = tx.object_store(store).map_err(IdbError::from_js)?;
        let range = prefix_range(prefix)?;
        // Two requests in one transaction see the same snapshot.
        let keys = os.get_all_keys_with_key(&range).map_err(IdbError::from_js)?;
        let values = os.get_all_with_key(&range).map_err(IdbError::from_js)?;
        let keys: Array = request(keys).await?.unchecked_into();
        let values: Array = request(values).await?.unchecked_into();
        Ok(keys.iter().zip(values.iter()).filter_map(|(k, v)| Some((k.as_string()?, v.as_string()?))).collect())
    }

    pub fn close(&self) {
        self.db.close();
    }
}

/// A read-write transaction. Operations are queued immediately and applied atomically.
pub struct Tx {
    tx: IdbTransaction,
    error: Option<IdbError>,
}

impl Tx {
    fn store(&mut self, name: &str) -> Option<IdbObjectStore> {
        match self.tx.object_store(name) {
            Ok(os) => Some(os),
            Err(e) => {
                self.error.get_or_insert(IdbError::from_js(e));
                None
            }
        }
    }

    fn note(&mut self, result: std::result::Result<IdbRequest, JsValue>) {
        if let Err(e) = result {
            self.error.get_or_insert(IdbError::from_js(e));
        }
    }

    pub fn put(&mut self, store: &str, key: &str, value: &str) -> &mut Self {
        if let Some(os) = self.store(store) {
            let r = os.put_with_key(&value.into(), &key.into());
            self.note(r);
        }
        self
    }

    pub fn delete(&mut self, store: &str, key: &str) -> &mut Self {
        if let Some(os) = self.store(store) {
            let r = os.delete(&key.into());
            self.note(r);
        }
        self
    }

    /// Deletes every key in `[lower, upper)`.
    pub fn delete_range(&mut self, store: &str, lower: &str, upper: &str) -> &mut Self {
        let range = IdbKeyRange::bound_with_lower_open_and_upper_open(&lower.into(), &upper.into(), false, true);
        match (self.store(store), range) {
            (Some(os), Ok(range)) => {
                let r = os.delete(&range);
                self.note(r);
            }
            (_, Err(e)) => self.note(Err(e)),
            (None, _) => {}
        }
        self
    }

    /// Deletes every key that starts with `prefix`.
    pub fn delete_prefix(&mut self, store: &str, prefix: &str) -> &mut Self {
        match (self.store(store), prefix_range(prefix)) {
            (Some(os), Ok(range)) => {
                let r = os.delete(&range.into());
                self.note(r);
            }
            (_, Err(e)) => self.error = self.error.take().or(Some(e)),
            (None, _) => {}
        }
        self
    }

    /// Asks IndexedDB to commit now (`IDBTransaction.commit()`, where the browser has it) and resolves once every
    /// queued write is durable; on any failure none of them is applied.
    ///
    /// The commit is requested in the caller's task, before the future is awaited: without it the browser commits
    /// only after the page's event loop has seen every request succeed, and a tab closed in between aborts the
    /// transaction (measured: text typed 0 ms before closing the tab was lost, `e2e/tests/loss-window.spec.ts`).
    pub fn commit(self) -> impl std::future::Future<Output = Result<()>> + 'static {
        let Tx { tx, error } = self;
        let promise = match error {
            Some(e) => {
                let _ = tx.abort();
                Err(e)
            }
            None => {
                let promise = Promise::new(&mut |resolve: Function, reject: Function| {
                    tx.set_oncomplete(Some(&resolve));
                    tx.set_onerror(Some(&reject));
                    tx.set_onabort(Some(&reject));
                });
                if let Ok(commit) = js_sys::Reflect::get(&tx, &"commit".into()).and_then(|f| f.dyn_into::<Function>()) {
                    let _ = commit.call0(&tx);
                }
                Ok(promise)
            }
        };
        async move {
            match JsFuture::from(promise?).await {
                Ok(_) => Ok(()),
                Err(e) => Err(tx
                    .error()
                    .map(|d| IdbError { name: d.name(), message: d.message() })
                    .unwrap_or_else(|| IdbError::from_js(e))),
            }
        }
    }
}
