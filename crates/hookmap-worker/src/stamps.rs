//! A small memory of the isolate's: when something last happened to a webhook (it was re-read from
//! D1, its failure budget ran out). Bounded, so a flood of distinct webhooks cannot grow the
//! isolate; forgetting an entry costs a round trip, never correctness.
//!
//! A vector scanned in full, not a map: it holds at most a few hundred entries, and a second map
//! type would add its code to a worker whose size is budgeted.

pub struct Stamps {
    entries: Vec<(String, u64)>,
    capacity: usize,
}

impl Stamps {
    pub const fn new(capacity: usize) -> Self {
        Self {
            entries: Vec::new(),
            capacity,
        }
    }

    pub fn get(&self, key: &str) -> Option<u64> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|&(_, stamp)| stamp)
    }

    /// Stamps `key`. When full, entries `current` rejects go first; if none does, nothing is kept.
    pub fn set(&mut self, key: &str, stamp: u64, current: impl Fn(u64) -> bool) {
        if let Some(entry) = self.entries.iter_mut().find(|(k, _)| k == key) {
            entry.1 = stamp;
            return;
        }
        if self.entries.len() >= self.capacity {
            self.entries.retain(|&(_, s)| current(s));
        }
        if self.entries.len() < self.capacity {
            self.entries.push((key.to_owned(), stamp));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_bounded_and_stale_ones_go_first() {
        let mut stamps = Stamps::new(2);
        stamps.set("a", 1, |_| true);
        stamps.set("b", 2, |_| true);
        stamps.set("a", 3, |_| true);
        assert_eq!((stamps.get("a"), stamps.get("b")), (Some(3), Some(2)));
        stamps.set("c", 4, |_| true);
        assert_eq!(stamps.get("c"), None, "full of current entries: not kept");
        stamps.set("c", 4, |s| s >= 3);
        assert_eq!(
            (stamps.get("a"), stamps.get("b"), stamps.get("c")),
            (Some(3), None, Some(4))
        );
    }
}
