//! A request body at the edge -> the JSON payload: decrypt when the webhook is encrypted, then parse.

use serde_json::Value;

use crate::envelope::{Encryption, Sender};
use crate::error::{Error, ErrorKind, Result};
use crate::form;
use crate::needs::{self, Needs};
use crate::payload;

/// Largest request body accepted at the edge, in bytes.
pub const MAX_BODY: usize = 1 << 20;

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
    needs: Option<&Needs>,
) -> Result<Decoded> {
    decode_from(body, encryption, Sender::Authenticated, needs)
}

/// [`decode`] for a body from `sender` (see [`Encryption::open_from`]).
pub fn decode_from(
    body: &[u8],
    encryption: Option<&Encryption>,
    sender: Sender,
    needs: Option<&Needs>,
) -> Result<Decoded> {
    too_large(body)?;
    let plaintext = match encryption {
        None => body.to_vec(),
        Some(encryption) => encryption.open_from(body, sender)?,
    };
    let parsed = String::from_utf8(plaintext)
        .map_err(|e| payload::not_utf8(e.utf8_error()))
        .and_then(|text| parse(text, needs));
    // CBC with a wrong IV decrypts "successfully" into a garbled first block. One kind of error
    // is told more; every other passes through as it is, so this is no decision over the kinds.
    parsed.map_err(|e| {
        if e.kind() == ErrorKind::NotJson && encryption.is_some() {
            Error::new(
                ErrorKind::NotJson,
                format!("{} (after decryption: check the IV and key)", e.message()),
            )
        } else {
            e
        }
    })
}

/// A request at the edge -> its payload: the body (a form, or what [`decode_from`] reads) with
/// the query's parameters added (`query`: decoded pairs without [`form::RESERVED_PARAMS`]).
///
/// A form body, or any query parameter, becomes a JSON value whose text is then parsed as any
/// body is, so what is stored and replayed is that JSON text. A JSON body with no parameters is
/// read as before: the usual delivery pays nothing for the others.
pub fn decode_request(
    body: &[u8],
    content_type: Option<&str>,
    query: &[(String, String)],
    encryption: Option<&Encryption>,
    sender: Sender,
    needs: Option<&Needs>,
) -> Result<Decoded> {
    match encryption {
        // An encrypted body is base64 whatever its content type says.
        Some(encryption) if query.is_empty() => decode_from(body, Some(encryption), sender, needs),
        // The key is what vouches for an encrypted webhook's payload; parameters in the URL would
        // let anyone holding the URL add to it (or send one with no body at all).
        Some(_) => Err(Error::new(
            ErrorKind::InvalidForm,
            "an encrypted webhook takes its payload from the encrypted body alone: \
             query parameters are refused",
        )),
        None => parse(request_text(body, content_type, query)?, needs),
    }
}

/// The JSON text of an unencrypted request's payload (see [`decode_request`]): the body itself
/// when it is JSON and no parameter joins it. Holds no cipher, so the page's wasm can say what a
/// request becomes without carrying them.
pub fn request_text(
    body: &[u8],
    content_type: Option<&str>,
    query: &[(String, String)],
) -> Result<String> {
    too_large(body)?;
    let is_form = form::is_form(content_type);
    if !is_form && query.is_empty() {
        return String::from_utf8(body.to_vec()).map_err(|e| payload::not_utf8(e.utf8_error()));
    }
    let body_value = if is_form {
        Some(form::parse(body)?)
    } else if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        Some(payload::parse(body)?)
    };
    Ok(form::merge_query(body_value, query)?.to_string())
}

fn too_large(body: &[u8]) -> Result<()> {
    if body.len() > MAX_BODY {
        return Err(Error::new(
            ErrorKind::TooLarge,
            format!(
                "the body is {} bytes; at most {MAX_BODY} are accepted",
                body.len()
            ),
        ));
    }
    Ok(())
}

