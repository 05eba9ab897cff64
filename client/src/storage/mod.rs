//! Everything this browser keeps: the IndexedDB connection (`db`, over the `idb` crate), the schema and its numbered
//! upgrades (`schema`), the records (`records`), and the store the app uses (`store`).

pub mod db;
pub mod error;
pub mod records;
pub mod schema;
pub mod store;
