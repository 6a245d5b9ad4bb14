//! The fourth stage and the fifth: plan a decoded payload with the webhook's mapping and settle its
//! idempotency key (`prepare`, pure: the edge runs it near the sender), then apply the plan in one
//! batch in the community's database (`settle`, in its object; or, for a dry run, compute what it
//! would do). Shared by the edge and by replays.

use hookmap_core::idempotency::{self, Keys as CoreKeys};
use hookmap_core::joining::{self, NewMember, Unknown};
use hookmap_core::{plan, DeliveryStatus, HistoryStatus, Plan, StorageRefusal};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::decode::{Decoded, Keys};
use super::dry_run;
use super::outcome::{Failure, Held, Outcome};
use super::refusal::refusal_error;
use crate::apply::{self, Applied, DeliveryMeta, Refusal};
use crate::db::{self, Db};
use crate::error::{ApiError, ApiResult};
use crate::hook::HookRecord;
use crate::quotas;
use hookmap_core::quota::Quota;

/// What planning hands the community's object, which settles it (`settle`): a delivery decided
/// already, to record, or a plan to apply. The edge plans near the sender; the object only writes.
#[derive(Clone, Serialize, Deserialize)]
pub enum Prepared {
    /// No mapping yet: the payload is caught with the keys it came with.
    Pending {
        payload: String,
        idempotency_key: Option<String>,
        guard: Option<String>,
        headers: Option<String>,
    },
    /// Boxed, as a plan is: the pending variant is small.
    Failed(Box<Failure>),
    Planned(Box<Planned>),
}

impl From<Failure> for Prepared {
    fn from(failure: Failure) -> Self {
        Self::Failed(Box::new(failure))
    }
}

/// A delivery planned, with what its settling needs besides the plan.
#[derive(Clone, Serialize, Deserialize)]
pub struct Planned {
    pub plan: Plan,
    /// The payload's JSON text, as the delivery keeps it.
    pub payload: String,
    pub headers: Option<String>,
    pub guard: Option<String>,
    /// The stored delivery a replay runs is held for a member who has not joined.
    pub stored_held: bool,
    /// The member to create when none has the plan's identifier (`on_unknown_member: "create"`),
    /// or why it cannot be.
    pub new_member: Option<Result<NewMember, ApiError>>,
}

/// Plans a decoded delivery and settles its idempotency key: pure, so the edge runs it and the
/// community's object receives only the result.
pub fn prepare(decoded: Decoded<'_>) -> Prepared {
    let (hook, replay_of) = (decoded.hook(), decoded.replay_of());
    let (mapping, payload, context, keys) = decoded.into_parts();
    let headers = context.headers_text();
    let guard = match &keys {
        Keys::Arrived { guard, .. } | Keys::Stored { guard, .. } => guard.clone(),
    };
    let stored_held = matches!(keys, Keys::Stored { held: true, .. });
    // A delivery that fails before its payload's key is known keeps the key the request itself
    // carries (a signed id, a header), so that its replay and the sender's retry are one delivery.
    let failed = |e: &hookmap_core::Error, payload: String| -> Prepared {
        let early = key(&keys, None).ok().flatten();
        Failure::core(e)
            .with_payload(payload, headers.clone())
            .with_keys((early, guard.clone()))
            .into()
    };
    let mapping = match mapping {
        None => {
            return match key(&keys, None) {
                Ok(idempotency_key) => Prepared::Pending {
                    payload: payload.text,
                    idempotency_key,
                    guard,
                    headers,
                },
                Err(e) => Failure::core(&e).with_payload(payload.text, headers).into(),
            }
        }
        Some(Ok(mapping)) => mapping,
        Some(Err(e)) => return failed(e, payload.text),
    };
    let input = context.input(&payload.value);
    let mut plan = match plan(mapping, input, hook.catalog().fields()) {
        Ok(plan) => plan,
        Err(e) => return failed(&e, payload.text),
    };
    plan.idempotency_key = match key(&keys, plan.idempotency_key.as_deref()) {
        Ok(key) => key,
        Err(e) => return Failure::core(&e).with_payload(payload.text, headers).into(),
    };
    // A replay without any key of its own still applies once, however often it is replayed.
    if let (Some(original), None) = (replay_of, &plan.idempotency_key) {
        plan.idempotency_key = Some(format!("replay:{original}"));
    }
    // A webhook that creates members who have not joined: the member to create, checked as the
    // users API checks one, goes into the batch, which creates it only if none has the identifier.
    let new_member = match verdict(hook, replay_of, stored_held) {
        Unknown::Create => plan
            .member
            .as_ref()
            .zip(mapping.user.as_ref())
            .map(|(member, user)| {
                joining::new_member(user, member, &payload.value).map_err(ApiError::from)
            }),
        Unknown::Fail | Unknown::Hold | Unknown::StillHeld => None,
    };
    Prepared::Planned(Box::new(Planned {
        plan,
        payload: payload.text,
        headers,
        guard,
        stored_held,
        new_member,
    }))
}

