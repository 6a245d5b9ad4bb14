//! The route table of the management API: each route written once (see `routing`). Dispatch
//! goes through this table only, so the list that `GET /v1/routes` returns, and that the
//! tenant-isolation test walks, is complete by construction.

use serde::Serialize;
use worker::Response;

use super::webhooks::row::WebhookRow;
use super::{
    chat, communities, currencies, deliveries, event_types, events, fields, logs,
    member_adjustments, outgoing, quotas, replays, resource, subscriptions, users, webhooks,
};
use crate::error::ApiResult;
use crate::http;

// A path with parameters starts with `"communities", cid`: the route acts on that community only
// (checked for every route by a test below, and by `api::dispatch` before the handler runs).
routes! {
    serve(ctx, req);
    Me {}
        GET ["me"]
        => communities::me(ctx);
    Routes {}
        GET ["routes"]
        => listing();
    CommunityCreate {}
        POST ["communities"]
        => communities::create(ctx, req);
    CommunityList {}
        GET ["communities"]
        => communities::list(ctx);
    CommunityMove { cid }
        POST ["communities", cid, "move"]
        => communities::move_step(ctx, cid);
    KeyCreate { cid }
        POST ["communities", cid, "api-keys"]
        => communities::create_key(ctx, cid, req);
    KeyList { cid }
        GET ["communities", cid, "api-keys"]
        => communities::list_keys(ctx, cid);
    KeyDelete { cid, kid }
        DELETE ["communities", cid, "api-keys", kid]
        => communities::delete_key(ctx, cid, kid);
    KeyRotate { cid, kid }
        POST ["communities", cid, "api-keys", kid, "rotate"]
        => communities::rotate_key(ctx, cid, kid, req);
    UserCreate { cid }
        POST ["communities", cid, "users"]
        => users::create(ctx, cid, req);
    UserFind { cid }
        GET ["communities", cid, "users"]
        => users::find(ctx, cid);
    UserGet { cid, uid }
        GET ["communities", cid, "users", uid]
        => users::get(ctx, cid, uid);
    UserAdjust { cid, uid }
        POST ["communities", cid, "users", uid, "adjustments"]
        => member_adjustments::create(ctx, cid, uid, req);
    UserAdjustments { cid, uid }
        GET ["communities", cid, "users", uid, "adjustments"]
        => member_adjustments::list(ctx, cid, uid);
    FieldCreate { cid }
        POST ["communities", cid, "user-fields"]
        => fields::create(ctx, cid, req);
    FieldList { cid }
        GET ["communities", cid, "user-fields"]
        => fields::list(ctx, cid);
    FieldUpdate { cid, key }
        PATCH ["communities", cid, "user-fields", key]
        => fields::update(ctx, cid, key, req);
    FieldDelete { cid, key }
        DELETE ["communities", cid, "user-fields", key]
        => fields::delete(ctx, cid, key);
    FieldHistories { cid }
        GET ["communities", cid, "user-field-histories"]
        => logs::field_histories(ctx, cid);
    CurrencyCreate { cid }
        POST ["communities", cid, "currencies"]
        => currencies::create(ctx, cid, req);
    CurrencyList { cid }
        GET ["communities", cid, "currencies"]
        => currencies::list(ctx, cid);
    CurrencyGet { cid, key }
        GET ["communities", cid, "currencies", key]
        => currencies::get(ctx, cid, key);
    CurrencyUpdate { cid, key }
        PATCH ["communities", cid, "currencies", key]
        => currencies::update(ctx, cid, key, req);
    CurrencyDelete { cid, key }
        DELETE ["communities", cid, "currencies", key]
        => currencies::delete(ctx, cid, key);
    GamificationLogs { cid }
        GET ["communities", cid, "gamification-logs"]
        => logs::gamification(ctx, cid);
    ChannelCreate { cid }
        POST ["communities", cid, "channels"]
        => chat::create_channel(ctx, cid, req);
    ChannelList { cid }
        GET ["communities", cid, "channels"]
        => chat::list_channels(ctx, cid);
    ChannelGet { cid, chid }
        GET ["communities", cid, "channels", chid]
        => chat::get_channel(ctx, cid, chid);
    ChannelMessages { cid, chid }
        GET ["communities", cid, "channels", chid, "messages"]
        => chat::messages(ctx, cid, chid);
    BotGet { cid }
        GET ["communities", cid, "bot"]
        => chat::bot(ctx, cid);
    BotUpdate { cid }
        PATCH ["communities", cid, "bot"]
        => chat::update_bot(ctx, cid, req);
    SubscriptionCreate { cid }
        POST ["communities", cid, "webhooks"]
        => subscriptions::create(ctx, cid, req);
    SubscriptionList { cid }
        GET ["communities", cid, "webhooks"]
        => resource::list::<subscriptions::Row>(ctx, cid);
    SubscriptionGet { cid, sid }
        GET ["communities", cid, "webhooks", sid]
        => resource::get::<subscriptions::Row>(ctx, cid, sid);
    SubscriptionUpdate { cid, sid }
        PATCH ["communities", cid, "webhooks", sid]
        => subscriptions::update(ctx, cid, sid, req);
    SubscriptionDelete { cid, sid }
        DELETE ["communities", cid, "webhooks", sid]
        => subscriptions::delete(ctx, cid, sid);
    SubscriptionTest { cid, sid }
        POST ["communities", cid, "webhooks", sid, "test"]
        => subscriptions::test(ctx, cid, sid);
    SubscriptionDeliveries { cid, sid }
        GET ["communities", cid, "webhooks", sid, "deliveries"]
        => outgoing::deliveries(ctx, cid, sid);
    SubscriptionLogs { cid, sid }
        GET ["communities", cid, "webhooks", sid, "logs"]
        => outgoing::logs(ctx, cid, sid);
    SubscriptionLog { cid, sid, lid }
        GET ["communities", cid, "webhooks", sid, "logs", lid]
        => outgoing::log(ctx, cid, sid, lid);
    SubscriptionResend { cid, sid, lid }
        POST ["communities", cid, "webhooks", sid, "logs", lid, "resend"]
        => outgoing::resend(ctx, cid, sid, lid, req);
    SubscriptionRecover { cid, sid }
        POST ["communities", cid, "webhooks", sid, "recover"]
        => outgoing::recover(ctx, cid, sid, req);
    EventPublish { cid }
        POST ["communities", cid, "events"]
        => events::publish(ctx, cid, req);
    EventTypeCatalog {}
        GET ["event-types"]
        => event_types::catalog();
    EventTypeList { cid }
        GET ["communities", cid, "event-types"]
        => event_types::list(ctx, cid);
    EventTypeCreate { cid }
        POST ["communities", cid, "event-types"]
        => event_types::create(ctx, cid, req);
    EventTypeGet { cid, name }
        GET ["communities", cid, "event-types", name]
        => event_types::get(ctx, cid, name);
    EventTypeDelete { cid, name }
        DELETE ["communities", cid, "event-types", name]
        => event_types::delete(ctx, cid, name);
    HookCreate { cid }
        POST ["communities", cid, "incoming-webhooks"]
        => webhooks::create(ctx, cid, req);
    HookList { cid }
        GET ["communities", cid, "incoming-webhooks"]
        => resource::list::<WebhookRow>(ctx, cid);
    HookGet { cid, wid }
        GET ["communities", cid, "incoming-webhooks", wid]
        => resource::get::<WebhookRow>(ctx, cid, wid);
    HookUpdate { cid, wid }
        PATCH ["communities", cid, "incoming-webhooks", wid]
        => webhooks::update(ctx, cid, wid, req);
    HookDelete { cid, wid }
        DELETE ["communities", cid, "incoming-webhooks", wid]
        => webhooks::delete(ctx, cid, wid);
    HookCatch { cid, wid }
        GET ["communities", cid, "incoming-webhooks", wid, "catch"]
        => deliveries::catch(ctx, cid, wid);
    CommunityDeliveries { cid }
        GET ["communities", cid, "deliveries"]
        => deliveries::list_community(ctx, cid);
    DeliveryList { cid, wid }
        GET ["communities", cid, "incoming-webhooks", wid, "deliveries"]
        => deliveries::list(ctx, cid, wid);
    DeliveryGet { cid, wid, did }
        GET ["communities", cid, "incoming-webhooks", wid, "deliveries", did]
        => deliveries::get(ctx, cid, wid, did);
    DeliveryReplay { cid, wid, did }
        POST ["communities", cid, "incoming-webhooks", wid, "deliveries", did, "replay"]
        => deliveries::replay(ctx, cid, wid, did);
    ReplayStart { cid, wid }
        POST ["communities", cid, "incoming-webhooks", wid, "deliveries", "replay"]
        => replays::start(ctx, cid, wid, req);
    ReplayGet { cid, wid, rid }
        GET ["communities", cid, "incoming-webhooks", wid, "replays", rid]
        => replays::get(ctx, cid, wid, rid);
    QuotaGet { cid }
        GET ["communities", cid, "quotas"]
        => quotas::get(ctx, cid);
    QuotaUpdate { cid }
        PATCH ["communities", cid, "quotas"]
        => quotas::update(ctx, cid, req);
    UsageGet { cid }
        GET ["communities", cid, "usage"]
        => quotas::usage(ctx, cid);
}

