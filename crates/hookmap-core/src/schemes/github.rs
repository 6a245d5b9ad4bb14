//! GitHub: `X-Hub-Signature-256: sha256=<hex>` of the body, keyed with the secret set on the hook.
//! The delivery id beside it is not signed.

use super::signed::{Encoding, Signed, Verified};
use super::descriptor::{Descriptor, SecretForm, Verifier};
use crate::error::Result;

pub(super) const SCHEME: Descriptor = Descriptor {
    name: "github",
    label: "GitHub",
    headers: &[SIGNATURE, ID],
    setup: "In the repository's or organization's Settings > Webhooks > Add webhook: paste this URL, choose application/json, and paste the secret shown here (generated) into Secret.",
    secret: SecretForm::Text,
    generates_secret: true,
    verifier: Verifier::Fixed(verify),
};

const SIGNATURE: &str = "X-Hub-Signature-256";
const ID: &str = "X-GitHub-Delivery";

fn verify(request: &Signed<'_>) -> Result<Verified> {
    request.body_hmac(SIGNATURE, "sha256=", Encoding::Hex, ID)
}
