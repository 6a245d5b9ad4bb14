//! Executing a plan: one batch in the community's database that writes the delivery, its effects,
//! their logs and its idempotency key, or nothing at all.
//!
//! Balances move with `SET amount = amount + ?`, never read-modify-write, so concurrent deliveries
//! lose no update; CHECK constraints keep them from going negative and the guard trigger refuses a
//! stale or disabled webhook and an unknown member, and the message guard an unknown channel, each
//! failure rolling the whole batch back.
//!
//! A delivery that applies goes through [`apply`]; one that does not is recorded by
//! [`record_unapplied`] (`unapplied`), or held for a member who has not joined by [`record_held`]
//! (`held`); each leads with the count of its webhook's minute (`budget`).

mod budget;
mod held;
mod unapplied;

use hookmap_core::event::EventType;
use hookmap_core::joining::NewMember;
use hookmap_core::{
    Currency, Effect, FieldValue, HistoryStatus, MatchBy, Op, Plan, StorageRefusal,
};

pub use budget::{count_dry_run, Budget, DryRunCount};
pub use held::{record_held, HeldWritten, ToHold, HELD_WHERE};
pub use unapplied::{record_unapplied, Unapplied, Written};

use crate::balances::{self, Member};
use crate::db::{self, Arg, Db};
use crate::error::{ApiError, ApiResult};
use crate::health;
use crate::hook::HookRecord;
use budget::count;

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
                Some(at) => health::changed(db::outcome(&results, at)?, false)?,
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