/// `GET /v1/routes`: the table as the API shows it.
async fn listing() -> ApiResult<Response> {
    #[derive(Serialize)]
    struct Listed {
        method: &'static str,
        path: &'static str,
    }
    let data = ROUTES
        .iter()
        .map(|&(method, path, _)| Listed { method, path })
        .collect();
    http::json(200, &http::Data { data })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use serde_json::Value;
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
            .map(|(method, path, _)| shape(method, path))
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
            let operation = &doc["paths"][*path][method.to_lowercase()];
            let name = format!("{route:?}");
            let camel = name[..1].to_lowercase() + &name[1..];
            assert_eq!(operation["operationId"], camel, "{method} {path}");
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
                assert!(pattern.starts_with("/v1/communities/{cid}/"), "{route:?}");
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
        let found = find("GET", &path).unwrap();
        assert_eq!(
            found,
            Matched::DeliveryGet {
                cid: "com_1",
                wid: "whk_2",
                did: "dlv_3"
            }
        );
        assert_eq!(
            (found.route(), found.params()),
            (Route::DeliveryGet, vec!["com_1", "whk_2", "dlv_3"])
        );
        assert_eq!(find("POST", &path), None);
        assert_eq!(
            find("GET", &["communities", "c", "users", "u", "extra"]),
            None
        );
        let me = find("GET", &["me"]).unwrap();
        assert_eq!((me.route(), me.params()), (Route::Me, vec![]));
        assert_eq!(find("GET", &[]), None);
    }

    #[test]
    fn the_listing_spells_parameters_as_openapi_does() {
        assert!(ROUTES.contains(&(
            "PATCH",
            "/v1/communities/{cid}/user-fields/{key}",
            Route::FieldUpdate
        )));
        assert!(ROUTES.contains(&("GET", "/v1/me", Route::Me)));
    }
}
