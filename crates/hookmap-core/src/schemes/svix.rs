//! Standard Webhooks under Svix's header names: `svix-id`, `svix-timestamp` and `svix-signature`
//! (`v1,<base64>` entries, space-separated), what Clerk, Resend and the other senders built on
//! Svix send. The algorithm and the `whsec_` secret are Standard Webhooks' own; the sender makes
//! the secret.

use super::standard_webhooks::{verify_as, Names};
use super::descriptor::{Descriptor, SecretForm, Verifier};

pub(super) const SCHEME: Descriptor = Descriptor {
    name: "svix",
    label: "Svix (Clerk, Resend and others)",
    headers: &[NAMES.signature, NAMES.timestamp, NAMES.id],
    setup: "In the sender's webhook settings (Clerk: Configure > Webhooks; Resend: Webhooks > Add endpoint; any sender built on Svix), add an endpoint with this URL and pick the events, then copy its signing secret (whsec_...) and paste it here. The svix-id header keys each delivery; retries are duplicates.",
    secret: SecretForm::Whsec,
    generates_secret: false,
    verifier: Verifier::Fixed(|request| verify_as(&NAMES, request)),
};

const NAMES: Names = Names {
    id: "svix-id",
    timestamp: "svix-timestamp",
    signature: "svix-signature",
};
