//! `shadow`: an edited mapping replayed, in the admin's browser, over a webhook's stored
//! deliveries, before it is saved. Per delivery: what happened then (status, error, effects) and
//! what the new mapping's plan would be, with a [`ShadowKind`] that compares the two. Nothing is
//! applied and nothing is sent: this is planning only, the step the mapping decides.
//!
//! What planning cannot tell is never claimed. Storage may refuse a plan (no such member, a
//! balance below zero, a channel gone...), and whether it would now depends on the community as
//! it is, which only a replay finds out. So a delivery whose stored failure came after planning
//! is [`ShadowKind::FailedAfterPlanning`], not [`ShadowKind::WouldSucceed`].
//!
//! Not compared, because a stored delivery does not keep them: the member (a delivery names it by
//! `user_id`, a plan by email or username), the message text (the delivery keeps its id only)
//! and the idempotency key. The new plan carries all three, for the page to show.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind, Result};
use crate::expr::Input;
use crate::plan::Plan;
use crate::stored::HistoryStatus;
use crate::vocabulary::{quoted_or, vocabulary};

vocabulary! {
    /// How a stored delivery's outcome compares with the new mapping's, one per delivery.
    pub enum ShadowKind {
        /// Stored as a success, and the new mapping plans the very effects it applied. Effects
        /// on different targets are compared regardless of order (one atomic batch applies them
        /// and each moves its own balance or field); on one target, in order.
        Same = "same",
        /// Stored as a success; the new mapping plans too, but other effects: other amounts,
        /// values, targets, or another order on one target.
        EffectsChange = "effects_change",
        /// Stored as failed at planning (a mapping error: `missing_path`, `wrong_type`...) or as
        /// pending (no mapping then), and the new mapping plans. Storage may still refuse the
        /// plan when replayed (the member must exist, balances stay at or above zero).
        WouldSucceed = "would_succeed",
        /// Stored as a success or pending, and the new mapping fails at planning: `new.error`.
        WouldFail = "would_fail",
        /// Stored as failed, and the new mapping fails at planning too.
        StillFails = "still_fails",
        /// The new mapping's filter turns it away; it was not filtered before.
        WouldFilter = "would_filter",
        /// Stored as failed after its plan was made: storage refused it (`unknown_member`,
        /// `insufficient_balance`, `unknown_channel`, `topic_required`...) or its idempotency
        /// keys disagreed. A mapping does not decide that: the new one plans (`effects_changed`
        /// says whether its effects differ), and only a replay tells whether it would apply now.
        FailedAfterPlanning = "failed_after_planning",
        /// Already replayed (`replayed_as`): the replay is a delivery of its own, judged on its
        /// own row, so this one is not counted twice. `new` is still computed, for reference,
        /// when the payload is there.
        Replayed = "replayed",
        /// The payload is gone (expired), cut to the failure quota (truncated) or absent (not
        /// requested with `include=payload`, or never decoded): nothing to replay. `new` is null.
        NoPayload = "no_payload",
    }
}

/// What the shadow reads of one `Delivery` of the history (`GET .../deliveries?include=payload`);
/// every other field of it is ignored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredDelivery {
    pub id: String,
    pub status: HistoryStatus,
    pub error: Option<StoredError>,
    /// Applied, or for a failure the planned effects when planning got that far.
    pub effects: Option<Value>,
    pub created_at: Option<String>,
    /// Absent and JSON null read alike: either way there is nothing to plan.
    pub payload: Option<Value>,
    pub payload_truncated: bool,
    pub payload_expired: bool,
    /// The request's allow-listed headers, which expressions read as the edge did.
    pub headers: Option<Value>,
}

/// A stored delivery's error, as the history shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredError {
    pub code: String,
    pub message: Option<String>,
    pub at: Option<String>,
}

/// Reads the history's list answer, `{"data": [Delivery...], ...}`, as its text: serde_json reads
/// the payloads' numbers exactly as the edge read them, which a JS round trip would not. Read from
/// the JSON value rather than derived: serde's typed deserializers would add 16 KB gzipped to the
/// page's engine (BENCHMARKS.md).
pub fn deliveries(text: &str) -> Result<Vec<StoredDelivery>> {
    let page: Value = serde_json::from_str(text).map_err(|e| {
        Error::new(
            ErrorKind::NotJson,
            format!("the deliveries cannot be read: {e}"),
        )
        .at("deliveries")
    })?;
    let items = page
        .get("data")
        .and_then(Value::as_array)
        .ok_or_else(|| unreadable("data", "must be a list of deliveries"))?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| StoredDelivery::from_json(item, &format!("data[{i}]")))
        .collect()
}

