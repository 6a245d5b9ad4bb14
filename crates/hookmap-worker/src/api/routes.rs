//! The route table of the management API. Dispatch goes through this table only, so the list
//! that `GET /v1/routes` returns, and that the tenant-isolation test walks, is complete by
//! construction: a new route cannot be served without being listed.

use serde_json::{json, Value};

/// Every endpoint, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Me,
    Routes,
    CommunityCreate,
    CommunityList,
    KeyCreate,
    KeyList,
    KeyDelete,
    UserCreate,
    UserFind,
    UserGet,
    FieldCreate,
    FieldList,
    FieldUpdate,
    FieldDelete,
    FieldHistories,
    CurrencyCreate,
    CurrencyList,
    CurrencyGet,
    CurrencyUpdate,
    CurrencyDelete,
    GamificationLogs,
    ChannelCreate,
    ChannelList,
    ChannelGet,
    ChannelMessages,
    BotGet,
    BotUpdate,
    SubscriptionCreate,
    SubscriptionList,
    SubscriptionGet,
    SubscriptionUpdate,
    SubscriptionDelete,
    SubscriptionTest,
    SubscriptionDeliveries,
    SubscriptionLogs,
    SubscriptionLog,
    SubscriptionResend,
    SubscriptionRecover,
    EventPublish,
    EventTypeCatalog,
    EventTypeList,
    EventTypeCreate,
    EventTypeGet,
    EventTypeDelete,
    HookCreate,
    HookList,
    HookGet,
    HookUpdate,
    HookDelete,
    HookCatch,
    DeliveryList,
    DeliveryGet,
    DeliveryReplay,
    ReplayStart,
    ReplayGet,
    QuotaGet,
    QuotaUpdate,
}

