//! Every copy of a closed set outside the core is compared with the core's set, so a copy cannot
//! drift: the migrations' `CHECK (column IN (...))` constraints and `hookmap:` refusals, and the
//! OpenAPI contract's `enum`s. A new constraint or enum that no table below covers fails too.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use hookmap_core::auth::ApiKeyPlace;
use hookmap_core::community_schema::{MoveState, Placement};
use hookmap_core::event::EventType;
use hookmap_core::event_types::Emitter;
use hookmap_core::health::FailingReason;
use hookmap_core::joining::OnUnknownMember;
use hookmap_core::ops::CURRENCY_OPS;
use hookmap_core::profile::{Digest, Encoding};
use hookmap_core::query::DeliveryInclude;
use hookmap_core::quota::Quota;
use hookmap_core::shadow::ShadowKind;
use hookmap_core::stored::REFUSAL_PREFIX;
use hookmap_core::{
    Algorithm, ApiCode, ChannelType, DeliveryStatus, DisabledReason, ErrorKind, FieldType,
    HistoryStatus, Location, MatchBy, Op, SignatureScheme, StorageRefusal,
};
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> Vec<String> {
    all.iter().map(|&t| name(t).to_owned()).collect()
}

// ---- migrations ----

/// `table.column` -> the core set its latest CHECK must equal.
fn checked_columns() -> BTreeMap<&'static str, Vec<String>> {
    BTreeMap::from([
        (
            "user_fields.type",
            names(&FieldType::ALL, FieldType::as_str),
        ),
        ("placement.state", names(&Placement::ALL, Placement::as_str)),
        (
            "deliveries.status",
            names(&HistoryStatus::STORED, HistoryStatus::as_str),
        ),
        (
            "outgoing_deliveries.status",
            names(&DeliveryStatus::ALL, DeliveryStatus::as_str),
        ),
        (
            "channels.type",
            names(&ChannelType::ALL, ChannelType::as_str),
        ),
        (
            "incoming_webhooks.signature_scheme",
            names(&SignatureScheme::ALL, SignatureScheme::as_str),
        ),
        (
            "incoming_webhooks.api_key_in",
            names(&ApiKeyPlace::ALL, ApiKeyPlace::as_str),
        ),
        (
            "incoming_webhooks.on_unknown_member",
            names(&OnUnknownMember::ALL, OnUnknownMember::as_str),
        ),
        (
            "incoming_webhook_health.failing_reason",
            names(&FailingReason::ALL, FailingReason::as_str),
        ),
    ])
}

/// CHECKs deliberately not compared, with why.
// Currencies are community data: a CHECK listing some (0001's on gamification_logs, dropped by
// 0011) would be a copy, and fails here.
const UNCHECKED_COLUMNS: &[(&str, &str)] = &[];

/// The directory's migrations in the order they apply, comments removed.
fn migrations() -> Vec<(String, String)> {
    migrations_in("migrations")
}

/// A community's own database (its Durable Object): `hookmap_core::community_schema`.
fn community_migrations() -> Vec<(String, String)> {
    migrations_in("migrations/community")
}

fn migrations_in(dir: &str) -> Vec<(String, String)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let code: Vec<&str> = text
                .lines()
                .map(|l| l.split("--").next().unwrap_or_default())
                .collect();
            (p.display().to_string(), code.join("\n"))
        })
        .collect()
}

fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| c.is_whitespace() || c == '(' || c == ',')
        .filter(|w| !w.is_empty())
        .collect()
}

/// The quoted names of `IN ('a', 'b')` at the start of `text`.
fn quoted_list(text: &str) -> Vec<String> {
    let inside = text.split_once('(').unwrap().1.split_once(')').unwrap().0;
    inside
        .split(',')
        .map(|s| s.trim().trim_matches('\'').to_owned())
        .collect()
}

