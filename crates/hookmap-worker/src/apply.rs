//! Executing a plan: one D1 batch that writes the delivery, its effects, their logs and its
//! idempotency key, or nothing at all.
//!
//! Balances move with `SET amount = amount + ?`, never read-modify-write, so concurrent deliveries
//! lose no update; CHECK constraints keep them from going negative and the guard trigger refuses a
//! stale or disabled webhook and an unknown member, and the message guard an unknown channel, each
//! failure rolling the whole batch back.

use hookmap_core::event::EventType;
use hookmap_core::joining::{self, NewMember};
use hookmap_core::quota;
use hookmap_core::{
    Currency, DeliveryStatus, Effect, FieldValue, HistoryStatus, MatchBy, Op, Plan, StorageRefusal,
};

use crate::balances::{self, Member};
use crate::db::{self, Arg, Db};
use crate::error::{ApiError, ApiResult};
use crate::health;
use crate::hook::HookRecord;

/// What a delivery is about, shared by successes and failures.
#[derive(Debug, Clone)]
pub struct DeliveryMeta<'a> {
    pub id: String,
    pub seq: i64,
    pub now: String,
    pub hook: &'a HookRecord,
    /// The payload's JSON text as it arrived (decrypted).
    pub payload: Option<&'a str>,
    pub replay_of: Option<&'a str>,
    /// A verified signature's replay guard (`hookmap_core::profile::Verified::guard`), claimed
    /// like a second idempotency key: the same signed bytes apply once, whatever id they carry.
    pub guard: Option<&'a str>,
    /// The request's allow-listed headers, as JSON text (`edge::decode::Context`).
    pub headers: Option<&'a str>,
    /// The member to create when none has the plan's identifier (`on_unknown_member: "create"`),
    /// in this batch, within the community's `members_per_hour`.
    pub create: Option<&'a NewMember>,
}

impl<'a> DeliveryMeta<'a> {
    /// A new delivery, received now.
    pub fn new(
        hook: &'a HookRecord,
        payload: Option<&'a str>,
        replay_of: Option<&'a str>,
    ) -> ApiResult<Self> {
        let (ms, now) = db::now();
        Ok(Self {
            id: db::new_id("dlv")?,
            seq: db::sequence(ms)?,
            now,
            hook,
            payload,
            replay_of,
            guard: None,
            headers: None,
            create: None,
        })
    }
}

/// Why an apply batch was refused, read off D1's error text: what a trigger raised, or a
/// constraint. `edge::refusal::refusal_error` is the one table of their answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A trigger's `hookmap:<name>`.
    Raised(StorageRefusal),
    Duplicate,
    /// A balance would go below zero: which one, when the refusal alone tells (see
    /// `edge::dry_run::overdrawn` for the others).
    Insufficient(Option<Currency>),
    /// A mapped user field was deleted since the plan was made (a foreign key).
    UnknownField,
    /// The member to create has an email or username another member has (`"email"`,
    /// `"username"`).
    IdentifierTaken(&'static str),
}

pub enum Applied {
    /// The member's new balances (when the plan names a member), the posted message's id, and
    /// the id of the member the batch created (`on_unknown_member: "create"`).
    Done {
        balances: Option<Member>,
        message_id: Option<String>,
        created: Option<String>,
        /// The webhook recovered with this delivery (`health`): the event that tells it.
        alert: Option<EventType>,
        /// The outgoing deliveries of the `message.posted` the batch wrote, to queue now that it
        /// has committed.
        posted: Vec<String>,
    },
    Refused(Refusal),
}

fn member_sql(by: MatchBy) -> String {
    format!(
        "(SELECT id FROM users WHERE community_id = ?3 AND {} = ?9)",
        by.as_str()
    )
}

