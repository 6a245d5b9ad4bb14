//! The event catalogue: what each built-in event means, who emits it and the JSON Schema of its
//! `data`; and the rules for the types a community registers itself (`payment.completed`).
//!
//! Built-in schemas are written in the same subset ([`crate::schema`]) communities use, and the
//! API checks published `data` against them as it does against a community's own.

use serde_json::{json, Value};

use crate::error::Result;
pub use crate::event::{check_name, is_name, EventType, MAX_NAME_LEN};
use crate::vocabulary::vocabulary;

/// Longest description of a registered type, in characters.
pub const MAX_DESCRIPTION_LEN: usize = 500;
/// How many types one community may register (built-ins not counted).
pub const MAX_EVENT_TYPES: usize = 50;

vocabulary! {
    /// Who sends an event type out.
    pub enum Emitter {
        /// hookmap itself (a member created, a chat webhook's message, the test ping).
        Hookmap = "hookmap",
        /// The rest of the platform, through `POST .../events`: some built-ins, every custom type.
        Api = "api",
    }
}

/// One built-in event type as the catalogue describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct BuiltIn {
    pub kind: EventType,
    pub description: &'static str,
    pub emitted_by: Emitter,
    pub schema: Value,
}

/// Who emits `kind`: what the API may publish is the platform's, the rest hookmap's.
pub fn emitter(kind: EventType) -> Emitter {
    if kind.publishable() {
        Emitter::Api
    } else {
        Emitter::Hookmap
    }
}

/// The catalogue entry of a built-in type.
pub fn built_in(kind: EventType) -> BuiltIn {
    let (description, schema) = match kind {
        EventType::MemberJoined => (
            "A member was created (POST .../users); data.member is the member as the API shows it.",
            json!({
                "type": "object",
                "required": ["member"],
                "properties": {"member": {
                    "type": "object",
                    "required": ["id", "email", "username", "xp", "coins", "balances", "fields", "created_at"],
                    "properties": {
                        "id": {"type": "string"},
                        "email": {"type": "string"},
                        "username": {"type": "string"},
                        "xp": {"type": "integer", "minimum": 0},
                        "coins": {"type": "integer", "minimum": 0},
                        "balances": {"type": "object", "description": "Every currency of the community, by key."},
                        "fields": {"type": "object", "description": "Custom field values by field key."},
                        "created_at": {"type": "string"}
                    }
                }},
                "additionalProperties": false
            }),
        ),
        EventType::MemberVisited => (
            "A member visited the community; published by the platform through POST .../events.",
            json!({
                "type": "object",
                "properties": {
                    "member_id": {"type": "string", "description": "The member who visited."},
                    "channel_id": {"type": "string", "description": "Where, when known."},
                    "visited_at": {"type": "string", "description": "When, RFC 3339."}
                }
            }),
        ),
        EventType::MessagePosted => (
            "A chat webhook posted a message as the community's bot.",
            json!({
                "type": "object",
                "required": ["message", "incoming_webhook_id", "delivery_id"],
                "properties": {
                    "message": {
                        "type": "object",
                        "required": ["id", "channel_id", "topic", "text"],
                        "properties": {
                            "id": {"type": "string"},
                            "channel_id": {"type": "string"},
                            "topic": {"type": ["string", "null"]},
                            "text": {"type": "string"}
                        },
                        "additionalProperties": false
                    },
                    "incoming_webhook_id": {"type": "string"},
                    "delivery_id": {"type": "string"}
                },
                "additionalProperties": false
            }),
        ),
        EventType::StorePurchased => (
            "A member purchased a store item (the platform's \"Purchased Store Item\"); published \
             by the platform through POST .../events.",
            json!({
                "type": "object",
                "properties": {
                    "member_id": {"type": "string", "description": "The buyer."},
                    "item": {"type": "string", "description": "The store item's name."},
                    "item_id": {"type": "string", "description": "The store product's id."},
                    "price": {"type": "number", "minimum": 0, "description": "What one item cost."},
                    "currency": {"type": "string", "description": "What it was paid in, e.g. coins."},
                    "quantity": {"type": "integer", "minimum": 1},
                    "purchase_id": {"type": "string", "description": "The purchase history entry."}
                }
            }),
        ),
        EventType::SubscriptionDisabled => (
            "hookmap turned a subscription of the community off because its deliveries kept \
             failing (AUTO_DISABLE_FAILURES in a row over AUTO_DISABLE_DAYS); a PATCH of is_active \
             turns it on again.",
            json!({
                "type": "object",
                "required": ["subscription"],
                "properties": {"subscription": {
                    "type": "object",
                    "required": ["id", "url", "disabled_reason", "failures_in_a_row", "failing_since"],
                    "properties": {
                        "id": {"type": "string"},
                        "url": {"type": "string"},
                        "disabled_reason": {"enum": crate::stored::DisabledReason::NAMES},
                        "failures_in_a_row": {"type": "integer", "minimum": 1},
                        "failing_since": {"type": "string", "description": "When the first of them failed."}
                    },
                    "additionalProperties": false
                }},
                "additionalProperties": false
            }),
        ),
        EventType::IncomingWebhookFailing => (
            "An incoming webhook of the community is failing: 5 of its deliveries failed in a \
             row, or more than half of its last 20 (the community's quotas failing_in_a_row and \
             failing_window). Only its sender's deliveries count: never a request refused for a \
             bad key or signature.",
            incoming_webhook_health(true),
        ),
        EventType::IncomingWebhookRecovered => (
            "A failing incoming webhook's delivery succeeded, and the rule no longer holds.",
            incoming_webhook_health(false),
        ),
        EventType::TestPing => (
            "Sent to one subscription by POST .../webhooks/{sid}/test.",
            json!({
                "type": "object",
                "required": ["message", "subscription_id"],
                "properties": {
                    "message": {"type": "string"},
                    "subscription_id": {"type": "string"}
                },
                "additionalProperties": false
            }),
        ),
    };
    BuiltIn {
        kind,
        description,
        emitted_by: emitter(kind),
        schema,
    }
}