/// (method, path under `/v1/`, route). `{name}` segments are parameters; a path that starts with
/// `communities/{cid}/` acts on that community only.
pub const ROUTES: &[(&str, &str, Route)] = &[
    ("GET", "me", Route::Me),
    ("GET", "routes", Route::Routes),
    ("GET", "event-types", Route::EventTypeCatalog),
    ("POST", "communities", Route::CommunityCreate),
    ("GET", "communities", Route::CommunityList),
    ("POST", "communities/{cid}/api-keys", Route::KeyCreate),
    ("GET", "communities/{cid}/api-keys", Route::KeyList),
    (
        "DELETE",
        "communities/{cid}/api-keys/{kid}",
        Route::KeyDelete,
    ),
    ("POST", "communities/{cid}/users", Route::UserCreate),
    ("GET", "communities/{cid}/users", Route::UserFind),
    ("GET", "communities/{cid}/users/{uid}", Route::UserGet),
    ("POST", "communities/{cid}/user-fields", Route::FieldCreate),
    ("GET", "communities/{cid}/user-fields", Route::FieldList),
    (
        "PATCH",
        "communities/{cid}/user-fields/{key}",
        Route::FieldUpdate,
    ),
    (
        "DELETE",
        "communities/{cid}/user-fields/{key}",
        Route::FieldDelete,
    ),
    (
        "POST",
        "communities/{cid}/currencies",
        Route::CurrencyCreate,
    ),
    ("GET", "communities/{cid}/currencies", Route::CurrencyList),
    (
        "GET",
        "communities/{cid}/currencies/{key}",
        Route::CurrencyGet,
    ),
    (
        "PATCH",
        "communities/{cid}/currencies/{key}",
        Route::CurrencyUpdate,
    ),
    (
        "DELETE",
        "communities/{cid}/currencies/{key}",
        Route::CurrencyDelete,
    ),
    (
        "GET",
        "communities/{cid}/user-field-histories",
        Route::FieldHistories,
    ),
    (
        "GET",
        "communities/{cid}/gamification-logs",
        Route::GamificationLogs,
    ),
    ("POST", "communities/{cid}/channels", Route::ChannelCreate),
    ("GET", "communities/{cid}/channels", Route::ChannelList),
    (
        "GET",
        "communities/{cid}/channels/{chid}",
        Route::ChannelGet,
    ),
    (
        "GET",
        "communities/{cid}/channels/{chid}/messages",
        Route::ChannelMessages,
    ),
    ("GET", "communities/{cid}/bot", Route::BotGet),
    ("PATCH", "communities/{cid}/bot", Route::BotUpdate),
    (
        "POST",
        "communities/{cid}/webhooks",
        Route::SubscriptionCreate,
    ),
    ("GET", "communities/{cid}/webhooks", Route::SubscriptionList),
    (
        "GET",
        "communities/{cid}/webhooks/{sid}",
        Route::SubscriptionGet,
    ),
    (
        "PATCH",
        "communities/{cid}/webhooks/{sid}",
        Route::SubscriptionUpdate,
    ),
    (
        "DELETE",
        "communities/{cid}/webhooks/{sid}",
        Route::SubscriptionDelete,
    ),
    (
        "POST",
        "communities/{cid}/webhooks/{sid}/test",
        Route::SubscriptionTest,
    ),
    (
        "GET",
        "communities/{cid}/webhooks/{sid}/deliveries",
        Route::SubscriptionDeliveries,
    ),
    (
        "GET",
        "communities/{cid}/webhooks/{sid}/logs",
        Route::SubscriptionLogs,
    ),
    (
        "GET",
        "communities/{cid}/webhooks/{sid}/logs/{lid}",
        Route::SubscriptionLog,
    ),
    (
        "POST",
        "communities/{cid}/webhooks/{sid}/logs/{lid}/resend",
        Route::SubscriptionResend,
    ),
    (
        "POST",
        "communities/{cid}/webhooks/{sid}/recover",
        Route::SubscriptionRecover,
    ),
    ("POST", "communities/{cid}/events", Route::EventPublish),
    (
        "POST",
        "communities/{cid}/event-types",
        Route::EventTypeCreate,
    ),
    ("GET", "communities/{cid}/event-types", Route::EventTypeList),
    (
        "GET",
        "communities/{cid}/event-types/{name}",
        Route::EventTypeGet,
    ),
    (
        "DELETE",
        "communities/{cid}/event-types/{name}",
        Route::EventTypeDelete,
    ),
    (
        "POST",
        "communities/{cid}/incoming-webhooks",
        Route::HookCreate,
    ),
    (
        "GET",
        "communities/{cid}/incoming-webhooks",
        Route::HookList,
    ),
    (
        "GET",
        "communities/{cid}/incoming-webhooks/{wid}",
        Route::HookGet,
    ),
    (
        "PATCH",
        "communities/{cid}/incoming-webhooks/{wid}",
        Route::HookUpdate,
    ),
    (
        "DELETE",
        "communities/{cid}/incoming-webhooks/{wid}",
        Route::HookDelete,
    ),
    (
        "GET",
        "communities/{cid}/incoming-webhooks/{wid}/catch",
        Route::HookCatch,
    ),
    (
        "GET",
        "communities/{cid}/incoming-webhooks/{wid}/deliveries",
        Route::DeliveryList,
    ),
    (
        "GET",
        "communities/{cid}/incoming-webhooks/{wid}/deliveries/{did}",
        Route::DeliveryGet,
    ),
    (
        "POST",
        "communities/{cid}/incoming-webhooks/{wid}/deliveries/{did}/replay",
        Route::DeliveryReplay,
    ),
    (
        "POST",
        "communities/{cid}/incoming-webhooks/{wid}/deliveries/replay",
        Route::ReplayStart,
    ),
    (
        "GET",
        "communities/{cid}/incoming-webhooks/{wid}/replays/{rid}",
        Route::ReplayGet,
    ),
    ("GET", "communities/{cid}/quotas", Route::QuotaGet),
    ("PATCH", "communities/{cid}/quotas", Route::QuotaUpdate),
];

/// A route `find` matched: which, its pattern (for the request log), its parameters in order.
#[derive(Debug, PartialEq, Eq)]
pub struct Found<'p> {
    pub route: Route,
    pub pattern: &'static str,
    pub params: Vec<&'p str>,
}

/// The route for `method` and `path` (the segments after `v1`).
pub fn find<'p>(method: &str, path: &[&'p str]) -> Option<Found<'p>> {
    ROUTES.iter().find_map(|(m, pattern, route)| {
        if *m != method {
            return None;
        }
        let mut params = Vec::new();
        let mut segments = pattern.split('/');
        for part in path {
            match segments.next()? {
                p if p.starts_with('{') => params.push(*part),
                p if p == *part => {}
                _ => return None,
            }
        }
        segments.next().is_none().then_some(Found {
            route: *route,
            pattern,
            params,
        })
    })
}