pub async fn apply(db: Db<'_>, meta: &DeliveryMeta<'_>, plan: &Plan) -> ApiResult<Applied> {
    let effects = serde_json::to_string(&plan.effects).map_err(ApiError::internal)?;
    let user = "(SELECT user_id FROM deliveries WHERE id = ?1)";
    let message_id = plan
        .message
        .as_ref()
        .map(|_| db::new_id("msg"))
        .transpose()?;
    let mut batch = count(meta, Budget::Rate);
    // The member this batch may create: it did when the delivery's member is this one.
    let new_id = meta.create.map(|_| db::new_id("usr")).transpose()?;
    if let (Some(new), Some(member), Some(new_id)) = (meta.create, &plan.member, &new_id) {
        // Only while no member has the identifier, and within the hour's quota; the member
        // subquery of the delivery's INSERT below then finds them.
        let hour_ago = db::iso(
            u64::try_from(meta.seq / 1000)
                .unwrap_or(0)
                .saturating_sub(3_600_000),
        );
        batch.push(db::stmt(
            &format!(
                "INSERT INTO users (id, community_id, email, username, created_at, created_by_delivery)
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6
                  WHERE NOT EXISTS (SELECT 1 FROM users WHERE community_id = ?2 AND {} = ?7)
                    AND (SELECT COUNT(*) FROM users WHERE community_id = ?2
                          AND created_by_delivery IS NOT NULL AND created_at > ?8) < ?9",
                member.by.as_str()
            ),
            &crate::args![
                new_id.as_str(),
                &meta.hook.community_id,
                new.email.as_str(),
                new.username.as_str(),
                &meta.now,
                &meta.id,
                member.value.as_str(),
                hour_ago.as_str(),
                meta.hook.members_per_hour
            ],
        ));
    }
    batch.push(db::stmt(
        &format!(
            "INSERT INTO deliveries (id, seq, community_id, webhook_id, webhook_version, status, http_status,
                user_id, member, message_id, idempotency_key, payload, effects, replay_of, created_at,
                error_message, headers)
             VALUES (?1, ?2, ?3, ?4, ?5, ?13, 200, {}, ?9, ?12, ?6, ?7, ?8, ?10, ?11, ?14, ?15)",
            plan.member.as_ref().map_or("NULL".into(), |m| member_sql(m.by))
        ),
        &crate::args![
            &meta.id,
            meta.seq,
            &meta.hook.community_id,
            &meta.hook.id,
            meta.hook.version,
            plan.idempotency_key.as_deref(),
            meta.payload,
            effects.as_str(),
            plan.member.as_ref().map(|m| m.value.as_str()),
            meta.replay_of,
            &meta.now,
            message_id.as_deref(),
            // A filtered delivery is written as a success is (its key taken, in its budget), with
            // the filter's reason.
            match plan.filtered {
                Some(_) => HistoryStatus::Filtered.as_str(),
                None => HistoryStatus::Success.as_str(),
            },
            plan.filtered.as_deref(),
            meta.headers
        ],
    ));
    batch.extend(replay_link(meta));
    batch.extend(release_held_key(meta));
    let mut posted_at = None;
    if let (Some(message), Some(id)) = (&plan.message, &message_id) {
        let data = serde_json::json!({
            "message": {"id": id, "channel_id": message.channel, "topic": message.topic, "text": message.text},
            "incoming_webhook_id": meta.hook.id, "delivery_id": meta.id,
        });
        let event_id = db::new_id("evt")?;
        let community = meta.hook.community_id.as_str();
        batch.extend(crate::outbox::posted(
            community,
            &event_id,
            &meta.id,
            &data,
            &message.channel,
            &meta.now,
        ));
        posted_at = Some(batch.len() - 1);
        batch.push(db::stmt(
            "INSERT INTO messages (id, seq, community_id, channel_id, topic, text, webhook_id, delivery_id, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            &crate::args![
                id.as_str(),
                meta.seq,
                &meta.hook.community_id,
                message.channel.as_str(),
                message.topic.as_deref(),
                message.text.as_str(),
                &meta.hook.id,
                &meta.id,
                &meta.now
            ],
        ));
    }
    for key in plan
        .idempotency_key
        .as_deref()
        .into_iter()
        .chain(meta.guard)
    {
        batch.push(db::stmt(
            "INSERT INTO idempotency_keys (webhook_id, key, delivery_id, created_at) VALUES (?1, ?2, ?3, ?4)",
            &crate::args![&meta.hook.id, key, &meta.id, &meta.now],
        ));
    }
    let action = meta.hook.name.as_str();
    for (n, effect) in plan.effects.iter().enumerate() {
        let row_id = format!("{}_{n}", meta.id);
        match effect {
            Effect::Currency { currency, .. } => {
                let delta = effect.currency_delta().map_or(0, |(_, d)| d);
                let key = currency.as_str();
                let community = meta.hook.community_id.as_str();
                batch.extend(balances::moved(&meta.id, community, key, delta));
                batch.push(db::stmt(
                    &format!(
                        "INSERT INTO gamification_logs (id, community_id, user_id, currency, delta, balance_after, action, delivery_id, created_at)
                         SELECT ?2, ?3, b.user_id, ?7, ?4, b.amount, ?5, ?1, ?6 FROM balances b
                          WHERE b.user_id = {user} AND b.currency = ?7"
                    ),
                    &crate::args![&meta.id, row_id.as_str(), community, delta, action, &meta.now, key],
                ));
            }
            Effect::Field {
                field, op, value, ..
            } => {
                let source = format!("webhook:{action}");
                batch.push(db::stmt(
                    "INSERT INTO user_field_histories (id, community_id, user_id, field_key, old_value, source, delivery_id, created_at)
                         SELECT ?2, ?3, d.user_id, ?4,
                                (SELECT value FROM user_field_values v WHERE v.user_id = d.user_id AND v.field_key = ?4),
                                ?5, ?1, ?6
                           FROM deliveries d WHERE d.id = ?1",
                    &crate::args![&meta.id, row_id.as_str(), &meta.hook.community_id, field.as_str(), source.as_str(), &meta.now],
                ));
                let (bound, update) = field_write(*op, value);
                batch.push(db::stmt(
                    &format!(
                        "INSERT INTO user_field_values (community_id, user_id, field_key, value, updated_at)
                         SELECT ?2, d.user_id, ?3, ?4, ?5 FROM deliveries d WHERE d.id = ?1
                         ON CONFLICT (user_id, field_key) DO UPDATE SET value = {update}, updated_at = excluded.updated_at"
                    ),
                    &[Arg::from(&meta.id), Arg::from(&meta.hook.community_id), Arg::from(field.as_str()), bound, Arg::from(&meta.now)],
                ));
                batch.push(db::stmt(
                    "UPDATE user_field_histories SET new_value =
                        (SELECT v.value FROM user_field_values v WHERE v.user_id = user_field_histories.user_id AND v.field_key = user_field_histories.field_key)
                      WHERE id = ?1",
                    &crate::args![row_id.as_str()],
                ));
            }
        }
    }
    // The sender's own deliveries count on the webhook's health; an admin's replays do not.
    let judged_at = match meta.replay_of {
        None => {
            batch.extend(health::counted(meta, None));
            Some(batch.len() - 1)
        }
        Some(_) => None,
    };
    if plan.member.is_some() {
        batch.push(db::stmt(
            balances::OF_DELIVERY_MEMBER,
            &crate::args![&meta.id],
        ));
    }
    match db::batch(db, batch).await {
        Ok(results) => {
            let alert = match judged_at {
                Some(at) => health::changed(results.get(at), false)?,
                None => None,
            };
            let balances = match plan.member {
                None => None,
                Some(_) => Some(
                    results
                        .last()
                        .map(|r| r.rows::<balances::Row>())
                        .transpose()?
                        .and_then(Member::from_rows)
                        .ok_or_else(|| {
                            ApiError::internal("the apply batch did not return the member")
                        })?,
                ),
            };
            // The member id of a member this batch created.
            let created = new_id.filter(|id| balances.as_ref().is_some_and(|m| &m.id == id));
            #[derive(serde::Deserialize)]
            struct Posted {
                id: String,
            }
            let posted = match posted_at.and_then(|at| results.get(at)) {
                Some(rows) => rows.rows::<Posted>()?.into_iter().map(|p| p.id).collect(),
                None => Vec::new(),
            };
            Ok(Applied::Done {
                balances,
                message_id,
                created,
                alert,
                posted,
            })
        }
        Err(e) => refusal(&e)
            .map(Applied::Refused)
            .ok_or_else(|| ApiError::internal(&e.text)),
    }
}

