//! Any request as a form or a JSON body, with any query string: reading it never panics, fails
//! only as a decoding failure (the sender is told `undecodable`), and the JSON text kept for a
//! payload parses back to the value planned from.
#![no_main]

use hookmap_core::{form, inbound, payload, Sender};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte says where the query ends and whether the body is a form.
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let cut = usize::from(first >> 1).min(rest.len());
    let (query, body) = rest.split_at(cut);
    let content_type = (first & 1 == 1).then_some(form::CONTENT_TYPE);
    let query = String::from_utf8_lossy(query);
    let read = form::params(&query).and_then(|params| {
        inbound::decode_request(body, content_type, &params, None, Sender::Anonymous, None)
    });
    match read {
        Ok(decoded) => assert_eq!(
            payload::parse_text(&decoded.text).expect("the kept text is JSON"),
            decoded.value
        ),
        Err(e) => assert!(e.kind().is_decoding(), "{e}"),
    }
});
