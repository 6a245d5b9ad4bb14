//! The per-minute counts a request spends in its webhook's windows, which lead every batch the
//! edge writes, and a dry run's count, which is all it writes.

use hookmap_core::StorageRefusal;

use super::{refusal, DeliveryMeta, Refusal};
use crate::db::{self, Db};
use crate::error::ApiResult;
use crate::hook::HookRecord;

/// Which per-minute count of its webhook a request spends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// The webhook's `rate_limit`: what its sender's requests spend.
    Rate,
    /// The failure budget: what requests whose sender was not proved spend, so that an outsider
    /// cannot use up the real sender's rate limit (see migrations/0009).
    Failures,
}

/// The statements that count a request in its webhook's one-minute window, leading every batch
/// the edge writes; the windows' triggers refuse the batch beyond the limit. Replays, which an
/// admin starts, are not counted.
pub(super) fn count(meta: &DeliveryMeta<'_>, budget: Budget) -> Vec<db::Statement> {
    if meta.replay_of.is_some() {
        return Vec::new();
    }
    let window = meta.seq / 1000 / 60_000;
    let table = match budget {
        Budget::Rate => "rate_windows",
        Budget::Failures => "failure_windows",
    };
    vec![
        db::stmt(
            &format!("DELETE FROM {table} WHERE webhook_id = ?1 AND window < ?2"),
            &crate::args![&meta.hook.id, window],
        ),
        db::stmt(
            &format!(
                "INSERT INTO {table} (webhook_id, window, count) VALUES (?1, ?2, 1)
                 ON CONFLICT (webhook_id, window) DO UPDATE SET count = count + 1"
            ),
            &crate::args![&meta.hook.id, window],
        ),
    ]
}

/// What counting a dry run in its webhook's `rate_limit` came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DryRunCount {
    Counted,
    /// Over the limit this minute: nothing was counted.
    RateLimited,
    /// The record is not D1's current one (the webhook changed, was disabled or deleted since it
    /// was read): nothing was counted.
    Outdated,
}

/// Counts a dry run in its webhook's one-minute window, as a delivery is counted, only while the
/// webhook is enabled at the record's version; reads the version back in the same batch. One
/// round trip: the dry run's check that its record (and so the credential it proved) still holds.
/// Every change to a webhook bumps its version (disabling it too); a record that says disabled at
/// the current version counts nothing and is refused as disabled by the next stage.
pub async fn count_dry_run(db: Db<'_>, hook: &HookRecord) -> ApiResult<DryRunCount> {
    #[derive(serde::Deserialize)]
    struct Current {
        version: i64,
    }
    let window = db::now().0 / 60_000;
    let window = i64::try_from(window).unwrap_or(i64::MAX);
    let batch = vec![
        db::stmt(
            "DELETE FROM rate_windows WHERE webhook_id = ?1 AND window < ?2",
            &crate::args![&hook.id, window],
        ),
        db::stmt(
            "INSERT INTO rate_windows (webhook_id, window, count)
             SELECT ?1, ?2, 1 WHERE EXISTS (SELECT 1 FROM incoming_webhooks WHERE id = ?1 AND version = ?3 AND enabled = 1)
             ON CONFLICT (webhook_id, window) DO UPDATE SET count = count + 1",
            &crate::args![&hook.id, window, hook.version],
        ),
        db::stmt(
            "SELECT version FROM incoming_webhooks WHERE id = ?1",
            &crate::args![&hook.id],
        ),
    ];
    let results = match db::batch(db, batch).await {
        Ok(results) => results,
        Err(e) => {
            return match refusal(&e) {
                Some(Refusal::Raised(StorageRefusal::RateLimited)) => Ok(DryRunCount::RateLimited),
                _ => Err(e.into()),
            }
        }
    };
    let current = db::outcome(&results, 2)?
        .rows::<Current>()?
        .into_iter()
        .next();
    Ok(match current {
        Some(c) if c.version == hook.version => DryRunCount::Counted,
        _ => DryRunCount::Outdated,
    })
}
