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
    SubscriptionLogs,
    SubscriptionResend,
    EventPublish,
    HookCreate,
    HookList,
    HookGet,
    HookUpdate,
    HookDelete,
    HookCatch,
    DeliveryList,
    DeliveryGet,
    DeliveryReplay,
}

/// (method, path under `/v1/`, route). `{name}` segments are parameters; a path that starts with
/// `communities/{cid}/` acts on that community only.
pub const ROUTES: &[(&str, &str, Route)] = &[
    ("GET", "me", Route::Me),
    ("GET", "routes", Route::Routes),
    ("POST", "communities", Route::CommunityCreate),
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
        "communities/{cid}/webhooks/{sid}/logs",
        Route::SubscriptionLogs,
    ),
    (
        "POST",
        "communities/{cid}/webhooks/{sid}/logs/{lid}/resend",
        Route::SubscriptionResend,
    ),
    ("POST", "communities/{cid}/events", Route::EventPublish),
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
];

/// The route for `method` and `path` (the segments after `v1`), with its parameters in order.
pub fn find<'p>(method: &str, path: &[&'p str]) -> Option<(Route, Vec<&'p str>)> {
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
        segments.next().is_none().then_some((*route, params))
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
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

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
            find("GET", &path),
            Some((Route::DeliveryGet, vec!["com_1", "whk_2", "dlv_3"]))
        );
        assert_eq!(find("POST", &path), None);
        assert_eq!(
            find("GET", &["communities", "c", "users", "u", "extra"]),
            None
        );
        assert_eq!(find("GET", &["me"]), Some((Route::Me, vec![])));
        assert_eq!(find("GET", &[]), None);
    }
}
