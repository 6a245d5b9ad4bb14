#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use serde_json::{json, Value};

use super::*;

fn payload() -> Value {
    json!({
        "total_price": "24.99",
        "amount_total": 2499,
        "financial_status": "paid",
        "type": "checkout.session.completed",
        "tier": "gold",
        "price": 24.99,
        "line_items": [{"quantity": 2, "price": "5.50"}, {"quantity": 3, "price": "1.25"}],
        "customer": {"email": "Ada@Example.com", "name": "  Ada  "},
        "action": "created",
        "big": 18446744073709551615u64,
        "none": null
    })
}

fn eval_in(source: &str, payload: &Value) -> Result<Value, Fault> {
    let headers = json!({"x-shopify-topic": "orders/paid"});
    let input = Input {
        payload,
        headers: Some(&headers),
        received_at: Some("2026-12-06T10:00:00Z"),
    };
    let expr = Expr::parse(source)?;
    expr.eval(&input).map(|v| v.to_json())
}

fn eval(source: &str) -> Result<Value, Fault> {
    eval_in(source, &payload())
}

fn ok(source: &str) -> Value {
    eval(source).unwrap_or_else(|f| panic!("{source}: {f:?}"))
}

fn fault(source: &str) -> Fault {
    eval(source).unwrap_err()
}

#[test]
fn the_issues_examples_compute_exactly() {
    assert_eq!(ok("decimal(total_price) * 100"), json!(2499));
    assert_eq!(ok("decimal(\"24.99\") * 100 == 2499"), json!(true));
    assert_eq!(ok("amount_total / 100"), json!(24.99));
    assert_eq!(ok("floor(amount_total / 100)"), json!(24));
    assert_eq!(ok("0.1 + 0.2 == 0.3"), json!(true));
    assert_eq!(ok("round(decimal(total_price) * 10)"), json!(250));
    assert_eq!(ok("financial_status == \"paid\" ? 50 : 0"), json!(50));
    assert_eq!(ok("line_items.map(i, i.quantity).sum() * 5"), json!(25));
    assert_eq!(
        ok("sum(line_items.map(i, decimal(i.price) * i.quantity))"),
        json!(14.75)
    );
    assert_eq!(ok("{\"gold\": 100, \"silver\": 50}[tier]"), json!(100));
    assert_eq!(
        ok("headers[\"x-shopify-topic\"] == \"orders/paid\""),
        json!(true)
    );
    assert_eq!(
        ok("type == 'checkout.session.completed' && action == 'created'"),
        json!(true)
    );
    assert_eq!(ok("price * 100"), json!(2499));
    assert_eq!(ok("big + 1"), json!(18446744073709551616.0));
    assert_eq!(ok("string(big + 1)"), json!("18446744073709551616"));
}

#[test]
fn strings_and_lists() {
    assert_eq!(ok("lower(customer.email)"), json!("ada@example.com"));
    assert_eq!(ok("customer.email.upper()"), json!("ADA@EXAMPLE.COM"));
    assert_eq!(ok("customer.name.trim() + '!'"), json!("Ada!"));
    assert_eq!(ok("size('héllo')"), json!(5));
    assert_eq!(ok("size(line_items)"), json!(2));
    assert_eq!(
        ok("type.startsWith('checkout.') && type.endsWith('completed')"),
        json!(true)
    );
    assert_eq!(ok("customer.email.contains('@')"), json!(true));
    assert_eq!(ok("line_items.exists(i, i.quantity > 2)"), json!(true));
    assert_eq!(ok("line_items.all(i, i.quantity > 2)"), json!(false));
    assert_eq!(ok("line_items.filter(i, i.quantity > 2).size()"), json!(1));
    assert_eq!(ok("'paid' in ['paid', 'authorized']"), json!(true));
    assert_eq!(ok("'email' in customer"), json!(true));
    assert_eq!(ok("[1, 2] + [3]"), json!([1, 2, 3]));
    assert_eq!(ok("min(5, amount_total)"), json!(5));
    assert_eq!(ok("max([1, 7, 3])"), json!(7));
    assert_eq!(ok("received_at.startsWith('2026-12-06')"), json!(true));
    assert_eq!(ok("payload.tier"), json!("gold"));
    assert_eq!(ok("line_items[1]['quantity']"), json!(3));
}

