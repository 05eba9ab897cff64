//! The one error of local storage: full, or anything else (with the browser's words, for the log).

use crate::ui::Msg;

#[derive(Debug, Clone, PartialEq)]
pub enum StoreError {
    /// The browser's storage for this site is full.
    Full,
    Other(String),
}

impl StoreError {
    /// From a DOMException's name and message: `QuotaExceededError` is the one the respondent can act on.
    pub fn dom(name: &str, message: &str) -> Self {
        if name == "QuotaExceededError" {
            StoreError::Full
        } else {
            StoreError::Other(format!("{name}: {message}"))
        }
    }

    /// What to tell the respondent.
    pub fn msg(&self) -> Msg {
        match self {
            StoreError::Full => Msg::StorageFull,
            StoreError::Other(_) => Msg::StorageFailed,
        }
    }
}

impl From<idb::Error> for StoreError {
    fn from(e: idb::Error) -> Self {
        match e {
            idb::Error::DomException(d) => StoreError::dom(&d.name(), &d.message()),
            // Not the crate's own message: its ~45 `Display` texts would all ship in the bundle, for a log line.
            _ => StoreError::Other("IndexedDB refused the request".into()),
        }
    }
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Full => f.write_str("this browser's storage is full"),
            StoreError::Other(m) => f.write_str(m),
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_quota_is_told_apart_from_other_failures() {
        assert_eq!(StoreError::dom("QuotaExceededError", "full"), StoreError::Full);
        assert!(matches!(StoreError::dom("AbortError", "aborted"), StoreError::Other(m) if m.contains("AbortError")));
    }
}
