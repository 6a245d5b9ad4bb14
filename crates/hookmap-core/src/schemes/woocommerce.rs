//! WooCommerce: `X-WC-Webhook-Signature: <base64>` of the body, keyed with the secret set on the
//! webhook. The delivery id beside it is not signed.

use super::signed::{Encoding, Signed, Verified};
use super::descriptor::{Descriptor, SecretForm, Verifier};
use crate::error::Result;

pub(super) const SCHEME: Descriptor = Descriptor {
    name: "woocommerce",
    label: "WooCommerce",
    headers: &[SIGNATURE, ID],
    setup: "In WooCommerce > Settings > Advanced > Webhooks > Add webhook: paste this URL as the delivery URL and the secret shown here (generated) as Secret.",
    secret: SecretForm::Text,
    generates_secret: true,
    verifier: Verifier::Fixed(verify),
};

const SIGNATURE: &str = "X-WC-Webhook-Signature";
const ID: &str = "X-WC-Webhook-Delivery-ID";

fn verify(request: &Signed<'_>) -> Result<Verified> {
    request.body_hmac(SIGNATURE, "", Encoding::Base64, ID)
}
