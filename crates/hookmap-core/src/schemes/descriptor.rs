//! What a scheme is: its descriptor, read by every part that offers, takes or checks it.

use super::signed::{Signed, Verified};
use crate::error::Result;

/// What a scheme is, for every part that offers, takes or checks it.
#[derive(Debug)]
pub struct Descriptor {
    /// The API's and storage's name.
    pub name: &'static str,
    /// How the console names it.
    pub label: &'static str,
    /// The headers a signed request carries, spelled as the sender documents them (names are
    /// case-insensitive): the signature first, then any timestamp and id. None is ever kept with
    /// a delivery ([`crate::headers`]). Empty where settings name them.
    pub headers: &'static [&'static str],
    /// What the sender's admin does to point the provider at a hookmap URL, for the page.
    pub setup: &'static str,
    /// The secret's form.
    pub secret: SecretForm,
    /// Whether hookmap may make the secret; a provider that makes its own needs it pasted.
    pub generates_secret: bool,
    pub verifier: Verifier,
}

/// What a signing secret looks like, and so how one is checked and made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretForm {
    /// Standard Webhooks' `whsec_` followed by base64, whose bytes are the key (generated as
    /// `whsec_` and 24 random bytes).
    Whsec,
    /// Any text without control characters, whose bytes are the key (generated as 32 random
    /// bytes in hex).
    Text,
}

/// How a scheme verifies a request.
#[derive(Debug, Clone, Copy)]
pub enum Verifier {
    /// Fixed by its provider: the request and the secret are all it needs.
    Fixed(fn(&Signed<'_>) -> Result<Verified>),
    /// Described by the settings an admin gives ([`super::HmacProfile`]).
    Described,
}

impl Descriptor {
    /// Whether the scheme takes settings beside its secret.
    pub fn has_settings(&self) -> bool {
        match self.verifier {
            Verifier::Fixed(_) => false,
            Verifier::Described => true,
        }
    }
}
