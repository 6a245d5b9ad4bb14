//! Values an isolate holds for a while, bounded in entries and in bytes: the edge's memory of
//! webhook records, which every tenant's webhooks share. Time is passed in: the core has no clock.
//!
//! A value larger than an entry may be is not held at all (it is read from storage each time),
//! and a full memory forgets its expired entries, then everything, rather than growing: one
//! tenant's large records cost that tenant round trips, never the isolate's memory. Forgetting
//! only ever costs a round trip.

use std::collections::HashMap;

#[derive(Debug)]
pub struct Held<V> {
    entries: HashMap<String, Entry<V>>,
    /// The bytes of the entries held, as their holders counted them.
    bytes: usize,
    limits: Limits,
}

#[derive(Debug)]
struct Entry<V> {
    until_ms: u64,
    bytes: usize,
    value: V,
}

/// How much a [`Held`] may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub entries: usize,
    /// All entries together.
    pub bytes: usize,
    /// One entry: a larger value is not held.
    pub entry_bytes: usize,
}

impl<V> Held<V> {
    pub fn new(limits: Limits) -> Self {
        Self {
            entries: HashMap::new(),
            bytes: 0,
            limits,
        }
    }

    /// Holds `value` (of `bytes`, e.g. its JSON length) under `key` until `until_ms` (exclusive),
    /// in place of what `key` held; `false` when it is larger than an entry may be, and then `key`
    /// holds nothing.
    pub fn hold(&mut self, key: &str, value: V, bytes: usize, until_ms: u64, now_ms: u64) -> bool {
        self.forget(key);
        if bytes > self.limits.entry_bytes {
            return false;
        }
        if !self.fits(bytes) {
            self.entries.retain(|_, e| e.until_ms > now_ms);
            self.bytes = self.entries.values().map(|e| e.bytes).sum();
            if !self.fits(bytes) {
                self.entries.clear();
                self.bytes = 0;
            }
        }
        self.bytes += bytes;
        self.entries.insert(
            key.to_owned(),
            Entry {
                until_ms,
                bytes,
                value,
            },
        );
        true
    }

    fn fits(&self, bytes: usize) -> bool {
        self.entries.len() < self.limits.entries
            && self.bytes.saturating_add(bytes) <= self.limits.bytes
    }

    /// What `key` holds at `now_ms`.
    pub fn get(&self, key: &str, now_ms: u64) -> Option<&V> {
        self.entries
            .get(key)
            .filter(|e| e.until_ms > now_ms)
            .map(|e| &e.value)
    }

    pub fn forget(&mut self, key: &str) {
        if let Some(old) = self.entries.remove(key) {
            self.bytes -= old.bytes;
        }
    }

    /// The bytes held, counted as they were given.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        entries: 4,
        bytes: 1_000,
        entry_bytes: 400,
    };

    #[test]
    fn a_value_is_held_until_its_time_only() {
        let mut held = Held::new(LIMITS);
        assert!(held.hold("a", 1, 10, 6_000, 1_000));
        assert_eq!(held.get("a", 5_999), Some(&1));
        assert_eq!(held.get("a", 6_000), None);
        assert!(held.hold("a", 2, 20, 9_000, 6_000));
        assert_eq!(
            (held.get("a", 8_999), held.bytes(), held.len()),
            (Some(&2), 20, 1)
        );
        held.forget("a");
        assert_eq!((held.get("a", 7_000), held.bytes()), (None, 0));
    }

    #[test]
    fn a_value_larger_than_an_entry_may_be_is_not_held_and_replaces_nothing() {
        let mut held = Held::new(LIMITS);
        assert!(held.hold("a", 1, 400, 5_000, 0));
        assert!(!held.hold("a", 2, 401, 5_000, 0));
        assert_eq!(
            (held.get("a", 1), held.bytes()),
            (None, 0),
            "the old value went too"
        );
    }

    #[test]
    fn it_never_holds_more_bytes_or_entries_than_its_limits() {
        let mut held = Held::new(LIMITS);
        let mut now = 0;
        for i in 0..1_000u64 {
            let bytes = usize::try_from(i * 37 % 401).unwrap_or(0);
            held.hold(&format!("k{}", i % 9), i, bytes, now + 3_000, now);
            assert!(held.bytes() <= LIMITS.bytes, "{} bytes", held.bytes());
            assert!(held.len() <= LIMITS.entries);
            assert_eq!(
                held.bytes(),
                held.entries.values().map(|e| e.bytes).sum::<usize>()
            );
            now += 500;
        }
    }

    #[test]
    fn when_full_the_expired_go_first() {
        let mut held = Held::new(LIMITS);
        held.hold("old", 1, 400, 1_000, 0);
        held.hold("live", 2, 400, 9_000, 0);
        held.hold("new", 3, 400, 9_000, 2_000);
        assert_eq!(
            (
                held.get("live", 2_000),
                held.get("new", 2_000),
                held.bytes()
            ),
            (Some(&2), Some(&3), 800)
        );
    }
}
