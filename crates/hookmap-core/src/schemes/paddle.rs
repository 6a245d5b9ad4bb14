//! Paddle (Billing): `Paddle-Signature: ts=<unix>;h1=<hex>` over `{ts}:{body}`, keyed with the
//! notification destination's secret key as text; several `h1` while Paddle rotates the secret.
//! The event's `event_id` is in the signed body, so it keys the delivery.

use super::signed::Stamped;
use super::descriptor::{Descriptor, SecretForm, Verifier};

pub(super) const SCHEME: Descriptor = Descriptor {
    name: "paddle",
    label: "Paddle",
    headers: &[STAMPED.header],
    setup: "In Paddle > Developer tools > Notifications > New destination: paste this URL, pick the events and save, then copy the destination's secret key (pdl_ntfset_...) and paste it here. The event's event_id keys each delivery; Paddle's retries are duplicates.",
    secret: SecretForm::Text,
    generates_secret: false,
    verifier: Verifier::Fixed(|request| STAMPED.verify(request)),
};

const STAMPED: Stamped = Stamped {
    header: "Paddle-Signature",
    separator: ';',
    timestamp: "ts",
    signature: "h1",
    joiner: ":",
    id_member: "event_id",
};