/// Parses JSON text already decrypted (a body, or a payload the delivery log kept): with `needs`,
/// only what they reach is built.
pub fn parse(text: String, needs: Option<&Needs>) -> Result<Decoded> {
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

    const FORM: Option<&str> = Some("application/x-www-form-urlencoded; charset=utf-8");

    fn request(body: &str, ct: Option<&str>, query: &[(&str, &str)]) -> Result<Decoded> {
        let query: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        decode_request(body.as_bytes(), ct, &query, None, Sender::Anonymous, None)
    }

    #[test]
    fn a_form_body_becomes_the_json_text_that_is_kept() {
        let decoded = request("customer[email]=a%40b.io&n=5", FORM, &[]).unwrap();
        assert_eq!(decoded.text, r#"{"customer":{"email":"a@b.io"},"n":"5"}"#);
        assert_eq!(
            decoded.value,
            json!({"customer": {"email": "a@b.io"}, "n": "5"})
        );
        // Without the form content type, the same text is a body that is not JSON.
        let err = request("customer[email]=a", None, &[]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotJson);
        let err = request("a=1&a[b]=2", FORM, &[]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidForm);
    }

    #[test]
    fn query_parameters_join_a_json_body_or_stand_alone() {
        let decoded = request(r#"{"a": 1}"#, None, &[("b[c]", "2")]).unwrap();
        assert_eq!(decoded.text, r#"{"a":1,"b":{"c":"2"}}"#);
        let decoded = request("", None, &[("b", "2")]).unwrap();
        assert_eq!(decoded.value, json!({"b": "2"}));
        let decoded = request(" \n", Some("application/json"), &[("b", "2")]).unwrap();
        assert_eq!(decoded.value, json!({"b": "2"}));
        let decoded = request("a=1", FORM, &[("b", "2")]).unwrap();
        assert_eq!(decoded.value, json!({"a": "1", "b": "2"}));
        let err = request(r#"{"b": 1}"#, None, &[("b", "2")]).unwrap_err();
        assert_eq!((err.kind(), err.location()), (ErrorKind::InvalidForm, None));
        let err = request("[1]", None, &[("b", "2")]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidForm);
        let err = request("{", None, &[("b", "2")]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotJson);
    }

    #[test]
    fn a_json_request_without_parameters_is_read_as_before() {
        let body = r#"{"b": [1, 2.50]}"#;
        let decoded = request(body, Some("application/json"), &[]).unwrap();
        assert_eq!(decoded, decode(body.as_bytes(), None, None).unwrap());
        assert_eq!(decoded.text, body, "the text is kept as sent");
        // An empty body is still not JSON when nothing else gives a payload.
        assert_eq!(
            request("", None, &[]).unwrap_err().kind(),
            ErrorKind::NotJson
        );
    }

    #[test]
    fn an_encrypted_webhook_reads_only_its_encrypted_body() {
        let enc = Encryption::new(Algorithm::Aes256Gcm, &"k".repeat(32), &"i".repeat(16)).unwrap();
        let body = enc.seal(b"{\"a\":1}", None).unwrap();
        let open = |ct, query: &[(String, String)]| {
            decode_request(
                body.as_bytes(),
                ct,
                query,
                Some(&enc),
                Sender::Anonymous,
                None,
            )
        };
        // The content type is not read: the body is ciphertext whatever it says.
        assert_eq!(open(FORM, &[]).unwrap().value, json!({"a": 1}));
        let query = [("b".to_owned(), "2".to_owned())];
        assert_eq!(
            open(None, &query).unwrap_err().kind(),
            ErrorKind::InvalidForm
        );
        let empty = decode_request(b"", None, &query, Some(&enc), Sender::Anonymous, None);
        assert_eq!(empty.unwrap_err().kind(), ErrorKind::InvalidForm);
    }

    #[test]
    fn bodies_over_the_limit_are_refused_before_any_work() {
        let err = decode(&vec![b' '; MAX_BODY + 1], None, None).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TooLarge);
        let big = vec![b'a'; MAX_BODY + 1];
        let query = [("b".to_owned(), "2".to_owned())];
        for (ct, query) in [(FORM, &[][..]), (None, &query[..])] {
            let err = decode_request(&big, ct, query, None, Sender::Anonymous, None).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::TooLarge);
        }
    }
}