/// What a delivery for a member who has not joined gets (`hookmap_core::joining`). An admin's
/// replay proves its sender too.
fn verdict(hook: &HookRecord, replay_of: Option<&str>, stored_held: bool) -> Unknown {
    let proved = hook.proves_sender() || replay_of.is_some();
    joining::unknown_member(hook.on_unknown_member(), proved, stored_held)
}

/// Plans and applies a decoded delivery here (a replay's, in the API worker).
pub async fn run(db: Db<'_>, decoded: Decoded<'_>, dry_run: bool) -> ApiResult<Outcome> {
    let (hook, replay_of) = (decoded.hook(), decoded.replay_of());
    settle(db, hook, prepare(decoded), dry_run, replay_of).await
}

/// Applies a prepared delivery in the community's database (or, for a dry run, computes what it
/// would do): what it came to, recorded by `record` next.
pub async fn settle(
    db: Db<'_>,
    hook: &HookRecord,
    prepared: Prepared,
    dry_run: bool,
    replay_of: Option<&str>,
) -> ApiResult<Outcome> {
    let planned = match prepared {
        Prepared::Pending {
            payload,
            idempotency_key,
            guard,
            headers,
        } => {
            return Ok(Outcome::Pending {
                payload,
                idempotency_key,
                guard,
                headers,
            })
        }
        Prepared::Failed(failure) => return Ok((*failure).into()),
        Prepared::Planned(planned) => *planned,
    };
    let Planned {
        plan,
        payload,
        headers,
        guard,
        stored_held,
        new_member,
    } = planned;
    if dry_run {
        return dry_run::outcome(db, hook, plan, new_member).await;
    }
    let verdict = verdict(hook, replay_of, stored_held);
    let mut meta = DeliveryMeta::new(hook, Some(&payload), replay_of)?;
    meta.guard = guard.as_deref();
    meta.headers = headers.as_deref();
    meta.create = new_member.as_ref().and_then(|m| m.as_ref().ok());
    let applied = apply::apply(db, &meta, &plan).await?;
    if let (Applied::Refused(Refusal::Raised(StorageRefusal::UnknownMember)), Some(new_member)) =
        (&applied, &new_member)
    {
        // Not created: the new member was invalid, or the community created its hour's quota.
        let error = match new_member {
            Err(e) => e.clone(),
            Ok(_) => quotas::exceeded(Quota::MembersPerHour, hook.members_per_hour),
        };
        return Ok(Failure::new(error)
            .with_payload(payload, headers)
            .with_keys((plan.idempotency_key, guard))
            .into());
    }
    if let (Applied::Refused(Refusal::Raised(StorageRefusal::UnknownMember)), Some(member)) =
        (&applied, &plan.member)
    {
        if matches!(verdict, Unknown::Hold | Unknown::StillHeld) {
            return Ok(Outcome::Held(Held {
                by: member.by,
                member: member.value.clone(),
                payload,
                idempotency_key: plan.idempotency_key,
                guard,
                headers,
                already: replay_of
                    .filter(|_| verdict == Unknown::StillHeld)
                    .map(str::to_owned),
            }));
        }
    }
    match applied {
        Applied::Done {
            balances,
            message_id,
            created,
            alert,
            posted,
        } => Ok(Outcome::Applied {
            delivery_id: meta.id,
            plan,
            balances,
            message_id,
            created,
            alert,
            posted,
        }),
        Applied::Refused(Refusal::Duplicate) => {
            duplicate(db, hook, plan.idempotency_key.as_deref(), meta.guard).await
        }
        Applied::Refused(Refusal::Raised(StorageRefusal::RateLimited)) => Ok(Outcome::RateLimited),
        Applied::Refused(mut refusal) => {
            if refusal == Refusal::Insufficient(None) {
                refusal = Refusal::Insufficient(dry_run::overdrawn(db, hook, &plan).await?);
            }
            let mut failure = Failure::new(refusal_error(&refusal, &plan))
                .with_payload(payload, headers.clone())
                .with_keys((plan.idempotency_key, guard.clone()));
            failure.effects = serde_json::to_string(&plan.effects).ok();
            failure.stale_record = matches!(
                refusal,
                Refusal::Raised(StorageRefusal::WebhookDisabled)
                    | Refusal::Raised(StorageRefusal::WebhookGone)
                    | Refusal::Raised(StorageRefusal::StaleWebhook)
            );
            Ok(failure.into())
        }
    }
}