/// The data of `incoming_webhook.failing` (`failing`) and `incoming_webhook.recovered`.
fn incoming_webhook_health(failing: bool) -> Value {
    let mut properties = json!({
        "id": {"type": "string"},
        "name": {"type": "string"},
        "reason": {"enum": crate::health::FailingReason::NAMES, "description": "What made it failing."},
        "failing_since": {"type": "string", "description": "When it started failing, RFC 3339."},
        "failures_in_a_row": {"type": "integer", "minimum": 0},
        "recent_failures": {"type": "integer", "minimum": 0, "description": "Of the last recent_deliveries counted."},
        "recent_deliveries": {"type": "integer", "minimum": 0},
        "last_error": {"type": ["string", "null"], "description": "The latest failure's error code."}
    });
    let mut required = vec![
        "id",
        "name",
        "reason",
        "failing_since",
        "failures_in_a_row",
        "recent_failures",
        "recent_deliveries",
        "last_error",
    ];
    if !failing {
        if let Some(p) = properties.as_object_mut() {
            p.insert(
                "recovered_at".into(),
                json!({"type": "string", "description": "When, RFC 3339."}),
            );
        }
        required.push("recovered_at");
    }
    json!({
        "type": "object",
        "required": ["incoming_webhook"],
        "properties": {"incoming_webhook": {
            "type": "object",
            "required": required,
            "properties": properties,
            "additionalProperties": false
        }},
        "additionalProperties": false
    })
}

/// Every built-in type's entry, in the vocabulary's order.
pub fn built_ins() -> Vec<BuiltIn> {
    EventType::ALL.into_iter().map(built_in).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::schema;

    #[test]
    fn names_are_dotted_lowercase_words() {
        for ok in [
            "payment.completed",
            "a.b",
            "shop.order_2.paid",
            &format!("a.{}", "b".repeat(62)),
        ] {
            assert!(is_name(ok), "{ok}");
        }
        for bad in [
            "",
            "payment",
            "Payment.completed",
            "payment..completed",
            ".a",
            "a.",
            "a.1b",
            "a-b.c",
            "a.b c",
            "é.b",
            &format!("a.{}", "b".repeat(63)),
        ] {
            assert!(!is_name(bad), "{bad}");
            let e = check_name(bad, "name").unwrap_err();
            assert_eq!((e.code(), e.location()), ("invalid_event", Some("name")));
        }
    }

    #[test]
    fn built_in_schemas_are_in_the_subset_and_accept_what_hookmap_sends() {
        for b in built_ins() {
            schema::check(&b.schema, "schema").unwrap();
            assert_eq!(b.emitted_by == Emitter::Api, b.kind.publishable());
        }
        let ping = json!({"message": "a test event from hookmap", "subscription_id": "sub_1"});
        schema::validate(&built_in(EventType::TestPing).schema, &ping, "data").unwrap();
        let member = json!({"member": {"id": "usr_1", "email": "a@b.c", "username": "a", "xp": 0,
            "coins": 0, "balances": {"xp": 0, "coins": 0}, "fields": {}, "created_at": "2026-01-01T00:00:00.000Z"}});
        schema::validate(&built_in(EventType::MemberJoined).schema, &member, "data").unwrap();
        let purchase = json!({"item": "hat", "price": 5});
        schema::validate(
            &built_in(EventType::StorePurchased).schema,
            &purchase,
            "data",
        )
        .unwrap();
        let e = schema::validate(
            &built_in(EventType::StorePurchased).schema,
            &json!({"price": -1}),
            "data",
        )
        .unwrap_err();
        assert_eq!(e.location(), Some("data.price"));
    }
}