/// `table.column` -> the names its latest `CHECK (column IN (...))` allows, after every
/// migration: a table made again (or renamed over) loses the CHECKs of its old definition.
fn latest_checks() -> BTreeMap<String, Vec<String>> {
    latest_checks_of(migrations())
}

fn latest_checks_of(migrations: Vec<(String, String)>) -> BTreeMap<String, Vec<String>> {
    let mut checks: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let forget = |checks: &mut BTreeMap<String, Vec<String>>, table: &str| {
        checks.retain(|k, _| !k.starts_with(&format!("{table}.")));
    };
    for (_, sql) in migrations {
        let mut table = String::new();
        let mut rest = sql.as_str();
        while let Some(at) = rest.find(|c: char| c.is_ascii_uppercase()) {
            rest = &rest[at..];
            let w = words(rest);
            match w.as_slice() {
                ["CREATE", "TABLE", name, ..] => {
                    table = (*name).to_owned();
                    forget(&mut checks, &table);
                }
                ["DROP", "TABLE", name, ..] => forget(&mut checks, name.trim_end_matches(';')),
                ["ALTER", "TABLE", from, "RENAME", "TO", to, ..] => {
                    let to = to.trim_end_matches(';');
                    forget(&mut checks, to);
                    let moved: Vec<_> = checks
                        .iter()
                        .filter_map(|(k, v)| {
                            let column = k.strip_prefix(&format!("{from}."))?;
                            Some((format!("{to}.{column}"), v.clone()))
                        })
                        .collect();
                    forget(&mut checks, from);
                    checks.extend(moved);
                }
                ["ALTER", "TABLE", name, ..] => table = (*name).to_owned(),
                ["CHECK", column, "IN", ..] => {
                    let list = rest.split_once("IN").unwrap().1;
                    checks.insert(format!("{table}.{column}"), quoted_list(list));
                }
                _ => {}
            }
            let skip = rest
                .find(|c: char| !c.is_ascii_uppercase())
                .unwrap_or(rest.len());
            rest = &rest[skip..];
        }
    }
    checks
}

/// Each CHECK in `checks` allows exactly its core set.
fn assert_checks_are_core_sets(checks: &BTreeMap<String, Vec<String>>) {
    let expected = checked_columns();
    for (column, list) in checks {
        if UNCHECKED_COLUMNS.iter().any(|(c, _)| c == column) {
            continue;
        }
        let core = expected
            .get(column.as_str())
            .unwrap_or_else(|| panic!("CHECK on {column} is compared with no core set"));
        let (found, wanted): (BTreeSet<_>, BTreeSet<_>) =
            (list.iter().collect(), core.iter().collect());
        assert_eq!(found, wanted, "CHECK on {column} differs from the core set");
    }
}

#[test]
fn check_constraints_equal_the_core_sets() {
    let checks = latest_checks();
    assert_checks_are_core_sets(&checks);
    let expected = checked_columns();
    for column in expected.keys().filter(|c| !COMMUNITY_ONLY.contains(c)) {
        assert!(
            checks.contains_key(*column),
            "no CHECK on {column} any more"
        );
    }
}

/// Checked columns only a community's own database has.
const COMMUNITY_ONLY: [&str; 1] = ["placement.state"];

/// A community's database has the delivery path's tables: its CHECKs are the core sets too, as
/// far as it has the column (webhook settings stay in the directory).
#[test]
fn a_communitys_check_constraints_equal_the_core_sets() {
    let checks = latest_checks_of(community_migrations());
    assert_checks_are_core_sets(&checks);
    for column in [
        "user_fields.type",
        "deliveries.status",
        "outgoing_deliveries.status",
        "channels.type",
        "incoming_webhook_health.failing_reason",
    ]
    .into_iter()
    .chain(COMMUNITY_ONLY)
    {
        assert!(checks.contains_key(column), "no CHECK on {column}");
    }
}

