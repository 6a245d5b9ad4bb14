//! Properties over generated input: nothing the outside world sends can make the core panic, and
//! what is sealed opens again.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::net::Ipv4Addr;

use hookmap_core::needs::{self, Needs};
use hookmap_core::template::{Limit, Template};
use hookmap_core::{
    idempotency, inbound, payload, plan, target, Algorithm, Catalog, Encryption, ErrorKind,
    FieldType, FieldTypes, Mapping, Path, Sender,
};
use proptest::prelude::*;
use serde_json::{json, Value};

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[a-z@. ]{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                "(email|coins|qty|items|customer|[a-z]{1,3}|a\\.b|x/y|~1|\\[0\\]|/p|)",
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn fields() -> FieldTypes {
    catalog().fields().clone()
}

fn catalog() -> Catalog {
    let fields = [
        ("qty".to_owned(), FieldType::Number),
        ("tier".to_owned(), FieldType::Text),
        ("vip".to_owned(), FieldType::Boolean),
    ];
    Catalog::new(fields.into(), ["gems"])
}

fn mapping() -> Mapping {
    Mapping::parse(
        &json!({
            "user": {"match": "email", "path": "customer.email"},
            "idempotency_path": "/customer/email",
            "fields": [
                {"target": {"currency": "coins"}, "op": "add", "path": "coins"},
                {"target": {"currency": "xp"}, "op": "subtract", "path": "items[1].coins"},
                {"target": {"field": "qty"}, "op": "add", "path": "items[0].qty"},
                {"target": {"field": "tier"}, "op": "overwrite", "path": "customer.tier"},
                {"target": {"field": "vip"}, "op": "overwrite", "path": "/customer/vip"}]
        }),
        &catalog(),
    )
    .unwrap()
}

proptest! {
    #[test]
    fn plan_never_panics_on_arbitrary_json(payload in arb_json()) {
        let _ = plan(&mapping(), &payload, &fields());
    }

    #[test]
    fn planned_currency_amounts_are_in_range(coins in any::<i64>(), email in "[a-z]{1,8}@x\\.io") {
        let payload = json!({"customer": {"email": email, "tier": "t", "vip": true}, "coins": coins,
                             "items": [{"qty": 1}, {"coins": 1}]});
        match plan(&mapping(), &payload, &fields()) {
            Ok(p) => prop_assert!((0..=hookmap_core::plan::MAX_AMOUNT).contains(&coins) && p.effects.len() == 5),
            Err(e) => prop_assert!(!(0..=hookmap_core::plan::MAX_AMOUNT).contains(&coins) && e.code() == "invalid_amount"),
        }
    }

    #[test]
    fn paths_and_mappings_never_panic_on_arbitrary_text(text in ".{0,40}", mapping in arb_json()) {
        let _ = Path::parse(&text);
        let _ = Mapping::parse(&mapping, &catalog());
    }

    #[test]
    fn every_leaf_path_finds_its_value(doc in arb_json()) {
        for leaf in hookmap_core::path::leaves(&doc) {
            let parsed = Path::parse(&leaf.path);
            prop_assert!(parsed.is_ok(), "{} does not parse", leaf.path);
            prop_assert_eq!(parsed.unwrap().lookup(&doc), Some(leaf.value), "{}", leaf.path);
        }
    }

    #[test]
    fn decode_never_panics_on_arbitrary_bytes(body in prop::collection::vec(any::<u8>(), 0..300)) {
        let enc = Encryption::new(Algorithm::Aes256Gcm, &"k".repeat(32), &"v".repeat(16)).unwrap();
        let _ = inbound::decode(&body, None, None);
        let _ = inbound::decode(&body, Some(&enc), None);
    }

    #[test]
    fn sealed_bodies_open_again(plaintext in prop::collection::vec(any::<u8>(), 0..200),
                                gcm in any::<bool>(), iv in prop::option::of(prop::collection::vec(any::<u8>(), 16..=16))) {
        let algorithm = if gcm { Algorithm::Aes256Gcm } else { Algorithm::Aes256Cbc };
        let enc = Encryption::new(algorithm, "0123456789abcdef0123456789abcdef", "fedcba9876543210").unwrap();
        let body = enc.seal(&plaintext, iv.as_deref()).unwrap();
        prop_assert_eq!(enc.open(body.as_bytes()).unwrap(), plaintext);
    }
}

/// Mappings that are often valid and often wrong in one or several places.
fn arb_mapping() -> impl Strategy<Value = Value> {
    let path = prop::sample::select(vec![
        "coins",
        "customer.email",
        "customer.tier",
        "items[0].qty",
        "/customer/vip",
        "a..b",
        "",
    ]);
    let target = prop::sample::select(vec![
        json!({"currency": "coins"}),
        json!({"currency": "xp"}),
        json!({"currency": "gems"}),
        json!({"currency": "rubies"}),
        json!({"currency": "gems"}),
        json!({"field": "qty"}),
        json!({"field": "tier"}),
        json!({"field": "vip"}),
        json!({"field": "nope"}),
        json!("coins"),
    ]);
    let op = prop::sample::select(vec!["add", "subtract", "overwrite", "set"]);
    let row =
        (target, op, path.clone()).prop_map(|(t, o, p)| json!({"target": t, "op": o, "path": p}));
    let by = prop::sample::select(vec!["email", "username", "phone"]);
    let message = prop::sample::select(vec![
        json!({"channel": {"id": "chn_1"}, "template": "{{customer.email}} got {{coins}}"}),
        json!({"channel": {"path": "customer.tier"}, "template": "{{nope | default: \"x\"}}", "topic": "{{coins}}"}),
        json!({"channel": {"id": "chn_1"}, "template": "{{customer.vip}} {{items}}"}),
        json!({"channel": {"id": "chn_1"}, "template": "{{customer."}),
        json!({"channel": {}, "template": "x"}),
    ]);
    (
        (by, path.clone(), any::<bool>()),
        prop::option::of(path),
        prop::collection::vec(row, 0..5),
        any::<bool>(),
        prop::option::of(message),
    )
        .prop_map(|((by, user_path, with_user), key, rows, extra, message)| {
            let mut m = json!({"fields": rows});
            if with_user {
                m["user"] = json!({"match": by, "path": user_path});
            }
            if let Some(key) = key {
                m["idempotency_path"] = json!(key);
            }
            if extra {
                m["extra"] = json!(1);
            }
            if let Some(message) = message {
                m["message"] = message;
            }
            m
        })
}

fn arb_payload() -> impl Strategy<Value = Value> {
    (any::<i64>(), "[A-Za-z@. ]{0,8}", arb_json(), any::<bool>()).prop_map(
        |(coins, email, tier, vip)| {
            json!({"customer": {"email": email, "tier": tier, "vip": vip}, "coins": coins,
               "items": [{"qty": coins}]})
        },
    )
}

proptest! {
    /// The page's preview and the edge can never disagree: same plan, and the edge's error is the
    /// preview's first.
    #[test]
    fn the_preview_agrees_with_the_edge(mapping in arb_mapping(), payload in arb_payload()) {
        let edge = Mapping::parse(&mapping, &catalog()).and_then(|m| plan(&m, &payload, &fields()));
        let shown = hookmap_core::preview(&mapping, &payload, &catalog());
        match edge {
            Ok(plan) => {
                prop_assert!(shown.errors.is_empty());
                prop_assert_eq!(shown.plan, Some(plan));
            }
            Err(e) => {
                prop_assert_eq!(shown.errors.first(), Some(&e));
                prop_assert_eq!(shown.plan, None);
            }
        }
    }
}

/// Paths into `doc`: every leaf's, every container's on the way there (cut at each step), and a
/// few that miss or run through a scalar.
fn paths_into(doc: &Value) -> Vec<Path> {
    let mut texts: Vec<String> = Vec::new();
    for leaf in hookmap_core::path::leaves(doc) {
        let pointer = leaf.path.starts_with('/');
        let separator = if pointer { '/' } else { '.' };
        let cuts = leaf.path.match_indices([separator, '[']).map(|(i, _)| i);
        texts.extend(cuts.filter(|&i| i > 0).map(|i| leaf.path[..i].to_owned()));
        texts.push(format!("{}.nothing", leaf.path.trim_start_matches('/')));
        texts.push(leaf.path);
    }
    texts.extend(["items[0].qty", "/items/1", "customer", "a.b", "x[3]"].map(String::from));
    texts.iter().filter_map(|t| Path::parse(t).ok()).collect()
}

proptest! {
    /// Parsing only what some paths read gives each of those paths the value the full parse does.
    #[test]
    fn the_sparse_parse_keeps_what_its_paths_read(doc in arb_json(), pick in any::<u64>()) {
        let all = paths_into(&doc);
        // Some of the paths, chosen by the bits of `pick`, so that siblings are sometimes left out.
        let chosen: Vec<&Path> = all.iter().enumerate().filter(|(i, _)| pick >> (i % 64) & 1 == 1).map(|(_, p)| p).collect();
        let needs = Needs::from_paths(chosen.iter().copied());
        let text = doc.to_string();
        let sparse = needs::parse(&text, &needs).unwrap();
        // Against the full parse of the same text: serde_json's float parsing does not always
        // give back the f64 that was printed.
        let full = payload::parse_text(&text).unwrap();
        for path in chosen {
            prop_assert_eq!(path.lookup(&sparse), path.lookup(&full), "{}", path);
        }
    }

    /// A mapping plans the same from the sparse parse as from the whole payload, errors included:
    /// `Mapping::paths` misses nothing the plan reads.
    #[test]
    fn a_mapping_plans_the_same_from_the_sparse_parse(mapping in arb_mapping(), payload in arb_payload()) {
        if let Ok(mapping) = Mapping::parse(&mapping, &catalog()) {
            let text = payload.to_string();
            let sparse = needs::parse(&text, &Needs::of(&mapping)).unwrap();
            let full = payload::parse_text(&text).unwrap();
            prop_assert_eq!(plan(&mapping, &sparse, &fields()), plan(&mapping, &full, &fields()));
        }
    }

    /// Broken text fails the sparse parse with the full parse's own error, wherever the fault is.
    #[test]
    fn the_sparse_parse_fails_as_the_full_parse(doc in arb_json(), cut in any::<prop::sample::Index>(),
                                                 insert in "[\\[\\]{}:,\"\\\\a1e.-]?") {
        let mut text = doc.to_string();
        let at = cut.index(text.len() + 1);
        if text.is_char_boundary(at) {
            text.insert_str(at, &insert);
        }
        let paths = paths_into(&doc);
        let needs = Needs::from_paths(paths.iter().take(2));
        let sparse = needs::parse(&text, &needs);
        match payload::parse_text(&text) {
            Ok(_) => prop_assert!(sparse.is_ok()),
            Err(full) => prop_assert_eq!(sparse.unwrap_err(), full),
        }
    }
}

/// IPv4 addresses, most of them from the special ranges the URL guard refuses (a uniform pick
/// would almost never land in one).
fn arb_ipv4() -> impl Strategy<Value = Ipv4Addr> {
    prop_oneof![
        any::<u32>().prop_map(Ipv4Addr::from),
        (
            prop::sample::select(vec![
                0u8, 10, 100, 127, 169, 172, 192, 198, 203, 224, 240, 255
            ]),
            any::<[u8; 3]>()
        )
            .prop_map(|(a, [b, c, d])| Ipv4Addr::new(a, b, c, d)),
    ]
}

proptest! {
    /// Attack 8: an IPv4 address the guard refuses stays refused when written inside an IPv6
    /// address, whichever embedding is used; the IPv4-mapped form is judged as its IPv4 address.
    #[test]
    fn ipv4_embedded_in_ipv6_is_refused_as_the_ipv4_is(v4 in arb_ipv4()) {
        let refused = |host: &str| target::check(&format!("https://{host}/x"), false).is_err();
        let [a, b, c, d] = v4.octets();
        let mapped = format!("[::ffff:{v4}]");
        prop_assert_eq!(refused(&mapped), refused(&v4.to_string()), "{}", mapped);
        if refused(&v4.to_string()) {
            for host in [
                format!("[::{v4}]"),
                format!("[::ffff:0:{v4}]"),
                format!("[64:ff9b::{v4}]"),
                format!("[2002:{:02x}{:02x}:{:02x}{:02x}::]", a, b, c, d),
            ] {
                prop_assert!(refused(&host), "{} embeds refused {}", host, v4);
            }
        }
    }
}

/// A template of text and placeholders over the paths `a` to `d`, some with a default.
fn arb_template() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        "[a-zé€ ]{0,6}",
        ("[a-d]", prop::option::of("[x€ ]{0,3}")).prop_map(|(path, default)| match default {
            Some(d) => format!("{{{{{path} | default: \"{d}\"}}}}"),
            None => format!("{{{{{path}}}}}"),
        }),
    ];
    prop::collection::vec(part, 0..8).prop_map(|parts| parts.concat())
}

