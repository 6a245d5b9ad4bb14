//! A delivery held for a member who has not joined yet (`hookmap_core::joining`).

use hookmap_core::joining;
use hookmap_core::{DeliveryStatus, MatchBy, StorageRefusal};

use super::{count, refusal, Budget, DeliveryMeta, Refusal};
use crate::db::{self, Db};
use crate::error::ApiResult;

/// What makes a delivery held, written as the partial index `deliveries_held` (migration 0025)
/// writes it: in literals, not bound parameters, or SQLite cannot use that index.
pub const HELD_WHERE: &str =
    "status = 'pending' AND error_code = 'member_unknown' AND replayed_as IS NULL";

/// A delivery to hold for a member who has not joined (`hookmap_core::joining`).
pub struct ToHold<'a> {
    pub by: MatchBy,
    /// The identifier as planned (an email lowercased).
    pub member: &'a str,
    pub idempotency_key: Option<&'a str>,
    pub guard: Option<&'a str>,
    pub message: &'a str,
}

/// What became of holding a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeldWritten {
    Held,
    /// Its budget refused it: nothing was written.
    OverBudget,
    /// The webhook changed since its record was read (as [`Written::Outdated`]).
    Outdated,
    /// Its idempotency key is taken (by a success, or by the same delivery held a moment ago).
    Duplicate,
    /// The member was created since the apply batch found none: nothing was written; the
    /// delivery is to be applied again.
    MemberJoined,
    /// The community holds its `held_deliveries` quota already: nothing was written.
    Full,
}

/// Records a held delivery: pending, with the reason `member_unknown`, its payload whole, owning
/// its idempotency key (a retry is its duplicate). The row is written only while no member has
/// the identifier and the community holds fewer than its quota, both judged inside the INSERT: a
/// member created between the apply batch and this one is never missed (the creation reads the
/// held deliveries after its own INSERT, and this one sees that member), and concurrent holds
/// cannot overshoot the quota.
pub async fn record_held(
    db: Db<'_>,
    meta: &DeliveryMeta<'_>,
    held: &ToHold<'_>,
) -> ApiResult<HeldWritten> {
    let mut batch = count(meta, Budget::Rate);
    let inserted_at = batch.len();
    batch.push(db::stmt(
        &format!(
            "INSERT INTO deliveries (id, seq, community_id, webhook_id, webhook_version, status, http_status,
                error_code, error_message, idempotency_key, payload, replay_of, created_at, signed_guard,
                headers, member, member_by)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, 202, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16
              WHERE NOT EXISTS (SELECT 1 FROM users WHERE community_id = ?3 AND {} = ?15)
                AND (SELECT COUNT(*) FROM deliveries WHERE community_id = ?3 AND {}) < ?17",
            held.by.as_str(),
            HELD_WHERE
        ),
        &crate::args![
            &meta.id,
            meta.seq,
            &meta.hook.community_id,
            &meta.hook.id,
            meta.hook.version,
            DeliveryStatus::Pending.as_str(),
            joining::HELD_REASON,
            held.message,
            held.idempotency_key,
            meta.payload,
            meta.replay_of,
            &meta.now,
            held.guard,
            meta.headers,
            held.member,
            held.by.as_str(),
            meta.hook.held_deliveries
        ],
    ));
    let written = "EXISTS (SELECT 1 FROM deliveries WHERE id = ?3)";
    if let Some(key) = held.idempotency_key {
        batch.push(db::stmt(
            &format!(
                "INSERT INTO idempotency_keys (webhook_id, key, delivery_id, created_at)
                 SELECT ?1, ?2, ?3, ?4 WHERE {written}"
            ),
            &crate::args![&meta.hook.id, key, &meta.id, &meta.now],
        ));
    }
    if let Some(original) = meta.replay_of {
        // A replay of a delivery that was not held (a failure from before the policy): the
        // original names it, and gives up nothing (it owned no key).
        batch.push(db::stmt(
            &format!(
                "UPDATE deliveries SET replayed_as = ?3 WHERE id = ?1 AND ?2 = ?2 AND {written}"
            ),
            &crate::args![original, &meta.hook.id, &meta.id],
        ));
    }
    let results = match db::batch(db, batch).await {
        Ok(results) => results,
        Err(e) => {
            return match refusal(&e) {
                Some(
                    Refusal::Raised(StorageRefusal::RateLimited)
                    | Refusal::Raised(StorageRefusal::TooManyFailures),
                ) => Ok(HeldWritten::OverBudget),
                Some(Refusal::Raised(StorageRefusal::StaleWebhook)) => Ok(HeldWritten::Outdated),
                Some(Refusal::Duplicate) => Ok(HeldWritten::Duplicate),
                _ => Err(e.into()),
            }
        }
    };
    let inserted = results.get(inserted_at).map(|r| r.changes).unwrap_or(0);
    if inserted > 0 {
        return Ok(HeldWritten::Held);
    }
    let joined: Option<db::Count> = db::first(
        db,
        &format!(
            "SELECT COUNT(*) AS n FROM users WHERE community_id = ?1 AND {} = ?2",
            held.by.as_str()
        ),
        &crate::args![&meta.hook.community_id, held.member],
    )
    .await?;
    Ok(match joined.map_or(0, |c| c.n) {
        0 => HeldWritten::Full,
        _ => HeldWritten::MemberJoined,
    })
}

#[cfg(test)]
mod tests {
    use hookmap_core::joining::HELD_REASON;
    use hookmap_core::DeliveryStatus;

    use super::HELD_WHERE;

    #[test]
    fn held_is_spelled_as_the_partial_index_spells_it_with_the_core_words() {
        let migration = include_str!("../../../../migrations/0025_held_deliveries.sql");
        let index = migration
            .split("CREATE INDEX deliveries_held")
            .nth(1)
            .and_then(|rest| rest.split("WHERE").nth(1))
            .map(|w| {
                w.trim()
                    .trim_end_matches(';')
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            });
        assert_eq!(index.as_deref(), Some(HELD_WHERE));
        assert!(HELD_WHERE.contains(&format!("status = '{}'", DeliveryStatus::Pending.as_str())));
        assert!(HELD_WHERE.contains(&format!("error_code = '{HELD_REASON}'")));
    }
}
