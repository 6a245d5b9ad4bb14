//! What the sender is answered: made from a recorded outcome, writing nothing.

use hookmap_core::joining;
use hookmap_core::{DeliveryStatus, HistoryStatus};
use serde_json::{json, Value};
use worker::Response;

use super::outcome::Outcome;
use super::record::Recorded;
use super::refusal::{member_joined, rate_limited, webhook_changed};
use crate::error::{ApiError, ApiResult};
use crate::hook::HookRecord;
use crate::http;

/// Every answer about a recorded delivery names it in this header (as in its body), so a sender's
/// HTTP log holds the id an admin looks up; the request log reads it from there too.
pub const DELIVERY_ID_HEADER: &str = "hookmap-delivery-id";

/// The error code the request log shows for this answer.
pub fn error_code(recorded: &Recorded) -> Option<&'static str> {
    match recorded {
        Recorded::Failed { told, .. } | Recorded::Refused(told) => Some(told.code),
        Recorded::Unwritten(outcome) => match outcome.as_ref() {
            Outcome::Failed(f) => Some(f.told.code),
            Outcome::Applied { .. }
            | Outcome::Duplicate { .. }
            | Outcome::DryRun(_)
            | Outcome::RateLimited
            | Outcome::Pending { .. }
            | Outcome::Held(_) => None,
        },
        Recorded::Outdated => Some(webhook_changed().code),
        Recorded::MemberJoined => Some(member_joined().code),
        Recorded::Pending { .. } | Recorded::Held { .. } => None,
    }
}

/// How much an answer about a delivery that applied tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Told {
    /// A proved sender (the webhook's API key or signature) or an admin: the member, the effects,
    /// the message.
    Everything,
    /// Anyone holding the URL of a webhook that checks neither: the delivery's id and status only,
    /// so the answer is no lookup of a member's balances (issue 27). The history keeps the rest.
    IdAndStatus,
}

impl Told {
    /// What a sender that passed `hook`'s checks is told.
    pub fn to(hook: &HookRecord) -> Self {
        match hook.proves_sender() {
            true => Self::Everything,
            false => Self::IdAndStatus,
        }
    }
}

pub fn answer(recorded: Recorded, told: Told) -> ApiResult<Response> {
    let outcome = match recorded {
        Recorded::Pending { delivery_id } => {
            let response = http::json(
                202,
                &json!({
                    "delivery_id": delivery_id, "status": DeliveryStatus::Pending,
                    "message": "the webhook has no mapping yet: the payload was caught; build a mapping from it and replay this delivery",
                }),
            )?;
            return naming(response, &delivery_id);
        }
        // A proved sender's (holding needs one) or an admin's: it learns the member is unknown,
        // as a failure would have told it.
        Recorded::Held {
            delivery_id,
            message,
        } => {
            let response = http::json(
                202,
                &json!({
                    "delivery_id": delivery_id, "status": DeliveryStatus::Pending, "held": true,
                    "reason": joining::HELD_REASON, "message": message,
                }),
            )?;
            return naming(response, &delivery_id);
        }
        Recorded::MemberJoined => return member_joined().into_response().map_err(ApiError::from),
        Recorded::Failed {
            delivery_id, told, ..
        } => {
            let mut body = told.body();
            if let Some(obj) = body.as_object_mut() {
                obj.insert("delivery_id".into(), Value::String(delivery_id.clone()));
            }
            return naming(told.response(&body)?, &delivery_id);
        }
        Recorded::Refused(error) => return error.into_response().map_err(ApiError::from),
        Recorded::Outdated => return webhook_changed().into_response().map_err(ApiError::from),
        Recorded::Unwritten(outcome) => *outcome,
    };
    match outcome {
        // The filter's reason is the admin's (their mapping), kept in the history: the sender
        // learns only that nothing was applied, and that retrying will not change that.
        Outcome::Applied {
            delivery_id, plan, ..
        } if plan.filtered.is_some() => {
            let response = http::json(
                200,
                &json!({
                    "delivery_id": delivery_id, "status": HistoryStatus::Filtered, "filtered": true,
                    "duplicate": false, "idempotency_key": plan.idempotency_key,
                }),
            )?;
            naming(response, &delivery_id)
        }
        Outcome::Applied {
            delivery_id,
            plan,
            balances,
            message_id,
            ..
        } => {
            let body = match told {
                Told::IdAndStatus => {
                    json!({"delivery_id": delivery_id, "status": DeliveryStatus::Success})
                }
                Told::Everything => {
                    let message = plan.message.as_ref().zip(message_id).map(|(m, id)| {
                        json!({"id": id, "channel_id": m.channel, "topic": m.topic, "text": m.text})
                    });
                    json!({
                        "delivery_id": delivery_id, "status": DeliveryStatus::Success, "duplicate": false,
                        "idempotency_key": plan.idempotency_key, "member": balances, "effects": plan.effects,
                        "message": message,
                    })
                }
            };
            naming(http::json(200, &body)?, &delivery_id)
        }
        Outcome::Duplicate { first } => {
            let id = first.get("delivery_id").and_then(Value::as_str);
            // A filtered or held first delivery's answer names no member: anyone may read it
            // whole. A held one is still pending: 202, as its first answer was.
            let filtered = first.get("filtered").is_some();
            let held = first.get("held").is_some();
            let response = match told {
                Told::IdAndStatus if !filtered && !held => http::json(
                    200,
                    &json!({"delivery_id": id, "status": DeliveryStatus::Success}),
                )?,
                Told::IdAndStatus | Told::Everything => {
                    http::json(if held { 202 } else { 200 }, &first)?
                }
            };
            match id {
                Some(id) => naming(response, id),
                None => Ok(response),
            }
        }
        // A dry run that would be held answers as a held delivery does: 202.
        Outcome::DryRun(body) => {
            http::json(if body.get("held").is_some() { 202 } else { 200 }, &body)
        }
        Outcome::RateLimited => rate_limited().into_response().map_err(ApiError::from),
        // Unwritten, so a dry run's.
        Outcome::Pending { payload, .. } => http::json(
            202,
            &json!({
                "dry_run": true, "status": DeliveryStatus::Pending, "message": "the webhook has no mapping yet: the payload would be caught",
                "payload": serde_json::from_str::<Value>(&payload).unwrap_or(Value::Null),
            }),
        ),
        Outcome::Failed(failure) => failure.told.into_response().map_err(ApiError::from),
        // A dry run applies nothing, so it never reaches storage's unknown member.
        Outcome::Held(_) => Err(ApiError::internal("a held delivery was not recorded")),
    }
}

fn naming(mut response: Response, delivery_id: &str) -> ApiResult<Response> {
    response
        .headers_mut()
        .set(DELIVERY_ID_HEADER, delivery_id)?;
    Ok(response)
}
