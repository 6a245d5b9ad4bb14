//! Stripe: `Stripe-Signature: t=<unix>,v1=<hex>` over `{t}.{body}`, keyed with the endpoint's
//! `whsec_` secret as text. The event's `id` is in the signed body, so it keys the delivery.

use super::signed::Stamped;
use super::descriptor::{Descriptor, SecretForm, Verifier};

pub(super) const SCHEME: Descriptor = Descriptor {
    name: "stripe",
    label: "Stripe",
    headers: &[STAMPED.header],
    setup: "In Stripe's dashboard, Developers > Webhooks > Add endpoint: paste this URL and pick the events, then reveal the endpoint's signing secret (whsec_...) and paste it here. The event's id keys each delivery; Stripe's retries are duplicates.",
    secret: SecretForm::Text,
    generates_secret: false,
    verifier: Verifier::Fixed(|request| STAMPED.verify(request)),
};

const STAMPED: Stamped = Stamped {
    header: "Stripe-Signature",
    separator: ',',
    timestamp: "t",
    signature: "v1",
    joiner: ".",
    id_member: "id",
};
