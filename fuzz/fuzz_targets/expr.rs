//! Any expression over any payload: parsing and evaluation never panic and always end (the step
//! budget; libFuzzer's timeout catches a hang), a fault points inside the expression, the traced
//! evaluation (the preview's) answers as the plain one, and a result always writes as JSON.
//!
//! Input: the expression's text, a NUL byte, then the payload's JSON. Without a NUL, or with a
//! payload that is not JSON, the expression runs over a fixed payload of every kind of value.
#![no_main]

use hookmap_core::expr::{Expr, Input};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

fuzz_target!(|data: &[u8]| {
    let (text, rest) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], Some(&data[at + 1..])),
        None => (data, None),
    };
    let Ok(source) = std::str::from_utf8(text) else {
        return;
    };
    let payload = rest
        .and_then(|bytes| serde_json::from_slice::<Value>(bytes).ok())
        .unwrap_or_else(|| {
            json!({
                "total_price": "24.99", "amount_total": 2499, "price": 24.99, "n": -3,
                "big": 18446744073709551615u64, "status": "paid", "flag": true, "none": null,
                "items": [{"qty": 2, "price": "5.50"}, {"qty": 3, "price": "1.25"}],
                "customer": {"email": "Ada@Example.com", "tags": ["vip"]}
            })
        });
    let length = source.chars().count();
    let expr = match Expr::parse(source) {
        Ok(expr) => expr,
        Err(fault) => {
            assert!(fault.at <= length, "{fault:?} past {length}");
            return;
        }
    };
    let _ = expr.fraction();
    let headers = json!({"x-shopify-topic": "orders/paid"});
    let input = Input {
        payload: &payload,
        headers: Some(&headers),
        received_at: Some("2026-12-06T10:00:00Z"),
    };
    let plain = expr.eval(&input);
    let (traced, _steps) = expr.eval_traced(&input);
    assert_eq!(plain, traced);
    match plain {
        Ok(value) => {
            serde_json::to_string(&value.to_json()).unwrap();
        }
        Err(fault) => assert!(fault.at <= length, "{fault:?} past {length}"),
    }
});