#[test]
fn missing_members_have_a_question_and_a_default() {
    assert_eq!(ok("has(customer.email)"), json!(true));
    assert_eq!(ok("has(customer.phone)"), json!(false));
    assert_eq!(ok("has(order.id)"), json!(false));
    assert_eq!(ok("has(headers['x-shopify-topic'])"), json!(true));
    assert_eq!(ok("default(customer.phone, 'none')"), json!("none"));
    assert_eq!(ok("default(none, 7)"), json!(7));
    assert_eq!(ok("default(amount_total, 7)"), json!(2499));
    let f = fault("customer.phone");
    assert_eq!((f.kind, f.at), (ErrorKind::MissingPath, 0));
    assert!(f.message.contains("no key \"phone\""), "{f:?}");
    let f = fault("line_items[5].quantity");
    assert!(f.message.contains("no index 5 (the list has 2)"), "{f:?}");
}

#[test]
fn operators_never_coerce() {
    for (source, at) in [
        ("total_price * 10", 0),
        ("1 + '1'", 0),
        ("!amount_total", 1),
        ("tier < 5", 0),
        ("amount_total ? 1 : 2", 0),
        ("decimal('24.99x')", 0),
        ("decimal(true)", 8),
        ("sum([1, 'a'])", 0),
    ] {
        let f = fault(source);
        assert_eq!(
            (f.kind, f.at),
            (ErrorKind::WrongType, at),
            "{source}: {f:?}"
        );
    }
    assert_eq!(ok("1 == '1'"), json!(false));
    assert_eq!(ok("1 == 1.0"), json!(true));
}

#[test]
fn maps_compare_by_members_wherever_they_come_from() {
    assert_eq!(
        ok("customer == {'email': 'Ada@Example.com', 'name': '  Ada  '}"),
        json!(true)
    );
    assert_eq!(
        ok("{'name': '  Ada  ', 'email': 'Ada@Example.com'} == customer"),
        json!(true)
    );
    assert_eq!(
        ok("line_items[0] == {'quantity': 2.0, 'price': '5.50'}"),
        json!(true)
    );
    assert_eq!(ok("line_items[0] == {'quantity': 2}"), json!(false));
    assert_eq!(
        ok("line_items == [{'quantity': 2, 'price': '5.50'}, {'quantity': 3, 'price': '1.25'}]"),
        json!(true)
    );
    assert_eq!(ok("[[1, 2.0]] == [[1.0, 2]]"), json!(true));
    assert_eq!(ok("{'a': [1]} == {'a': [1.0]}"), json!(true));
    let f = fault("{'a': 1, 'a': 2}['a']");
    assert_eq!((f.kind, f.at), (ErrorKind::ExpressionFailed, 9));
    assert!(f.message.contains("repeats the key \"a\""), "{f:?}");
    // A repeated key that only the payload reveals is refused too.
    assert_eq!(
        fault("{tier: 1, 'gold': 2}").kind,
        ErrorKind::ExpressionFailed
    );
}

#[test]
fn decimal_tells_text_that_is_no_number_from_one_out_of_range() {
    assert!(fault("decimal('1.2.3')")
        .message
        .contains("is not a number as JSON writes them"));
    assert!(fault("decimal('1e-29')")
        .message
        .contains("is out of range"));
    assert_eq!(ok("decimal('0e9999')"), json!(0));
}

#[test]
fn logic_is_cels_commutative_logic() {
    assert_eq!(ok("customer.phone == 'x' && false"), json!(false));
    assert_eq!(ok("false && customer.phone == 'x'"), json!(false));
    assert_eq!(ok("customer.phone == 'x' || true"), json!(true));
    assert_eq!(
        fault("customer.phone == 'x' || false").kind,
        ErrorKind::MissingPath
    );
}

