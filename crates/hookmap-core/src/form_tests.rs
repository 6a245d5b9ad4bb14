//! The form and query rules' unit and property tests.

use super::*;
use proptest::prelude::*;
use serde_json::json;

fn form(body: &str) -> Result<Value> {
    parse(body.as_bytes())
}

fn pairs_of(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn error(body: &str) -> Error {
    let e = form(body).unwrap_err();
    assert_eq!(
        (e.kind(), e.location()),
        (ErrorKind::InvalidForm, None),
        "{e}"
    );
    assert!(e.kind().is_decoding());
    e
}

#[test]
fn flat_pairs_become_strings() {
    assert_eq!(
        form("a=1&b=two&&c&d=").unwrap(),
        json!({"a": "1", "b": "two", "c": "", "d": ""})
    );
    assert_eq!(form("").unwrap(), json!({}));
    assert_eq!(form("&&").unwrap(), json!({}));
    // Only the first `=` splits.
    assert_eq!(form("a=b=c").unwrap(), json!({"a": "b=c"}));
}

#[test]
fn plus_is_a_space_and_escapes_are_bytes() {
    assert_eq!(
        form("name=Ada+Lovelace&note=50%25+off%21&c%C3%A9=%C3%A9t%C3%A9&plus=%2B").unwrap(),
        json!({"name": "Ada Lovelace", "note": "50% off!", "cé": "été", "plus": "+"})
    );
    // Escaped brackets are brackets: they nest like literal ones.
    assert_eq!(
        form("customer%5Bemail%5D=a%40b.io").unwrap(),
        json!({"customer": {"email": "a@b.io"}})
    );
}

#[test]
fn bad_escapes_and_bad_utf8_name_the_key() {
    for (body, named) in [
        ("a=%zz", "\"a\""),
        ("a=%4", "\"a\""),
        ("a=%", "\"a\""),
        ("k%2=1", "\"k%2\""),
        ("a=%ff", "\"a\""),
        ("a=%C3", "\"a\""),
    ] {
        let e = error(body);
        assert!(e.message().contains(named), "{body}: {e}");
    }
}

#[test]
fn brackets_nest_objects_and_lists() {
    assert_eq!(
        form("customer[email]=a&customer[name]=Ada&customer[address][city]=Paris").unwrap(),
        json!({"customer": {"email": "a", "name": "Ada", "address": {"city": "Paris"}}})
    );
    assert_eq!(
        form("tags[]=a&tags[]=b&x=1").unwrap(),
        json!({"tags": ["a", "b"], "x": "1"})
    );
    assert_eq!(
        form("items[][name]=x&items[][name]=y").unwrap(),
        json!({"items": [{"name": "x"}, {"name": "y"}]})
    );
}

#[test]
fn keys_zero_to_n_minus_one_are_an_array_as_php_encodes_them() {
    assert_eq!(
        form("items[0][name]=x&items[1][name]=y&items[1][qty]=2").unwrap(),
        json!({"items": [{"name": "x"}, {"name": "y", "qty": "2"}]})
    );
    // In index order, not the keys' text order ("10" sorts before "2").
    let body: String = (0..12).map(|i| format!("n[{i}]={i}&")).collect();
    let numbers: Vec<String> = (0..12).map(|i| i.to_string()).collect();
    assert_eq!(form(&body).unwrap(), json!({ "n": numbers }));
    // A gap, a start other than 0, a leading zero: an object, as json_encode writes it.
    assert_eq!(
        form("a[0]=x&a[2]=y").unwrap(),
        json!({"a": {"0": "x", "2": "y"}})
    );
    assert_eq!(form("a[1]=x").unwrap(), json!({"a": {"1": "x"}}));
    assert_eq!(
        form("a[0]=x&a[01]=y").unwrap(),
        json!({"a": {"0": "x", "01": "y"}})
    );
    // The payload itself stays an object.
    assert_eq!(form("0=a&1=b").unwrap(), json!({"0": "a", "1": "b"}));
}

#[test]
fn a_repeated_key_keeps_every_value_in_order() {
    assert_eq!(
        form("a=1&b=x&a=2&a=3").unwrap(),
        json!({"a": ["1", "2", "3"], "b": "x"})
    );
    assert_eq!(
        form("o[k]=1&o[k]=2").unwrap(),
        json!({"o": {"k": ["1", "2"]}})
    );
    // `a` and `a[]` both give values: one list of them.
    assert_eq!(
        form("a=1&a[]=2&a=3").unwrap(),
        json!({"a": ["1", "2", "3"]})
    );
    assert_eq!(form("a[]=1&a=2").unwrap(), json!({"a": ["1", "2"]}));
}

#[test]
fn a_name_given_two_ways_is_an_error_naming_the_key() {
    for (body, key) in [
        ("a=1&a[b]=2", "a[b]"),
        ("a[b]=2&a=1", "\"a\""),
        ("a[]=1&a[b]=2", "a[b]"),
        ("a[b]=1&a[]=2", "a[]"),
        ("a=1&a[][b]=2", "a[][b]"),
        ("a[][b]=1&a=2", "\"a\""),
        ("a[][b]=1&a[]=2", "a[]"),
        ("a[b]=1&a[b][c]=2", "a[b][c]"),
    ] {
        let e = error(body);
        assert!(e.message().contains(key), "{body}: {e}");
    }
}

#[test]
fn malformed_brackets_are_an_error_naming_the_key() {
    for key in ["a[b", "a]x", "a[b]x", "a[b[c]]", "[a]", "a[b]]", "]"] {
        let e = error(&format!("{key}=1"));
        assert!(e.message().contains("malformed"), "{key}: {e}");
        assert!(e.message().contains(&format!("{key:?}")), "{key}: {e}");
    }
}

#[test]
fn depth_and_count_are_bounded() {
    let deep = |n: usize| format!("a{}=1", "[b]".repeat(n));
    // The top object and 31 nested ones: 32 levels, the JSON limit.
    assert!(form(&deep(MAX_DEPTH - 1)).is_ok());
    let e = error(&deep(MAX_DEPTH));
    assert!(e.message().contains("deeper"), "{e}");
    let e = error(&deep(100_000));
    assert!(e.message().contains("deeper"), "{e}");
    let many = |n: usize| vec!["a=1"; n].join("&");
    assert!(form(&many(MAX_PAIRS)).is_ok());
    assert!(error(&many(MAX_PAIRS + 1)).message().contains("1000"));
    let too_many = vec![("a".to_owned(), String::new()); MAX_PAIRS + 1];
    assert_eq!(nest(&too_many).unwrap_err().kind(), ErrorKind::InvalidForm);
}

#[test]
fn the_content_type_is_read_without_its_parameters() {
    for ct in [
        "application/x-www-form-urlencoded",
        "Application/X-WWW-Form-URLEncoded; charset=UTF-8",
        " application/x-www-form-urlencoded ;charset=utf-8",
    ] {
        assert!(is_form(Some(ct)), "{ct}");
    }
    for ct in [
        None,
        Some("application/json"),
        Some("multipart/form-data"),
        Some("text/plain; a=application/x-www-form-urlencoded"),
    ] {
        assert!(!is_form(ct), "{ct:?}");
    }
}

#[test]
fn query_parameters_are_decoded_strictly_without_the_reserved_ones() {
    let got = params("dry_run=true&a=1&api_key=k&&b&c%5Bd%5D=x+y").unwrap();
    assert_eq!(got, pairs_of(&[("a", "1"), ("b", ""), ("c[d]", "x y")]));
    assert!(params("").unwrap().is_empty());
    let e = params("a=%zz").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidForm);
}