fn unreadable(at: &str, why: &str) -> Error {
    Error::new(
        ErrorKind::WrongType,
        format!("the deliveries cannot be read: {at} {why}"),
    )
    .at("deliveries")
}

impl StoredDelivery {
    fn from_json(value: &Value, at: &str) -> Result<Self> {
        let item = value
            .as_object()
            .ok_or_else(|| unreadable(at, "must be an object"))?;
        let status = text(item, "status", at)?.unwrap_or_default();
        let status = HistoryStatus::parse(&status).ok_or_else(|| {
            unreadable(
                &format!("{at}.status"),
                &format!("{status:?} is not {}", quoted_or(&HistoryStatus::NAMES)),
            )
        })?;
        let error = match present(item, "error") {
            None => None,
            Some(error) => Some(StoredError::from_json(error, &format!("{at}.error"))?),
        };
        Ok(Self {
            id: text(item, "id", at)?
                .ok_or_else(|| unreadable(&format!("{at}.id"), "is required"))?,
            status,
            error,
            effects: present(item, "effects").cloned(),
            created_at: text(item, "created_at", at)?,
            payload: present(item, "payload").cloned(),
            payload_truncated: flag(item, "payload_truncated", at)?,
            payload_expired: flag(item, "payload_expired", at)?,
            headers: present(item, "headers").cloned(),
        })
    }
}

impl StoredError {
    fn from_json(value: &Value, at: &str) -> Result<Self> {
        let error = value
            .as_object()
            .ok_or_else(|| unreadable(at, "must be an object"))?;
        Ok(Self {
            code: text(error, "code", at)?
                .ok_or_else(|| unreadable(&format!("{at}.code"), "is required"))?,
            message: text(error, "message", at)?,
            at: text(error, "at", at)?,
        })
    }
}

/// `obj[key]`, when it is there and not null: the history writes either for "none".
fn present<'v>(obj: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    obj.get(key).filter(|v| !v.is_null())
}

fn text(obj: &Map<String, Value>, key: &str, at: &str) -> Result<Option<String>> {
    present(obj, key)
        .map(|v| {
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| unreadable(&format!("{at}.{key}"), "must be a string"))
        })
        .transpose()
}

fn flag(obj: &Map<String, Value>, key: &str, at: &str) -> Result<bool> {
    present(obj, key).map_or(Ok(false), |v| {
        v.as_bool()
            .ok_or_else(|| unreadable(&format!("{at}.{key}"), "must be true or false"))
    })
}

/// One delivery, judged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub id: String,
    pub created_at: Option<String>,
    pub kind: ShadowKind,
    pub stored: Stored,
    /// What the new mapping makes of the payload; null for [`ShadowKind::NoPayload`].
    pub new: Option<Outcome>,
    /// Whether the new plan's effects differ from the stored ones (compared as for `same`); null
    /// when either side has none (a planning failure, a pending delivery, no payload).
    pub effects_changed: Option<bool>,
}

/// What happened to the delivery when it arrived.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stored {
    pub status: HistoryStatus,
    pub error: Option<StoredError>,
    pub effects: Option<Value>,
}

/// The new mapping's plan, or the error the edge would answer: exactly one is set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub plan: Option<Plan>,
    pub error: Option<Error>,
}

/// Every delivery's verdict, in the order given, and how many of each kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shadow {
    pub items: Vec<Verdict>,
    pub summary: Summary,
}

/// A count per [`ShadowKind`], every kind present (0 included), in the vocabulary's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary([usize; ShadowKind::ALL.len()]);

impl Summary {
    pub fn get(&self, kind: ShadowKind) -> usize {
        self.0.get(kind as usize).copied().unwrap_or(0)
    }

    fn add(&mut self, kind: ShadowKind) {
        if let Some(n) = self.0.get_mut(kind as usize) {
            *n += 1;
        }
    }
}

impl Serialize for Summary {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_map(ShadowKind::ALL.iter().map(|&k| (k.as_str(), self.get(k))))
    }
}

/// Judges each delivery with `plan`, the new mapping's planning (`|p| draft.plan(p)`, or the
/// mapping's error for every payload when it is not valid: then each success and pending
/// delivery is `would_fail` and each failure `still_fails`).
pub fn judge<F>(deliveries: &[StoredDelivery], plan: F) -> Shadow
where
    F: for<'p> Fn(Input<'p>) -> Result<Plan>,
{
    let mut summary = Summary::default();
    let items = deliveries
        .iter()
        .map(|d| {
            let verdict = verdict(d, &plan);
            summary.add(verdict.kind);
            verdict
        })
        .collect();
    Shadow { items, summary }
}

