//! The request headers a mapping may read (`headers["x-shopify-topic"]`), kept with each delivery
//! so that a replay, the shadow replay and the preview see what the edge saw.
//!
//! An allow-list, never a deny-list: a header is kept only when it is named here, so no credential
//! (`authorization`, `x-api-key`, cookies) and no signature ever is, whatever a sender adds, and a
//! webhook's own signature headers are dropped even where a name here coincides with them.

use serde_json::{Map, Value};

/// The headers kept, lowercase: what providers say about the event, never who sent it.
pub const KEPT: [&str; 26] = [
    "content-type",
    "user-agent",
    "idempotency-key",
    "webhook-id",
    "webhook-timestamp",
    "svix-id",
    "svix-timestamp",
    "x-event-type",
    "x-event-id",
    "x-request-id",
    "x-shopify-topic",
    "x-shopify-shop-domain",
    "x-shopify-webhook-id",
    "x-shopify-event-id",
    "x-shopify-api-version",
    "x-shopify-triggered-at",
    "x-github-event",
    "x-github-delivery",
    "x-github-hook-id",
    "x-github-hook-installation-target-type",
    "x-wc-webhook-topic",
    "x-wc-webhook-resource",
    "x-wc-webhook-event",
    "x-wc-webhook-source",
    "x-wc-webhook-id",
    "x-wc-webhook-delivery-id",
];

/// Longest value kept, in bytes; a longer one is left out (what it says is not a topic).
pub const MAX_VALUE: usize = 256;

/// The kept headers of a request as a JSON object (names lowercase), or `None` when none is kept.
/// `signature_headers` are the webhook's own (its scheme's, or a generic HMAC's): never kept.
pub fn kept(
    pairs: impl IntoIterator<Item = (String, String)>,
    signature_headers: &[&str],
) -> Option<Value> {
    let mut out = Map::new();
    for (name, value) in pairs {
        let name = name.to_ascii_lowercase();
        let refused = signature_headers
            .iter()
            .any(|s| s.eq_ignore_ascii_case(&name));
        if KEPT.contains(&name.as_str()) && !refused && value.len() <= MAX_VALUE {
            out.insert(name, Value::String(value));
        }
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn keeps_what_providers_say_and_never_a_credential() {
        let long = "x".repeat(MAX_VALUE + 1);
        let request = pairs(&[
            ("X-Shopify-Topic", "orders/paid"),
            ("Authorization", "Bearer secret"),
            ("x-api-key", "hk_secret"),
            ("Cookie", "session=1"),
            ("X-Shopify-Hmac-Sha256", "c2ln"),
            ("Stripe-Signature", "t=1,v1=abc"),
            ("x-github-event", "star"),
            ("x-event-type", &long),
        ]);
        assert_eq!(
            kept(request, &[]),
            Some(json!({"x-shopify-topic": "orders/paid", "x-github-event": "star"}))
        );
        assert_eq!(kept(pairs(&[("cookie", "a")]), &[]), None);
    }

    #[test]
    fn a_webhooks_own_signature_headers_are_dropped() {
        // A generic HMAC sender may sign in a header whose name is on the list.
        let request = pairs(&[("x-event-id", "sig"), ("x-github-event", "push")]);
        assert_eq!(
            kept(request, &["X-Event-Id"]),
            Some(json!({"x-github-event": "push"}))
        );
    }

    #[test]
    fn no_kept_name_is_a_credential_or_signature() {
        for name in KEPT {
            for word in [
                "auth",
                "key",
                "cookie",
                "signature",
                "hmac",
                "secret",
                "token",
            ] {
                assert!(!name.contains(word) || name == "idempotency-key", "{name}");
            }
        }
    }
}
