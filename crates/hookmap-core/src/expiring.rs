//! Keys remembered until a time: what an isolate knows for a moment and may forget at any time
//! (a token found unknown, a webhook whose failure budget is spent, a webhook re-read a moment
//! ago). Time is passed in: the core has no clock.
//!
//! Bounded: full of live entries, it forgets them all rather than growing, so a flood of distinct
//! keys costs what it would without the memory, and never the isolate's memory. Forgetting only
//! ever costs a round trip.

use std::collections::HashMap;

#[derive(Debug)]
pub struct Expiring {
    until: HashMap<String, u64>,
    capacity: usize,
}

impl Expiring {
    pub fn new(capacity: usize) -> Self {
        Self {
            until: HashMap::new(),
            capacity,
        }
    }

    /// Remembers `key` until `until_ms` (exclusive).
    pub fn remember(&mut self, key: &str, until_ms: u64, now_ms: u64) {
        if self.until.len() >= self.capacity && !self.until.contains_key(key) {
            self.until.retain(|_, until| *until > now_ms);
            if self.until.len() >= self.capacity {
                self.until.clear();
            }
        }
        self.until.insert(key.to_owned(), until_ms);
    }

    /// Whether `key` is remembered at `now_ms`.
    pub fn holds(&self, key: &str, now_ms: u64) -> bool {
        self.until.get(key).is_some_and(|until| *until > now_ms)
    }

    pub fn forget(&mut self, key: &str) {
        self.until.remove(key);
    }

    pub fn len(&self) -> usize {
        self.until.len()
    }

    pub fn is_empty(&self) -> bool {
        self.until.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_remembered_until_its_time_only() {
        let mut memory = Expiring::new(4);
        memory.remember("a", 6_000, 1_000);
        assert!(memory.holds("a", 1_000));
        assert!(memory.holds("a", 5_999));
        assert!(!memory.holds("a", 6_000));
        assert!(!memory.holds("b", 1_000));
        memory.remember("a", 9_000, 6_000);
        assert!(memory.holds("a", 8_999), "remembered again, later");
    }

    #[test]
    fn a_forgotten_key_is_gone_at_once() {
        let mut memory = Expiring::new(4);
        memory.remember("a", 5_000, 0);
        memory.forget("a");
        assert!(!memory.holds("a", 1));
    }

    #[test]
    fn it_never_holds_more_than_its_capacity() {
        let mut memory = Expiring::new(3);
        for n in 0..100u64 {
            memory.remember(&n.to_string(), n + 5_000, n);
            assert!(memory.len() <= 3);
        }
        // Expired entries make room before live ones are dropped.
        let mut memory = Expiring::new(2);
        memory.remember("old", 10, 0);
        memory.remember("live", 25, 15);
        memory.remember("new", 30, 20);
        assert!(memory.holds("live", 20) && memory.holds("new", 20));
        assert_eq!(memory.len(), 2);
        // A key already held is renewed without evicting others.
        memory.remember("new", 40, 20);
        assert!(memory.holds("live", 20));
    }
}
