//! Shopify: `X-Shopify-Hmac-Sha256: <base64>` of the body, keyed with the secret Shopify shows
//! (or the app's client secret). The webhook id beside it is not signed.

use super::signed::{Encoding, Signed, Verified};
use super::descriptor::{Descriptor, SecretForm, Verifier};
use crate::error::Result;

pub(super) const SCHEME: Descriptor = Descriptor {
    name: "shopify",
    label: "Shopify",
    headers: &[SIGNATURE, ID],
    setup: "In Shopify (Settings > Notifications > Webhooks, or your app's subscriptions), create a JSON webhook with this URL, and paste here the secret Shopify signs with (shown under the webhooks list, or your app's client secret).",
    secret: SecretForm::Text,
    generates_secret: false,
    verifier: Verifier::Fixed(verify),
};

const SIGNATURE: &str = "X-Shopify-Hmac-Sha256";
const ID: &str = "X-Shopify-Webhook-Id";

fn verify(request: &Signed<'_>) -> Result<Verified> {
    request.body_hmac(SIGNATURE, "", Encoding::Base64, ID)
}