fn verdict<F>(d: &StoredDelivery, plan: &F) -> Verdict
where
    F: for<'p> Fn(Input<'p>) -> Result<Plan>,
{
    let payload = d
        .payload
        .as_ref()
        .filter(|_| !d.payload_truncated && !d.payload_expired);
    let input = |payload| Input {
        payload,
        headers: d.headers.as_ref(),
        received_at: d.created_at.as_deref(),
    };
    let new = payload.map(|p| match plan(input(p)) {
        Ok(plan) => Outcome {
            plan: Some(plan),
            error: None,
        },
        Err(e) => Outcome {
            plan: None,
            error: Some(e),
        },
    });
    let new_effects = new
        .as_ref()
        .and_then(|o| o.plan.as_ref())
        .map(|p| &p.effects);
    let effects_changed = match (&d.effects, new_effects) {
        (Some(stored), Some(planned)) => Some(!same_effects(stored, planned)),
        _ => None,
    };
    let filters = new
        .as_ref()
        .and_then(|o| o.plan.as_ref())
        .is_some_and(|p| p.filtered.is_some());
    let plans = new_effects.is_some() && !filters;
    let kind = match d.status {
        HistoryStatus::Replayed => ShadowKind::Replayed,
        _ if new.is_none() => ShadowKind::NoPayload,
        HistoryStatus::Filtered if filters => ShadowKind::Same,
        HistoryStatus::Filtered if plans => ShadowKind::WouldSucceed,
        HistoryStatus::Filtered => ShadowKind::WouldFail,
        _ if filters => ShadowKind::WouldFilter,
        HistoryStatus::Success if !plans => ShadowKind::WouldFail,
        HistoryStatus::Success if effects_changed == Some(false) => ShadowKind::Same,
        // A success without stored effects (none recorded) is compared with no effects at all.
        HistoryStatus::Success if d.effects.is_none() && new_effects.is_some_and(Vec::is_empty) => {
            ShadowKind::Same
        }
        HistoryStatus::Success => ShadowKind::EffectsChange,
        HistoryStatus::Pending if plans => ShadowKind::WouldSucceed,
        HistoryStatus::Pending => ShadowKind::WouldFail,
        HistoryStatus::Failed if !plans => ShadowKind::StillFails,
        HistoryStatus::Failed if failed_at_planning(d) => ShadowKind::WouldSucceed,
        HistoryStatus::Failed => ShadowKind::FailedAfterPlanning,
    };
    Verdict {
        id: d.id.clone(),
        created_at: d.created_at.clone(),
        kind,
        stored: Stored {
            status: d.status,
            error: d.error.clone(),
            effects: d.effects.clone(),
        },
        new,
        effects_changed,
    }
}

/// Whether the stored failure was the mapping's: a planning code and no planned effects. Storage
/// refusals keep the planned effects, which tells its `unknown_field` (a field deleted between
/// planning and applying) from planning's; a code this build does not know is not claimed.
fn failed_at_planning(d: &StoredDelivery) -> bool {
    let planning = d
        .error
        .as_ref()
        .and_then(|e| ErrorKind::parse(&e.code))
        .is_some_and(ErrorKind::is_planning);
    planning && d.effects.is_none()
}

/// Effects compared per target (a currency, a field), in order within each target, regardless of
/// the order between targets: see [`ShadowKind::Same`].
fn same_effects(stored: &Value, planned: &[crate::plan::Effect]) -> bool {
    let Value::Array(stored) = stored else {
        return false;
    };
    let planned: Vec<Value> = planned
        .iter()
        .map(|e| serde_json::to_value(e).unwrap_or(Value::Null))
        .collect();
    stored.len() == planned.len() && by_target(stored) == by_target(&planned)
}

fn by_target(effects: &[Value]) -> BTreeMap<String, Vec<&Value>> {
    let mut out: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for effect in effects {
        let name = |key: &str| effect.get(key).and_then(Value::as_str);
        let target = match (name("kind"), name("currency"), name("field")) {
            (Some(kind), Some(c), _) | (Some(kind), None, Some(c)) => format!("{kind}:{c}"),
            // Not an effect this build writes: it stands for itself.
            _ => effect.to_string(),
        };
        out.entry(target).or_default().push(effect);
    }
    out
}

#[cfg(test)]
#[path = "shadow_tests.rs"]
mod tests;