#[test]
fn arithmetic_faults_are_named() {
    let f = fault("amount_total / (amount_total - 2499)");
    assert_eq!(f.kind, ErrorKind::ExpressionFailed);
    assert!(f.message.contains("division by zero"), "{f:?}");
    let f = fault("79228162514264337593543950335 + 1");
    assert!(f.message.contains("out of range"), "{f:?}");
    let long = json!({"x": 0.123_456_789_012_345_67});
    let f = eval_in("x * 2", &long).unwrap_err();
    assert_eq!(f.kind, ErrorKind::ExpressionFailed);
    assert!(f.message.contains("decimal()"), "{f:?}");
}

#[test]
fn syntax_errors_point_at_their_character() {
    for (source, at, text) in [
        ("1 +", 3, "expected a value"),
        ("(1 + 2", 6, "expected \")\""),
        ("tier ==== 'x'", 7, "expected a value"),
        ("foo(1)", 0, "no function \"foo\""),
        ("round()", 0, "takes 1 or 2 arguments, not 0"),
        ("'abc", 0, "not closed"),
        ("1 # 2", 2, "unexpected character"),
        ("has(tier)", 0, "has() takes a member"),
        ("line_items.map(1, 2)", 15, "variable name"),
        ("map(line_items, i, i)", 0, "called on a list"),
        ("1.", 2, "expected a name after"),
        ("1e", 0, "is not a number"),
        ("a b", 2, "unexpected name"),
        // A bad escape points at its backslash, even when the text ends inside it.
        ("'o\\u", 2, "is not a character"),
        ("e'o\\u", 3, "is not a character"),
        ("'\\u12'", 1, "is not a character"),
        ("'ab\\q'", 3, "unknown escape"),
    ] {
        let f = Expr::parse(source).unwrap_err();
        assert_eq!(
            (f.kind, f.at),
            (ErrorKind::InvalidExpression, at),
            "{source}: {f:?}"
        );
        assert!(f.message.contains(text), "{source}: {f:?}");
    }
}