/// The delivery's one idempotency key, given the key its payload holds (if the mapping reads one).
fn key(keys: &Keys, payload: Option<&str>) -> hookmap_core::Result<Option<String>> {
    match keys {
        Keys::Arrived { signed, header, .. } => idempotency::resolve(CoreKeys {
            signed: signed.as_deref(),
            header: header.as_deref(),
            payload,
        }),
        Keys::Stored {
            key,
            signed_webhook,
            ..
        } => Ok(idempotency::for_replay(
            key.as_deref(),
            *signed_webhook,
            payload,
        )),
    }
}

/// The answer to a delivery whose key (or replay guard) was taken: the first delivery's outcome.
/// A delivery held for a member who has not joined owns its key while held: its repeat is
/// answered as held.
pub(super) async fn duplicate(
    db: Db<'_>,
    hook: &HookRecord,
    key: Option<&str>,
    guard: Option<&str>,
) -> ApiResult<Outcome> {
    #[derive(Deserialize)]
    struct First {
        id: String,
        status: String,
        user_id: Option<String>,
        message_id: Option<String>,
        effects: Option<String>,
        created_at: String,
    }
    let key = key.unwrap_or_default();
    let first: Option<First> = db::first(
        db,
        "SELECT d.id, d.status, d.user_id, d.message_id, d.effects, d.created_at FROM idempotency_keys k JOIN deliveries d ON d.id = k.delivery_id
          WHERE k.webhook_id = ?1 AND k.key IN (?2, ?3) ORDER BY d.seq LIMIT 1",
        &crate::args![&hook.id, key, guard.unwrap_or(key)],
    )
    .await?;
    let first = first
        .ok_or_else(|| ApiError::internal("idempotency key taken but its delivery is missing"))?;
    let effects: Value = first
        .effects
        .as_deref()
        .and_then(|e| serde_json::from_str(e).ok())
        .unwrap_or(Value::Null);
    // Only a success, a filtered delivery, or a held one takes a key.
    if first.status == DeliveryStatus::Pending.as_str() {
        return Ok(Outcome::Duplicate {
            first: json!({
                "delivery_id": first.id, "status": DeliveryStatus::Pending, "held": true,
                "reason": joining::HELD_REASON, "duplicate": true, "idempotency_key": key,
                "first_received_at": first.created_at,
            }),
        });
    }
    let filtered = first.status == HistoryStatus::Filtered.as_str();
    if filtered {
        return Ok(Outcome::Duplicate {
            first: json!({
                "delivery_id": first.id, "status": HistoryStatus::Filtered, "filtered": true,
                "duplicate": true, "idempotency_key": key, "first_received_at": first.created_at,
            }),
        });
    }
    Ok(Outcome::Duplicate {
        first: json!({
            "delivery_id": first.id, "status": HistoryStatus::Success, "duplicate": true, "idempotency_key": key,
            "member": first.user_id.map(|id| json!({"id": id})), "effects": effects,
            "message": first.message_id.map(|id| json!({"id": id})), "first_received_at": first.created_at,
        }),
    })
}
