//! Counting what is in flight per key (a respondent's syncs, an address's sign-in lookups), each place given back
//! when its guard drops, so an early return or a cancelled request can never leak one.

use std::hash::Hash;
use std::sync::Arc;

use dashmap::DashMap;

/// Per-key counts; a key is present only while something of it is in flight.
pub struct InFlight<K: Hash + Eq + Clone>(Arc<DashMap<K, u32>>);

impl<K: Hash + Eq + Clone> Default for InFlight<K> {
    fn default() -> Self {
        InFlight(Arc::default())
    }
}

impl<K: Hash + Eq + Clone> InFlight<K> {
    /// A place for `key`, unless it already has `most` in flight.
    pub fn take(&self, key: K, most: u32) -> Option<Slot<K>> {
        let mut n = self.0.entry(key.clone()).or_insert(0);
        if *n >= most {
            return None;
        }
        *n += 1;
        Some(Slot { map: self.0.clone(), key })
    }
}

/// One place in flight.
pub struct Slot<K: Hash + Eq + Clone> {
    map: Arc<DashMap<K, u32>>,
    key: K,
}

impl<K: Hash + Eq + Clone> Drop for Slot<K> {
    fn drop(&mut self) {
        self.map.remove_if_mut(&self.key, |_, n| {
            *n -= 1;
            *n == 0
        });
    }
}

#[cfg(test)]
mod tests {
    use super::InFlight;

    #[test]
    fn places_are_bounded_per_key_and_given_back() {
        let counts = InFlight::default();
        let a: Vec<_> = (0..5).filter_map(|_| counts.take('a', 2)).collect();
        assert_eq!(a.len(), 2);
        assert!(counts.take('b', 2).is_some());
        drop(a);
        assert!(counts.take('a', 2).is_some());
        assert!(counts.0.is_empty(), "keys with nothing in flight are removed");
    }
}
