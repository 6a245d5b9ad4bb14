//! A delivery that did not apply (failed or pending), recorded in the history.

use hookmap_core::event::EventType;
use hookmap_core::{quota, DeliveryStatus, StorageRefusal};

use super::{count, refusal, release_held_key, replay_link, Budget, DeliveryMeta, Refusal};
use crate::db::{self, Db};
use crate::error::{ApiError, ApiResult};
use crate::health;

/// A delivery that did not apply, as the history keeps it.
pub struct Unapplied<'a> {
    /// Failed or pending.
    pub status: DeliveryStatus,
    pub error: Option<&'a ApiError>,
    pub idempotency_key: Option<&'a str>,
    /// The verified signature's replay guard, claimed when the delivery is replayed.
    pub guard: Option<&'a str>,
    pub effects: Option<&'a str>,
    pub budget: Budget,
}

/// What became of the record of a delivery that did not apply.
#[derive(Debug)]
pub enum Written {
    /// With the event to send, when the failure made its webhook failing (`health`).
    Recorded(Option<EventType>),
    /// Its budget refused it: nothing was written.
    OverBudget,
    /// The webhook changed since the record the delivery was judged by: nothing was written, and
    /// the delivery must be judged again by the current one (migration 0020).
    Outdated,
}

/// Records a delivery that did not apply (failed or pending), counted in its budget: one batch,
/// and a failure writes nothing else; see [`Written`] for when nothing is written.
///
/// A failure keeps only the first `failed_payload_bytes` of its payload (the community's quota),
/// marked truncated: failures are what a flood of junk makes. A pending delivery keeps its
/// payload whole: it is the catch a mapping is built from, and what is replayed once there is one.
pub async fn record_unapplied(
    db: Db<'_>,
    meta: &DeliveryMeta<'_>,
    unapplied: &Unapplied<'_>,
) -> ApiResult<Written> {
    let error = unapplied.error;
    let at = error.and_then(|e| e.at.as_deref());
    let (payload, truncated) = match meta.payload {
        Some(text) if unapplied.status == DeliveryStatus::Failed => {
            let cap = usize::try_from(meta.hook.failed_payload_bytes).unwrap_or(0);
            let (kept, cut) = quota::cut(text, cap);
            (Some(kept), cut)
        }
        other => (other, false),
    };
    let mut batch = count(meta, unapplied.budget);
    batch.push(db::stmt(
        "INSERT INTO deliveries (id, seq, community_id, webhook_id, webhook_version, status, http_status,
            error_code, error_message, error_at, idempotency_key, payload, effects, replay_of, created_at, payload_truncated, signed_guard,
            headers)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
        &crate::args![
            &meta.id,
            meta.seq,
            &meta.hook.community_id,
            &meta.hook.id,
            meta.hook.version,
            unapplied.status.as_str(),
            i64::from(error.map_or(202, |e| e.status)),
            error.map(|e| e.code),
            error.map(|e| e.message.as_str()),
            at,
            unapplied.idempotency_key,
            payload,
            unapplied.effects,
            meta.replay_of,
            &meta.now,
            truncated,
            unapplied.guard,
            meta.headers
        ],
    ));
    batch.extend(replay_link(meta));
    batch.extend(release_held_key(meta));
    // A failure of the sender's own counts on the webhook's health (never an outsider's refused
    // key or signature); a pending delivery, a catch, says nothing of it.
    let counts = unapplied.status == DeliveryStatus::Failed
        && meta.replay_of.is_none()
        && hookmap_core::health::failure_counts(
            unapplied.budget == Budget::Failures,
            meta.hook.proves_sender(),
        );
    let judged_at = match (counts, error) {
        (true, Some(e)) => {
            batch.extend(health::counted(meta, Some(e.code)));
            Some(batch.len() - 1)
        }
        _ => None,
    };
    match db::batch(db, batch).await {
        Ok(results) => Ok(Written::Recorded(match judged_at {
            Some(at) => health::changed(db::outcome(&results, at)?, true)?,
            None => None,
        })),
        Err(e) => match refusal(&e) {
            Some(
                Refusal::Raised(StorageRefusal::RateLimited)
                | Refusal::Raised(StorageRefusal::TooManyFailures),
            ) => Ok(Written::OverBudget),
            Some(Refusal::Raised(StorageRefusal::StaleWebhook)) => Ok(Written::Outdated),
            _ => Err(e.into()),
        },
    }
}