/// Values for `a` to `d`: long and multi-byte strings, scalars, null, containers, or nothing.
fn arb_template_payload() -> impl Strategy<Value = Value> {
    let value = prop_oneof![
        "[xü😀 ]{0,40}".prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
        Just(json!([1])),
    ];
    prop::collection::btree_map("[a-d]", value, 0..4)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
}

proptest! {
    /// Attack 7: rendering under a limit gives the text rendered without one when that fits,
    /// `message_too_long` with the full length exactly when it does not, and any other fault as
    /// it is.
    #[test]
    fn bounded_rendering_agrees_with_the_whole_text(source in arb_template(),
                                                     payload in arb_template_payload(),
                                                     max_chars in 0usize..120) {
        let template = Template::parse(&source, "message.template").unwrap();
        let at = "message.template";
        let limit = Limit { max_chars, what: "message" };
        let bounded = template.render(&payload, at, limit);
        match template.render(&payload, at, Limit::NONE) {
            Ok(whole) if whole.chars().count() <= max_chars => {
                prop_assert_eq!(bounded.unwrap(), whole);
            }
            Ok(whole) => {
                let e = bounded.unwrap_err();
                prop_assert_eq!((e.kind(), e.location()), (ErrorKind::MessageTooLong, Some(at)));
                let expected = format!(
                    "the rendered message is {} characters long; at most {max_chars} are allowed",
                    whole.chars().count()
                );
                prop_assert_eq!(e.message(), expected.as_str());
            }
            Err(whole) => prop_assert_eq!(bounded.unwrap_err(), whole),
        }
    }
}

