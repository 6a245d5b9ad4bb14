//! The caches in front of D1 for webhook records, keyed by the SHA-256 digest of the URL's token:
//! the isolate's memory (records, and tokens recently found unknown), then KV.
//!
//! Neither is consistent with D1 (KV is eventually consistent across locations, and other
//! isolates keep their memory); `hooks` explains why a stale record can do no harm. KV failures
//! never fail a request: KV only saves lookups.

use std::cell::RefCell;

use hookmap_core::expiring::Expiring;
use hookmap_core::held::{Held, Limits};
use worker::Env;

use crate::db;
use crate::hook::HookRecord;
use crate::log;

/// Seconds a cached record may serve before it is read from D1 again.
const CACHE_TTL: u64 = 300;

/// Milliseconds a record stays in an isolate's memory, and how much it holds. An isolate serves
/// many requests in a row, so a hot webhook costs no lookup at all; the bounds keep a flood of
/// distinct tokens, or one tenant's large records, from growing the isolate (every tenant's
/// webhooks share it): at most 512 records and 8 MiB of them, each at most [`MAX_RECORD_BYTES`].
const MEMORY_TTL_MS: u64 = 60_000;
const MEMORY: Limits = Limits {
    entries: 512,
    bytes: 8 * 1024 * 1024,
    entry_bytes: MAX_RECORD_BYTES,
};

/// The largest record (as JSON) either cache keeps: a larger one is read from D1 each time. The
/// caps on what a record carries (100 user fields, 32 currencies, 50 mapping rows, a 4000-character
/// template) keep a real record well under it.
pub const MAX_RECORD_BYTES: usize = 64 * 1024;

/// Milliseconds an unknown token stays known as unknown, and how many are remembered: short, so
/// that a webhook created through another isolate is found within seconds.
const MISS_TTL_MS: u64 = 5_000;
const MISS_ENTRIES: usize = 1024;

thread_local! {
    static RECORDS: RefCell<Held<HookRecord>> = RefCell::new(Held::new(MEMORY));
    static MISSES: RefCell<Expiring> = RefCell::new(Expiring::new(MISS_ENTRIES));
}

fn now_ms() -> u64 {
    worker::Date::now().as_millis()
}

/// The record as the caches keep it: its JSON text. `None` when it is over
/// [`MAX_RECORD_BYTES`] (then it is cached nowhere) or cannot be written.
pub fn encoded(record: &HookRecord) -> Option<String> {
    serde_json::to_string(record)
        .ok()
        .filter(|text| text.len() <= MAX_RECORD_BYTES)
}

/// Keeps `record` in this isolate's memory, counted as `bytes` (its JSON length); a record over
/// [`MAX_RECORD_BYTES`] is not kept, and what the digest held goes.
pub fn remember(digest: &str, record: &HookRecord, bytes: usize) {
    let now = now_ms();
    RECORDS.with(|m| {
        m.borrow_mut()
            .hold(digest, record.clone(), bytes, now + MEMORY_TTL_MS, now)
    });
}

pub fn recall(digest: &str) -> Option<HookRecord> {
    let now = now_ms();
    RECORDS.with(|m| m.borrow().get(digest, now).cloned())
}

/// Drops this isolate's record for the digest (KV's copy expires within its TTL).
pub fn forget_here(digest: &str) {
    RECORDS.with(|m| m.borrow_mut().forget(digest));
}

/// Remembers that no webhook has the token of this digest, for a few seconds; a record this
/// isolate still held for it (a webhook deleted through another isolate) goes.
pub fn note_miss(digest: &str) {
    forget_here(digest);
    let now = now_ms();
    MISSES.with(|m| m.borrow_mut().remember(digest, now + MISS_TTL_MS, now));
}

pub fn missed_recently(digest: &str) -> bool {
    let now = now_ms();
    MISSES.with(|m| m.borrow().holds(digest, now))
}

fn cache_key(digest: &str) -> String {
    format!("hook:{digest}")
}

/// A webhook was just created with the token of this digest: this isolate stops calling it
/// unknown at once (others within the miss TTL).
pub fn created(digest: &str) {
    MISSES.with(|m| m.borrow_mut().forget(digest));
}

/// Drops cached records, by token digest, so this isolate and location see a change at once
/// (others within their TTLs, and the version check keeps them from applying anything stale
/// meanwhile). A KV delete that fails is logged: the record it leaves expires within the cache
/// TTL and cannot apply a stale plan.
pub async fn forget(env: &Env, digests: &[String]) {
    for digest in digests {
        RECORDS.with(|m| m.borrow_mut().forget(digest));
        let Some(kv) = best_effort("kv_delete", env.kv("CACHE"), |op, e| report(env, op, e)) else {
            return;
        };
        db::trip(db::Store::Kv);
        let deleted = kv.delete(&cache_key(digest)).await;
        best_effort("kv_delete", deleted, |op, e| report(env, op, e));
    }
}

/// The record KV holds for the digest, with its JSON length. One over [`MAX_RECORD_BYTES`] (written
/// before the bound) is a miss, as is one this version cannot read: D1 answers.
pub async fn kv_get(env: &Env, digest: &str) -> Option<(HookRecord, usize)> {
    let kv = best_effort("kv_get", env.kv("CACHE"), |op, e| report(env, op, e))?;
    db::trip(db::Store::Kv);
    let text = best_effort(
        "kv_get",
        kv.get(&cache_key(digest)).text().await,
        |op, e| report(env, op, e),
    )??;
    if text.len() > MAX_RECORD_BYTES {
        return None;
    }
    Some((serde_json::from_str(&text).ok()?, text.len()))
}

/// Writes a record's JSON text (see [`encoded`]) to KV.
pub async fn kv_put(env: &Env, digest: &str, text: String) {
    let Some(kv) = best_effort("kv_put", env.kv("CACHE"), |op, e| report(env, op, e)) else {
        return;
    };
    db::trip(db::Store::Kv);
    let put = match kv.put(&cache_key(digest), text) {
        Ok(put) => put.expiration_ttl(CACHE_TTL).execute().await,
        Err(e) => Err(e),
    };
    best_effort("kv_put", put, |op, e| report(env, op, e));
}

/// KV only saves lookups, so it never fails a request: a read that fails is a miss (D1
/// answers), and a write or delete that fails leaves D1 the truth it always is. `report` gets the
/// failure (the log).
pub fn best_effort<T, E: std::fmt::Display>(
    op: &'static str,
    result: Result<T, E>,
    report: impl FnOnce(&'static str, String),
) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(e) => {
            report(op, e.to_string());
            None
        }
    }
}

pub fn report(env: &Env, op: &'static str, error: String) {
    log::line(
        env,
        log::Level::Error,
        "cache_failed",
        &serde_json::json!({ "op": op, "cause": error }),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cache_failure_is_reported_and_treated_as_absent() {
        let mut reported = Vec::new();
        let got = best_effort("kv_get", Err::<String, _>("KV is down"), |op, e| {
            reported.push(format!("{op}: {e}"))
        });
        assert_eq!(got, None);
        assert_eq!(reported, ["kv_get: KV is down"]);
    }

    #[test]
    fn a_cache_success_is_passed_on_and_not_reported() {
        let mut reported = 0;
        let got = best_effort("kv_put", Ok::<_, String>(7), |_, _| reported += 1);
        assert_eq!((got, reported), (Some(7), 0));
    }
}