/// How an effect on a field writes: the value bound, and the upsert's `SET value = ...` over
/// `excluded.value`. Every operator is named: a new one must say how it writes. Only a number is
/// added to or subtracted from; the plan gives text and booleans only with overwrite, and any
/// operator on them writes the value.
pub fn field_write(op: Op, value: &FieldValue) -> (Arg<'_>, &'static str) {
    match (op, value) {
        (Op::Subtract, FieldValue::Number(n)) => (
            Arg::Num(-n.as_f64().unwrap_or(0.0)),
            "COALESCE(value, 0) + excluded.value",
        ),
        (Op::Add, FieldValue::Number(n)) => (
            Arg::Num(n.as_f64().unwrap_or(0.0)),
            "COALESCE(value, 0) + excluded.value",
        ),
        (Op::Overwrite, FieldValue::Number(n)) => {
            (Arg::Num(n.as_f64().unwrap_or(0.0)), "excluded.value")
        }
        (Op::Overwrite | Op::Add | Op::Subtract, FieldValue::Text(t)) => {
            (Arg::Text(t), "excluded.value")
        }
        (Op::Overwrite | Op::Add | Op::Subtract, FieldValue::Boolean(b)) => {
            (Arg::from(*b), "excluded.value")
        }
    }
}

/// Why a batch that moves balances and fields was refused, if storage said (see [`Refusal`]).
pub fn refusal(e: &db::Failed) -> Option<Refusal> {
    let text = e.text.as_str();
    let has = |needle: &str| text.contains(needle);
    if let Some(refused) = StorageRefusal::from_error_text(text) {
        return Some(Refusal::Raised(refused));
    }
    Some(if has("balance_not_negative") {
        Refusal::Insufficient(None)
    } else if has("UNIQUE") && has("users.email") {
        Refusal::IdentifierTaken("email")
    } else if has("UNIQUE") && has("users.username") {
        Refusal::IdentifierTaken("username")
    } else if has("idempotency_keys") && has("UNIQUE") {
        Refusal::Duplicate
    } else if has("FOREIGN KEY") {
        Refusal::UnknownField
    } else {
        return None;
    })
}