fn arb_key() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        "[a-z0-9_-]{1,12}",
        Just(String::new()),
        Just(" k ".to_owned()),
        "k{256}",
    ])
}

proptest! {
    /// Whatever keys a request carries, the one it applies under is the signed `webhook-id` when
    /// there is one, else the payload's: a header never replaces either, so a captured request
    /// re-sent under a fresh header key can only be refused or be a duplicate.
    #[test]
    fn a_header_key_never_replaces_the_signed_or_the_payload_key(
        signed in arb_key(), header in arb_key(), payload in arb_key(),
    ) {
        let keys = idempotency::Keys {
            signed: signed.as_deref(),
            header: header.as_deref(),
            payload: payload.as_deref(),
        };
        match (idempotency::resolve(keys), signed.as_deref().or(payload.as_deref())) {
            (Ok(key), Some(fixed)) => prop_assert_eq!(key.as_deref(), Some(fixed)),
            (Ok(key), None) => prop_assert_eq!(key.as_deref(), header.as_deref().map(str::trim)),
            (Err(e), _) => prop_assert!(matches!(
                e.kind(),
                ErrorKind::IdempotencyConflict | ErrorKind::InvalidIdempotencyKey
            )),
        }
        // A replay takes the key a retry of the same request would carry.
        let replayed = idempotency::for_replay(header.as_deref(), signed.is_some(), payload.as_deref());
        if signed.is_none() && payload.is_some() {
            prop_assert_eq!(replayed, payload);
        }
    }

    /// Every body an encrypted webhook cannot decode, whatever the reason, tells its sender the
    /// same thing; the precise reason stays with the error (for the history).
    #[test]
    fn every_decoding_failure_tells_the_sender_the_same(
        body in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..120),
            // Whole blocks of ciphertext: they reach the padding and the tag checks.
            (1..5usize).prop_flat_map(|n| prop::collection::vec(any::<u8>(), n * 16))
                .prop_map(|c| hookmap_core::envelope::base64_encode(&c).into_bytes()),
            "[A-Za-z0-9+/]{0,64}={0,2}".prop_map(String::into_bytes),
            "\\{\"iv\":\"[A-Za-z0-9+/]{0,24}\",\"data\":\"[A-Za-z0-9+/]{0,48}\"\\}".prop_map(String::into_bytes),
        ],
        gcm in any::<bool>(),
        anonymous in any::<bool>(),
    ) {
        let algorithm = if gcm { Algorithm::Aes256Gcm } else { Algorithm::Aes256Cbc };
        let enc = Encryption::new(algorithm, &"k".repeat(32), &"i".repeat(16)).unwrap();
        let sender = if anonymous { Sender::Anonymous } else { Sender::Authenticated };
        let told = hookmap_core::Error::new(ErrorKind::NotJson, "x").for_sender();
        if let Err(e) = inbound::decode_from(&body, Some(&enc), sender, None) {
            prop_assert!(e.kind().is_decoding(), "{e}");
            prop_assert_eq!(e.for_sender(), told.clone());
        }
    }
}