#[test]
fn the_check_reader_follows_rebuilt_tables() {
    let checks = latest_checks();
    assert_eq!(
        checks["deliveries.status"],
        ["success", "failed", "pending", "filtered"]
    );
    assert!(!checks
        .keys()
        .any(|k| k.starts_with("incoming_webhooks_new.")));
}

// ---- refusals ----

fn raised_refusals(migrations: Vec<(String, String)>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (file, sql) in migrations {
        for (at, _) in sql.match_indices(REFUSAL_PREFIX) {
            let rest = &sql[at + REFUSAL_PREFIX.len()..];
            let name = rest.split('\'').next().unwrap();
            assert!(!name.is_empty(), "{file}: an unnamed refusal");
            found.insert(name.to_owned());
        }
    }
    found
}

#[test]
fn refusals_raised_by_migrations_are_the_core_set() {
    let core: BTreeSet<String> = StorageRefusal::ALL.iter().map(|r| r.to_string()).collect();
    assert_eq!(raised_refusals(migrations()), core);
    assert_eq!(
        raised_refusals(community_migrations()),
        core,
        "a community's database"
    );
}

/// The worker reads refusals through `StorageRefusal::from_error_text`, never by its own literal.
#[test]
fn the_worker_spells_no_refusal_itself() {
    for path in files_under(repo().join("crates/hookmap-worker/src")) {
        let text = std::fs::read_to_string(&path).unwrap();
        let literal = format!("\"{REFUSAL_PREFIX}");
        assert!(
            !text.contains(&literal),
            "{} matches a refusal by hand",
            path.display()
        );
    }
}

/// Every file under `dir`, its folders included.
fn files_under(dir: std::path::PathBuf) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![dir];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

// ---- OpenAPI ----

/// JSON pointer of an `enum` in www/openapi.json (a parameter named by its name, not its index)
/// -> the core set it must equal, in order.
fn openapi_enums() -> BTreeMap<&'static str, Vec<String>> {
    let ops = |all: &[Op]| names(all, Op::as_str);
    let publishable: Vec<EventType> = EventType::ALL
        .into_iter()
        .filter(|t| t.publishable())
        .collect();
    let statuses = names(&DeliveryStatus::ALL, DeliveryStatus::as_str);
    BTreeMap::from([
        (
            "/components/schemas/FieldType",
            names(&FieldType::ALL, FieldType::as_str),
        ),
        (
            "/components/schemas/MoveReport/properties/state",
            names(&MoveState::ALL, MoveState::as_str),
        ),
        (
            "/components/schemas/ChannelType",
            names(&ChannelType::ALL, ChannelType::as_str),
        ),
        (
            "/components/schemas/Algorithm",
            names(&Algorithm::ALL, Algorithm::as_str),
        ),
        (
            "/components/schemas/UserMatch/properties/match",
            names(&MatchBy::ALL, MatchBy::as_str),
        ),
        (
            "/components/schemas/FieldMapping/properties/op",
            ops(&Op::ALL),
        ),
        (
            "/components/schemas/WebhookLocation",
            names(&Location::ALL, Location::as_str),
        ),
        (
            "/components/schemas/Effect/oneOf/0/properties/op",
            ops(&CURRENCY_OPS),
        ),
        (
            "/components/schemas/Effect/oneOf/1/properties/op",
            ops(&Op::ALL),
        ),
        (
            "/components/schemas/AdjustmentCreate/properties/balances/items/properties/op",
            ops(&CURRENCY_OPS),
        ),
        (
            "/components/schemas/AdjustmentCreate/properties/fields/items/properties/op",
            ops(&Op::ALL),
        ),
        ("/components/schemas/DeliveryStatus", statuses),
        (
            "/paths/~1v1~1communities~1{cid}~1incoming-webhooks~1{wid}~1deliveries~1replay/post/requestBody/content/application~1json/schema/properties/status",
            names(&DeliveryStatus::REPLAYABLE, DeliveryStatus::as_str),
        ),
        (
            "/paths/~1v1~1communities~1{cid}~1incoming-webhooks~1{wid}~1deliveries/get/parameters/include/schema",
            names(&DeliveryInclude::ALL, DeliveryInclude::as_str),
        ),
        (
            "/paths/~1v1~1communities~1{cid}~1deliveries/get/parameters/include/schema",
            names(&DeliveryInclude::ALL, DeliveryInclude::as_str),
        ),
        (
            "/components/schemas/HistoryStatus",
            names(&HistoryStatus::ALL, HistoryStatus::as_str),
        ),
        (
            "/components/schemas/SignatureScheme",
            names(&SignatureScheme::ALL, SignatureScheme::as_str),
        ),
        (
            "/components/schemas/HmacAlgorithm",
            names(&Digest::ALL, Digest::as_str),
        ),
        (
            "/components/schemas/SignatureEncoding",
            names(&Encoding::ALL, Encoding::as_str),
        ),
        (
            "/components/schemas/ApiKeyPlace",
            names(&ApiKeyPlace::ALL, ApiKeyPlace::as_str),
        ),
        (
            "/components/schemas/OnUnknownMember",
            names(&OnUnknownMember::ALL, OnUnknownMember::as_str),
        ),
        (
            "/components/schemas/DisabledReason",
            names(&DisabledReason::ALL, DisabledReason::as_str),
        ),
        (
            "/components/schemas/FailingReason",
            names(&FailingReason::ALL, FailingReason::as_str),
        ),
        (
            "/components/schemas/EventType",
            names(&EventType::ALL, EventType::as_str),
        ),
        (
            "/components/schemas/EventPublish/properties/type/anyOf/0",
            names(&publishable, EventType::as_str),
        ),
        (
            "/components/schemas/Emitter",
            names(&Emitter::ALL, Emitter::as_str),
        ),
        (
            "/components/schemas/ErrorBody/properties/details/properties/quota",
            names(&Quota::ALL, Quota::as_str),
        ),
        ("/components/schemas/ErrorCode", error_codes()),
    ])
}