#[test]
fn limits_are_refused_at_parse_and_at_evaluation() {
    let long = format!("1{}", " + 1".repeat(MAX_LEN / 4));
    assert!(Expr::parse(&long)
        .unwrap_err()
        .message
        .contains("at most 1000"));
    let deep = format!(
        "{}1{}",
        "(".repeat(MAX_DEPTH + 1),
        ")".repeat(MAX_DEPTH + 1)
    );
    assert!(Expr::parse(&deep)
        .unwrap_err()
        .message
        .contains("nests deeper"));
    let ok_deep = format!("{}1{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
    assert!(Expr::parse(&ok_deep).is_ok());

    // A payload of 6,000 members makes a small expression run long: the steps stop it.
    let many = json!({"xs": vec![1; 6000]});
    let f = eval_in("xs.map(a, a + 1).sum()", &many).unwrap_err();
    assert_eq!(f.kind, ErrorKind::ExpressionStepLimit, "{f:?}");
    // Nested macros multiply: stopped too, long before the 36 million steps it asks for.
    let f = eval_in("xs.map(a, xs.map(b, b).size()).size()", &many).unwrap_err();
    assert_eq!(f.kind, ErrorKind::ExpressionStepLimit, "{f:?}");
    // Strings cannot double without bound.
    let f = eval("[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15].map(i, 'x').size()");
    assert!(f.is_ok());
    let doubling = (0..20).fold("'abcdefgh'".to_owned(), |s, _| format!("({s} + {s})"));
    assert!(
        Expr::parse(&doubling).is_err(),
        "over the length cap already"
    );
    let f = eval_in(
        "xs.map(a, 'abcdefghabcdefghabcdefghabcdefgh').filter(s, true).size()",
        &many,
    )
    .unwrap_err();
    assert_eq!(f.kind, ErrorKind::ExpressionStepLimit);
}

#[test]
fn the_fraction_check_names_where_a_fraction_comes_from() {
    let fraction = |s: &str| Expr::parse(s).unwrap().fraction().map(|f| (f.at, f.why));
    assert_eq!(fraction("amount_total"), None);
    assert_eq!(fraction("amount_total * 2 + 50"), None);
    assert_eq!(fraction("amount_total / 100"), Some((0, "divides")));
    assert_eq!(fraction("floor(amount_total / 100)"), None);
    assert_eq!(fraction("round(decimal(total_price) * 10)"), None);
    assert_eq!(
        fraction("decimal(total_price) * 10"),
        Some((0, "reads a decimal"))
    );
    assert_eq!(
        fraction("5 + 1.5"),
        Some((4, "is a number with a fraction"))
    );
    assert_eq!(fraction("5 + 2.0"), None);
    assert_eq!(fraction("paid ? 10 : amount / 3"), Some((12, "divides")));
    assert_eq!(
        fraction("{'gold': 1.5}[tier]"),
        Some((9, "is a number with a fraction"))
    );
    assert_eq!(
        fraction("items.map(i, i.q / 2).sum()"),
        Some((13, "divides"))
    );
    assert_eq!(
        fraction("[0.5, 1].map(x, x).sum()"),
        Some((1, "is a number with a fraction"))
    );
    assert_eq!(
        fraction("round(amount / 3, 2)"),
        Some((0, "rounds to decimal places"))
    );
    assert_eq!(fraction("size(items) * 5"), None);
    assert_eq!(fraction("amount / 3 > 2 ? 1 : 0"), None);
}

/// An expression's reads, each written `a.0.*.b` (`*`: every member).
fn reads(source: &str) -> Vec<String> {
    let e = Expr::parse(source).unwrap();
    e.reads()
        .map(|steps| {
            let step = |s: &Step| match s {
                Step::Segment(Segment::Key(k) | Segment::Token(k)) => k.clone(),
                Step::Segment(Segment::Index(i)) => i.to_string(),
                Step::Each => "*".to_owned(),
            };
            steps.iter().map(step).collect::<Vec<_>>().join(".")
        })
        .collect()
}

#[test]
fn reads_name_the_payload_paths_it_needs() {
    assert_eq!(
        reads("decimal(order.total) * 10 + items[0].qty"),
        ["order.total", "items.0.qty"]
    );
    assert!(reads("headers['x'] == received_at").is_empty());
    assert_eq!(reads("payload.a['b']"), ["a.b"]);
    assert_eq!(reads("size(payload)"), [""]);
    assert_eq!(reads("tiers[level]"), ["tiers", "level"]);
}

#[test]
fn a_macro_reads_into_every_member_of_its_list() {
    assert_eq!(reads("items.map(i, i.qty).sum()"), ["items.*.qty"]);
    assert_eq!(
        reads("orders.all(o, o.lines.exists(l, l.sku == o.sku))"),
        ["orders.*.lines.*.sku", "orders.*.sku"]
    );
    // The member itself, or read by a computed index: the whole member.
    assert_eq!(reads("items.map(i, i)"), ["items.*"]);
    assert_eq!(reads("items.map(i, i[k])"), ["items.*", "k"]);
    // filter's result is the members themselves; a computed list has its own reads.
    assert_eq!(reads("items.filter(i, i.qty > 1)"), ["items"]);
    assert_eq!(reads("[a, b].map(x, x.y)"), ["a", "b"]);
    // A variable hides a payload key of its name, inside its macro only.
    assert_eq!(reads("xs.map(qty, qty.n) + [qty]"), ["xs.*.n", "qty"]);
}

#[test]
fn traces_each_part_for_the_preview() {
    let p = payload();
    let expr = Expr::parse("round(decimal(total_price) * 10)").unwrap();
    let (out, trace) = expr.eval_traced(&Input::from(&p));
    assert_eq!(out.unwrap().to_json(), json!(250));
    let shown: Vec<(usize, Value)> = trace.into_iter().map(|t| (t.at, t.value)).collect();
    assert_eq!(
        shown,
        vec![
            (14, json!("24.99")),
            (6, json!(24.99)),
            (6, json!(249.9)),
            (0, json!(250)),
        ]
    );
}