/// The table as the API shows it.
pub fn listing() -> Value {
    Value::from(
        ROUTES
            .iter()
            .map(|(method, path, _)| json!({"method": method, "path": format!("/v1/{path}")}))
            .collect::<Vec<_>>(),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The OpenAPI document the worker serves at `/openapi.json` (a static asset).
    fn openapi() -> Value {
        serde_json::from_str(include_str!("../../../../www/openapi.json")).unwrap()
    }

    const METHODS: &[&str] = &[
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];

    /// `(METHOD, path)` with every `{name}` segment as `{}`: the document may name parameters as
    /// it likes, the shape must match.
    fn shape(method: &str, path: &str) -> (String, String) {
        let segments: Vec<&str> = path
            .split('/')
            .map(|s| {
                if s.starts_with('{') && s.ends_with('}') {
                    "{}"
                } else {
                    s
                }
            })
            .collect();
        (method.to_uppercase(), segments.join("/"))
    }

    /// Every operation of the document's `paths`, as `(path, method, operation)`.
    fn operations(doc: &Value) -> Vec<(String, String, Value)> {
        let mut out = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                if METHODS.contains(&method.as_str()) {
                    out.push((path.clone(), method.clone(), operation.clone()));
                }
            }
        }
        out
    }

    #[test]
    fn the_openapi_document_describes_every_route_and_no_other() {
        let doc = openapi();
        let documented: BTreeSet<_> = operations(&doc)
            .iter()
            .map(|(path, method, _)| shape(method, path))
            .collect();
        let mut served: BTreeSet<_> = ROUTES
            .iter()
            .map(|(method, path, _)| shape(method, &format!("/v1/{path}")))
            .collect();
        // Served outside the route table (lib.rs): the edge URL. Any other method on it is 405,
        // and any other path outside /v1 is a static asset (www/) or 404. Left out on purpose:
        // `POST /bench/batch/{token}`, which exists only in the `bench` feature's build (the
        // benchmark's own, scripts/bench.sh) and is no part of the API.
        served.insert(shape("POST", "/hooks/{token}"));
        let undocumented: Vec<_> = served.difference(&documented).collect();
        let not_served: Vec<_> = documented.difference(&served).collect();
        assert!(
            undocumented.is_empty() && not_served.is_empty(),
            "www/openapi.json and the routes differ: served but not documented {undocumented:?}; \
             documented but not served {not_served:?}"
        );
    }

    #[test]
    fn the_openapi_document_names_parameters_and_operations_as_the_route_table() {
        let doc = openapi();
        for (method, path, route) in ROUTES {
            let operation = &doc["paths"][format!("/v1/{path}")][method.to_lowercase()];
            let name = format!("{route:?}");
            let camel = name[..1].to_lowercase() + &name[1..];
            assert_eq!(operation["operationId"], camel, "{method} /v1/{path}");
        }
        // Every `{name}` in a path is declared as a path parameter of its operation, and no other.
        for (path, method, operation) in operations(&doc) {
            let in_path: BTreeSet<&str> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                .collect();
            let declared: BTreeSet<String> = operation["parameters"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|p| match p["$ref"].as_str() {
                    Some(r) => doc["components"]["parameters"]
                        [r.trim_start_matches("#/components/parameters/")]
                    .clone(),
                    None => p.clone(),
                })
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap().to_owned())
                .collect();
            let declared: BTreeSet<&str> = declared.iter().map(String::as_str).collect();
            assert_eq!(declared, in_path, "{method} {path}");
        }
    }

    #[test]
    fn every_parameter_route_is_scoped_to_its_community_first() {
        for (_, pattern, route) in ROUTES {
            if pattern.contains('{') {
                assert!(pattern.starts_with("communities/{cid}/"), "{route:?}");
            }
        }
    }

    #[test]
    fn finds_routes_with_their_parameters() {
        let path = [
            "communities",
            "com_1",
            "incoming-webhooks",
            "whk_2",
            "deliveries",
            "dlv_3",
        ];
        assert_eq!(
            find("GET", &path).map(|f| (f.route, f.params)),
            Some((Route::DeliveryGet, vec!["com_1", "whk_2", "dlv_3"]))
        );
        assert_eq!(find("POST", &path), None);
        assert_eq!(
            find("GET", &["communities", "c", "users", "u", "extra"]),
            None
        );
        let me = find("GET", &["me"]).unwrap();
        assert_eq!((me.route, me.pattern, me.params), (Route::Me, "me", vec![]));
        assert_eq!(find("GET", &[]), None);
    }
}