/// Every code an error answer may carry: the worker's own and the core's failures', in order.
fn error_codes() -> Vec<String> {
    let codes: BTreeSet<&str> = ApiCode::NAMES.into_iter().chain(ErrorKind::NAMES).collect();
    codes.into_iter().map(str::to_owned).collect()
}

/// Where an operation's response names the error codes it raises: each is one of
/// [`error_codes`].
const RAISED_CODES: &str = "/properties/error/properties/code";

/// `enum`s not compared with a core set: (pointer suffix, why).
const UNCHECKED_ENUMS: &[(&str, &str)] = &[
    (
        "/components/schemas/Route/properties/method",
        "HTTP methods, not a vocabulary of hookmap's",
    ),
    (
        "/components/schemas/IncomingWebhook/properties/warnings/items/properties/code",
        "one warning, raised in one place",
    ),
    (
        "/components/schemas/Subscription/properties/warnings/items/properties/code",
        "one warning, raised in one place",
    ),
];

fn enums_in(value: &Value, pointer: String, out: &mut BTreeMap<String, Vec<String>>) {
    let escape = |k: &str| k.replace('~', "~0").replace('/', "~1");
    match value {
        Value::Object(obj) => {
            if let Some(Value::Array(list)) = obj.get("enum") {
                let list = list
                    .iter()
                    .map(|v| v.as_str().unwrap().to_owned())
                    .collect();
                out.insert(pointer.clone(), list);
            }
            for (k, v) in obj {
                enums_in(v, format!("{pointer}/{}", escape(k)), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                // A parameter is named by its name, not its place in the list.
                let step = match (v.get("in"), v.get("name").and_then(Value::as_str)) {
                    (Some(_), Some(name)) => escape(name),
                    _ => i.to_string(),
                };
                enums_in(v, format!("{pointer}/{step}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn openapi_enums_equal_the_core_sets() {
    let text = std::fs::read_to_string(repo().join("www/openapi.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let mut found = BTreeMap::new();
    enums_in(&doc, String::new(), &mut found);
    let expected = openapi_enums();
    let codes = error_codes();
    for (pointer, list) in &found {
        if pointer.ends_with(RAISED_CODES) {
            let unknown: Vec<&String> = list.iter().filter(|c| !codes.contains(c)).collect();
            assert!(
                unknown.is_empty(),
                "{pointer} names codes nobody raises: {unknown:?}"
            );
            continue;
        }
        if UNCHECKED_ENUMS
            .iter()
            .any(|(suffix, _)| pointer.ends_with(suffix))
        {
            continue;
        }
        let core = expected
            .get(pointer.as_str())
            .unwrap_or_else(|| panic!("enum at {pointer} is compared with no core set"));
        assert_eq!(list, core, "enum at {pointer} differs from the core set");
    }
    for pointer in expected.keys() {
        assert!(
            found.contains_key(*pointer),
            "no enum at {pointer} any more"
        );
    }
}

// ---- the page ----

/// The page takes its sets from the engine's `capabilities()`: no page file quotes one of their
/// names. Field and channel types are left out: "number", "text" and "boolean" are also HTML
/// input types and JSON kinds; an HMAC profile's hashes and encodings, and where an API key goes
/// ("header", "query", "hex", "base64"), are words the page's code uses for other things.
/// Currencies are left out while they become data.
#[test]
fn the_page_spells_none_of_the_sets() {
    let sets: Vec<&str> = [
        &Op::NAMES[..],
        &MatchBy::NAMES,
        &Location::NAMES,
        &Algorithm::NAMES,
        &EventType::NAMES,
        &DeliveryStatus::NAMES,
        &HistoryStatus::NAMES,
        &ShadowKind::NAMES,
        &SignatureScheme::NAMES,
    ]
    .concat();
    let www = repo().join("www");
    let mut files = vec![www.join("app.js"), www.join("index.html")];
    files.extend(files_under(www.join("js")));
    assert!(files.len() > 10, "the page's modules were not found");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for name in &sets {
            for quote in ['\'', '"', '`'] {
                let literal = format!("{quote}{name}{quote}");
                assert!(
                    !text.contains(&literal),
                    "{} spells {literal}: take it from capabilities()",
                    file.display()
                );
            }
        }
    }
}

// ---- the documents ----

/// Each signature scheme is documented where a user picks one: a row of the README's table of
/// real senders and a part of the OpenAPI enum's description, both naming its signature header.
#[test]
fn every_signature_scheme_is_documented() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let start = readme.find("### Real senders").unwrap();
    let section = &readme[start..];
    let section = &section[..section[4..].find("\n### ").unwrap()];
    let rows: BTreeMap<&str, &str> = section
        .lines()
        .filter_map(|l| Some((l.strip_prefix("| `")?.split_once('`')?.0, l)))
        .collect();
    let listed: Vec<&str> = rows.keys().copied().collect();
    let mut expected = SignatureScheme::NAMES.to_vec();
    expected.sort_unstable();
    assert_eq!(listed, expected, "the README's table of real senders");
    let openapi: Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("www/openapi.json")).unwrap())
            .unwrap();
    let described = openapi["components"]["schemas"]["SignatureScheme"]["description"]
        .as_str()
        .unwrap();
    for scheme in SignatureScheme::ALL {
        let part = described
            .split_once(&format!("{scheme}: "))
            .unwrap_or_else(|| panic!("OpenAPI's SignatureScheme does not describe {scheme}"))
            .1;
        if let Some(header) = scheme.headers().first() {
            assert!(rows[scheme.as_str()].contains(header), "README: {scheme}");
            assert!(part.contains(header), "OpenAPI: {scheme}");
        }
    }
}
