//! The signature schemes of incoming webhooks, each declared once by its descriptor, in a file of
//! its own: its name, how the console labels it, the headers its sender sends, what the sender's
//! admin does, its secret, and how it verifies. The API, the page's capabilities and the worker
//! read the descriptors; nothing else names a scheme. A new scheme is a file here and a line in
//! [`schemes!`]'s list below (then what the tests name: the CHECK's migration, the OpenAPI enum).

mod descriptor;
mod signed;

pub use self::hmac::HmacProfile;
pub use descriptor::{Descriptor, SecretForm, Verifier};
pub use signed::{Digest, Encoding, Signed, Verified, TOLERANCE_SECS};

/// Declares each scheme's module and the closed set they make (`ALL` in this order, which is the
/// page's, `NAMES`, `as_str`, `parse`, serialisation as the name), from the descriptors' names.
macro_rules! schemes {
    ($( $variant:ident = $module:ident, )+) => {
        $( mod $module; )+

        /// How an incoming webhook's requests are signed: one scheme per descriptor.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum SignatureScheme {
            $( $variant, )+
        }

        impl SignatureScheme {
            pub const ALL: [Self; [$(stringify!($variant)),+].len()] = [$(Self::$variant),+];
            pub const NAMES: [&'static str; Self::ALL.len()] = [$(self::$module::SCHEME.name),+];

            pub const fn descriptor(self) -> &'static Descriptor {
                match self {
                    $( Self::$variant => &self::$module::SCHEME, )+
                }
            }
        }
    };
}

schemes! {
    StandardWebhooks = standard_webhooks,
    Svix = svix,
    Stripe = stripe,
    Shopify = shopify,
    Github = github,
    Woocommerce = woocommerce,
    Paddle = paddle,
    Hmac = hmac,
}

impl SignatureScheme {
    pub const fn as_str(self) -> &'static str {
        self.descriptor().name
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The headers a signed request carries (the signature first, then any timestamp and id).
    pub fn headers(self) -> &'static [&'static str] {
        self.descriptor().headers
    }

    /// What the sender's admin does to point the provider at a hookmap URL, for the page.
    pub fn setup(self) -> &'static str {
        self.descriptor().setup
    }

    /// Whether hookmap may generate the secret.
    pub fn generates_secret(self) -> bool {
        self.descriptor().generates_secret
    }
}

impl std::fmt::Display for SignatureScheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for SignatureScheme {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_scheme_is_named_once_and_found_by_its_name() {
        for (i, scheme) in SignatureScheme::ALL.into_iter().enumerate() {
            assert_eq!(SignatureScheme::parse(scheme.as_str()), Some(scheme));
            assert_eq!(SignatureScheme::NAMES.get(i), Some(&scheme.as_str()));
            assert_eq!(
                SignatureScheme::NAMES
                    .iter()
                    .filter(|n| **n == scheme.as_str())
                    .count(),
                1
            );
            let d = scheme.descriptor();
            assert!(!d.label.is_empty() && !d.setup.is_empty(), "{scheme}");
            // A scheme's own headers are its settings' or its descriptor's, never neither.
            assert_eq!(d.headers.is_empty(), d.has_settings(), "{scheme}");
        }
        assert_eq!(SignatureScheme::parse("Stripe"), None);
    }
}