#[test]
fn the_query_joins_the_body_at_its_top_level() {
    let query = pairs_of(&[("source", "shop"), ("meta[id]", "7"), ("tag[]", "x")]);
    assert_eq!(
        merge_query(Some(json!({"a": {"b": 1}})), &query).unwrap(),
        json!({"a": {"b": 1}, "source": "shop", "meta": {"id": "7"}, "tag": ["x"]})
    );
    assert_eq!(
        merge_query(None, &query).unwrap(),
        json!({"source": "shop", "meta": {"id": "7"}, "tag": ["x"]})
    );
    assert_eq!(merge_query(None, &[]).unwrap(), json!({}));
    // Nothing to add: any JSON body stays as it is.
    assert_eq!(merge_query(Some(json!([1])), &[]).unwrap(), json!([1]));
}

#[test]
fn a_key_in_both_body_and_query_or_a_body_not_an_object_is_an_error() {
    let query = pairs_of(&[("a[c]", "2")]);
    let e = merge_query(Some(json!({"a": {"b": 1}})), &query).unwrap_err();
    assert_eq!((e.kind(), e.location()), (ErrorKind::InvalidForm, None));
    assert!(e.message().contains("\"a\""), "{e}");
    for body in [json!([1]), json!("x"), json!(3), json!(null)] {
        let e = merge_query(Some(body), &query).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidForm);
        assert!(e.message().contains("object"), "{e}");
    }
    let bad = pairs_of(&[("a[b", "1")]);
    assert!(merge_query(None, &bad).is_err());
}

/// What Node's `url` and `URLSearchParams` (and PHP's `http_build_query`) send: unreserved
/// characters as they are, a space as `+`, every other byte as `%XX`.
fn form_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                (b as char).to_string()
            }
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

proptest! {
    #[test]
    fn any_flat_map_of_strings_round_trips(
        map in prop::collection::btree_map("[^\\[\\]]{0,12}", ".{0,20}", 0..12)
    ) {
        let body: Vec<String> = map
            .iter()
            .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
            .collect();
        let expected: Map<String, Value> =
            map.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
        prop_assert_eq!(form(&body.join("&")).unwrap(), Value::Object(expected));
    }

    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Err(e) = parse(&body) {
            prop_assert_eq!(e.kind(), ErrorKind::InvalidForm);
        }
    }

    /// Whatever a request holds, it is a payload or a decoding failure (told `undecodable`), and
    /// a payload's kept text parses to the value planned from.
    #[test]
    fn any_request_is_a_payload_or_a_decoding_failure(
        body in "[a-c\\[\\]=&%+0-9{}\":]{0,40}",
        query in "[a-c\\[\\]=&%+0-9]{0,20}",
        form in any::<bool>(),
    ) {
        let ct = form.then_some(CONTENT_TYPE);
        let got = params(&query).and_then(|params| {
            crate::inbound::decode_request(body.as_bytes(), ct, &params, None, crate::Sender::Anonymous, None)
        });
        match got {
            Ok(decoded) => prop_assert_eq!(crate::payload::parse_text(&decoded.text).unwrap(), decoded.value),
            Err(e) => prop_assert!(e.kind().is_decoding(), "{}", e),
        }
    }
}
