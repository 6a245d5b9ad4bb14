//! Round trips to each store, counted per isolate: what a request's log line reports.

/// A store a request makes round trips to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    /// The directory, and today every community's data.
    D1,
    /// The webhook records' cache.
    Kv,
    /// A community's own database (its Durable Object).
    Object,
}

/// Round trips made, by store.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Trips {
    pub d1: u32,
    pub kv: u32,
    pub object: u32,
}

impl Trips {
    pub fn total(self) -> u32 {
        self.d1.wrapping_add(self.kv).wrapping_add(self.object)
    }

    fn since(self, start: Self) -> Self {
        Self {
            d1: self.d1.wrapping_sub(start.d1),
            kv: self.kv.wrapping_sub(start.kv),
            object: self.object.wrapping_sub(start.object),
        }
    }
}

thread_local! {
    /// Storage round trips this isolate has made, by store. Never reset: a request reads it when
    /// it starts and when it ends (`trips_since`), so requests that overlap in one isolate do not
    /// take each other's counts away.
    static TRIPS: std::cell::Cell<Trips> = std::cell::Cell::new(Trips::default());
}

/// Counts one round trip to `store`.
pub fn trip(store: Store) {
    TRIPS.with(|t| {
        let mut trips = t.get();
        let count = match store {
            Store::D1 => &mut trips.d1,
            Store::Kv => &mut trips.kv,
            Store::Object => &mut trips.object,
        };
        *count = count.wrapping_add(1);
        t.set(trips);
    });
}

/// The isolate's counts so far, to pass to `trips_since` later.
pub fn trips() -> Trips {
    TRIPS.with(std::cell::Cell::get)
}

/// The round trips the isolate made since `start` (a `trips()` reading): all of them this
/// request's when no other request overlapped it, and at most this many otherwise. Zero means
/// the request made none.
pub fn trips_since(start: Trips) -> Trips {
    trips().since(start)
}
