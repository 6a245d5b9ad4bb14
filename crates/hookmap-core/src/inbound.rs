//! A request body at the edge -> the JSON payload: decrypt when the webhook is encrypted, then parse.

use serde_json::Value;

use crate::envelope::{Encryption, Sender};
use crate::error::{Error, ErrorKind, Result};
use crate::needs::{self, Needs};
use crate::payload;

/// Largest request body accepted at the edge, in bytes.
pub const MAX_BODY: usize = 1 << 20;

/// Query parameters the edge reads itself (`?dry_run=true`, `?api_key=`): never part of a payload.
pub const RESERVED_PARAMS: [&str; 2] = ["dry_run", "api_key"];

/// A decoded delivery: the JSON text as the sender meant it (decrypted), which the delivery log
/// keeps, and the value the mapping plans from.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub text: String,
    pub value: Value,
}

/// Decrypts and parses `body`. With `needs` (what the webhook's mapping reads), only that part of
/// the payload is built ([`needs::parse`]); without, all of it (a caught payload is shown whole).
pub fn decode(
    body: &[u8],
    encryption: Option<&Encryption>,
    needs: Option<&Needs<'_>>,
) -> Result<Decoded> {
    decode_from(body, encryption, Sender::Authenticated, needs)
}

/// [`decode`] for a body from `sender` (see [`Encryption::open_from`]).
pub fn decode_from(
    body: &[u8],
    encryption: Option<&Encryption>,
    sender: Sender,
    needs: Option<&Needs<'_>>,
) -> Result<Decoded> {
    if body.len() > MAX_BODY {
        return Err(Error::new(
            ErrorKind::TooLarge,
            format!(
                "the body is {} bytes; at most {MAX_BODY} are accepted",
                body.len()
            ),
        ));
    }
    let plaintext = match encryption {
        None => body.to_vec(),
        Some(encryption) => encryption.open_from(body, sender)?,
    };
    let parsed = String::from_utf8(plaintext)
        .map_err(|e| payload::not_utf8(e.utf8_error()))
        .and_then(|text| parse(text, needs));
    parsed.map_err(|e| match e.kind() {
        // CBC with a wrong IV decrypts "successfully" into a garbled first block.
        ErrorKind::NotJson if encryption.is_some() => Error::new(
            ErrorKind::NotJson,
            format!("{} (after decryption: check the IV and key)", e.message()),
        ),
        _ => e,
    })
}

/// Parses JSON text already decrypted (a body, or a payload the delivery log kept): with `needs`,
/// only what they reach is built.
pub fn parse(text: String, needs: Option<&Needs<'_>>) -> Result<Decoded> {
    let value = match needs {
        Some(needs) => needs::parse(&text, needs),
        None => payload::parse_text(&text),
    }?;
    Ok(Decoded { text, value })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::envelope::Algorithm;
    use serde_json::json;

    #[test]
    fn plain_and_encrypted_bodies() {
        assert_eq!(decode(b"{\"a\":1}", None, None).unwrap().value["a"], 1);
        let enc = Encryption::new(Algorithm::Aes256Cbc, &"k".repeat(32), &"i".repeat(16)).unwrap();
        let body = enc.seal(b"{\"a\":2}", None).unwrap();
        let decoded = decode(body.as_bytes(), Some(&enc), None).unwrap();
        assert_eq!(
            (decoded.text.as_str(), &decoded.value["a"]),
            ("{\"a\":2}", &json!(2))
        );
    }

    #[test]
    fn a_wrong_cbc_iv_is_reported_as_not_json_with_a_hint() {
        let enc = Encryption::new(Algorithm::Aes256Cbc, &"k".repeat(32), &"i".repeat(16)).unwrap();
        let other =
            Encryption::new(Algorithm::Aes256Cbc, &"k".repeat(32), &"j".repeat(16)).unwrap();
        let body = enc
            .seal(br#"{"customer": {"email": "a@b.c"}}"#, None)
            .unwrap();
        let err = decode(body.as_bytes(), Some(&other), None).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotJson);
        assert!(err.message().contains("check the IV"), "{err}");
    }

    #[test]
    fn anonymous_senders_may_not_choose_a_cbc_iv() {
        let key = "k".repeat(32);
        let cbc = Encryption::new(Algorithm::Aes256Cbc, &key, &"i".repeat(16)).unwrap();
        let gcm = Encryption::new(Algorithm::Aes256Gcm, &key, &"i".repeat(16)).unwrap();
        let chosen = cbc.seal(b"{\"a\":1}", Some(&[7; 16])).unwrap();
        let err = decode_from(chosen.as_bytes(), Some(&cbc), Sender::Anonymous, None).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MessageIvRefused);
        assert!(err.kind().is_decoding());
        let ok = decode_from(chosen.as_bytes(), Some(&cbc), Sender::Authenticated, None);
        assert_eq!(ok.unwrap().value["a"], 1);
        let fixed = cbc.seal(b"{\"a\":2}", None).unwrap();
        let ok = decode_from(fixed.as_bytes(), Some(&cbc), Sender::Anonymous, None);
        assert_eq!(ok.unwrap().value["a"], 2);
        let gcm_chosen = gcm.seal(b"{\"a\":3}", Some(&[7; 12])).unwrap();
        let ok = decode_from(gcm_chosen.as_bytes(), Some(&gcm), Sender::Anonymous, None);
        assert_eq!(ok.unwrap().value["a"], 3);
    }

    #[test]
    fn bodies_over_the_limit_are_refused_before_any_work() {
        let err = decode(&vec![b' '; MAX_BODY + 1], None, None).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TooLarge);
    }
}