/// A replay's record names it on the delivery it replays, in the same batch: the history then
/// lists the original as `replayed` (`replayed_as`), and the pending list empties.
fn replay_link(meta: &DeliveryMeta<'_>) -> Vec<db::Statement> {
    let Some(original) = meta.replay_of else {
        return Vec::new();
    };
    vec![db::stmt(
        "UPDATE deliveries SET replayed_as = ?2 WHERE id = ?1",
        &crate::args![original, &meta.id],
    )]
}

/// A replay frees the key its original owned while it was held for a member who had not joined
/// (no other failed or pending delivery owns one), in the batch that records the replay and
/// before the replay claims it: whichever of two concurrent replays (two creations of the member,
/// a creation and an admin's replay) comes second finds the key taken by the first, a duplicate.
fn release_held_key(meta: &DeliveryMeta<'_>) -> Vec<db::Statement> {
    let Some(original) = meta.replay_of else {
        return Vec::new();
    };
    vec![db::stmt(
        "DELETE FROM idempotency_keys WHERE webhook_id = ?1 AND delivery_id = ?2",
        &crate::args![&meta.hook.id, original],
    )]
}

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
fn count(meta: &DeliveryMeta<'_>, budget: Budget) -> Vec<db::Statement> {
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
    let current = match results.get(2) {
        Some(rows) => rows.rows::<Current>()?.into_iter().next(),
        None => {
            return Err(ApiError::internal(
                "D1 batch returned fewer results than statements",
            ))
        }
    };
    Ok(match current {
        Some(c) if c.version == hook.version => DryRunCount::Counted,
        _ => DryRunCount::Outdated,
    })
}

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
            Some(at) => health::changed(results.get(at), true)?,
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
        let migration = include_str!("../../../migrations/0025_held_deliveries.sql");
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
