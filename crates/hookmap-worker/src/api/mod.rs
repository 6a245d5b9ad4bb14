//! The management API (`/v1/...`): authentication, tenant scoping and the route table.

mod chat;
mod communities;
mod currencies;
mod deliveries;
mod event_types;
mod events;
mod fields;
mod list;
mod logs;
mod outgoing;
mod quotas;
mod replays;
pub mod routes;
mod subscriptions;
pub(crate) mod users;
mod webhooks;

use serde_json::json;
use worker::{D1Database, Env, Request, Response};

use self::routes::Route;

use crate::caller::Caller;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::http::{self, RequestUrl};
use crate::log::RequestLog;

/// What every management handler gets.
pub struct Ctx<'a> {
    pub env: &'a Env,
    pub db: D1Database,
    pub url: RequestUrl,
    pub caller: Caller,
}

pub async fn dispatch(
    mut req: Request,
    env: &Env,
    url: RequestUrl,
    path: &[&str],
    log: &mut RequestLog,
) -> ApiResult<Response> {
    // The method as sent (worker's `Method` reads unknown methods as GET).
    let method = req.inner().method();
    let found = routes::find(&method, path.get(1..).unwrap_or_default());
    if let Some(found) = &found {
        log.route = format!("/v1/{}", found.pattern);
        log.community_id = found.params.first().map(|cid| (*cid).to_owned());
        if matches!(found.route, Route::DeliveryGet | Route::DeliveryReplay) {
            log.delivery_id = found.params.last().map(|did| (*did).to_owned());
        }
    }
    // Credentials are checked before the route's existence is told, so that an unauthenticated
    // caller cannot map the API by its 404s.
    let db = env.d1("DB")?;
    let caller = Caller::from_request(&req, env, &db).await?;
    let routes::Found { route, params, .. } =
        found.ok_or_else(|| wrong_method_or_no_route(path))?;
    let ctx = Ctx {
        env,
        db,
        url,
        caller,
    };
    // Every route under communities/{cid} first checks that the caller may see that community.
    if let Some(cid) = params.first() {
        community_visible(&ctx, cid).await?;
    }
    use Route as R;
    let req = &mut req;
    match (route, params.as_slice()) {
        (R::Me, []) => communities::me(&ctx).await,
        (R::Routes, []) => http::json(200, &json!({ "data": routes::listing() })),
        (R::CommunityCreate, []) => communities::create(&ctx, req).await,
        (R::CommunityList, []) => communities::list(&ctx).await,
        (R::KeyCreate, [cid]) => communities::create_key(&ctx, cid, req).await,
        (R::KeyList, [cid]) => communities::list_keys(&ctx, cid).await,
        (R::KeyDelete, [cid, kid]) => communities::delete_key(&ctx, cid, kid).await,
        (R::UserCreate, [cid]) => users::create(&ctx, cid, req).await,
        (R::UserFind, [cid]) => users::find(&ctx, cid).await,
        (R::UserGet, [cid, uid]) => users::get(&ctx, cid, uid).await,
        (R::FieldCreate, [cid]) => fields::create(&ctx, cid, req).await,
        (R::FieldList, [cid]) => fields::list(&ctx, cid).await,
        (R::FieldUpdate, [cid, key]) => fields::update(&ctx, cid, key, req).await,
        (R::FieldDelete, [cid, key]) => fields::delete(&ctx, cid, key).await,
        (R::FieldHistories, [cid]) => logs::field_histories(&ctx, cid).await,
        (R::CurrencyCreate, [cid]) => currencies::create(&ctx, cid, req).await,
        (R::CurrencyList, [cid]) => currencies::list(&ctx, cid).await,
        (R::CurrencyGet, [cid, key]) => currencies::get(&ctx, cid, key).await,
        (R::CurrencyUpdate, [cid, key]) => currencies::update(&ctx, cid, key, req).await,
        (R::CurrencyDelete, [cid, key]) => currencies::delete(&ctx, cid, key).await,
        (R::GamificationLogs, [cid]) => logs::gamification(&ctx, cid).await,
        (R::ChannelCreate, [cid]) => chat::create_channel(&ctx, cid, req).await,
        (R::ChannelList, [cid]) => chat::list_channels(&ctx, cid).await,
        (R::ChannelGet, [cid, chid]) => chat::get_channel(&ctx, cid, chid).await,
        (R::ChannelMessages, [cid, chid]) => chat::messages(&ctx, cid, chid).await,
        (R::BotGet, [cid]) => chat::bot(&ctx, cid).await,
        (R::BotUpdate, [cid]) => chat::update_bot(&ctx, cid, req).await,
        (R::SubscriptionCreate, [cid]) => subscriptions::create(&ctx, cid, req).await,
        (R::SubscriptionList, [cid]) => subscriptions::list(&ctx, cid).await,
        (R::SubscriptionGet, [cid, sid]) => subscriptions::get(&ctx, cid, sid).await,
        (R::SubscriptionUpdate, [cid, sid]) => subscriptions::update(&ctx, cid, sid, req).await,
        (R::SubscriptionDelete, [cid, sid]) => subscriptions::delete(&ctx, cid, sid).await,
        (R::SubscriptionTest, [cid, sid]) => subscriptions::test(&ctx, cid, sid).await,
        (R::SubscriptionDeliveries, [cid, sid]) => outgoing::deliveries(&ctx, cid, sid).await,
        (R::SubscriptionLogs, [cid, sid]) => outgoing::logs(&ctx, cid, sid).await,
        (R::SubscriptionLog, [cid, sid, lid]) => outgoing::log(&ctx, cid, sid, lid).await,
        (R::SubscriptionResend, [cid, sid, lid]) => {
            outgoing::resend(&ctx, cid, sid, lid, req).await
        }
        (R::SubscriptionRecover, [cid, sid]) => outgoing::recover(&ctx, cid, sid, req).await,
        (R::EventPublish, [cid]) => events::publish(&ctx, cid, req).await,
        (R::EventTypeCatalog, []) => event_types::catalog().await,
        (R::EventTypeList, [cid]) => event_types::list(&ctx, cid).await,
        (R::EventTypeCreate, [cid]) => event_types::create(&ctx, cid, req).await,
        (R::EventTypeGet, [cid, name]) => event_types::get(&ctx, cid, name).await,
        (R::EventTypeDelete, [cid, name]) => event_types::delete(&ctx, cid, name).await,
        (R::HookCreate, [cid]) => webhooks::create(&ctx, cid, req).await,
        (R::HookList, [cid]) => webhooks::list(&ctx, cid).await,
        (R::HookGet, [cid, wid]) => webhooks::get(&ctx, cid, wid).await,
        (R::HookUpdate, [cid, wid]) => webhooks::update(&ctx, cid, wid, req).await,
        (R::HookDelete, [cid, wid]) => webhooks::delete(&ctx, cid, wid).await,
        (R::HookCatch, [cid, wid]) => deliveries::catch(&ctx, cid, wid).await,
        (R::DeliveryList, [cid, wid]) => deliveries::list(&ctx, cid, wid).await,
        (R::DeliveryGet, [cid, wid, did]) => deliveries::get(&ctx, cid, wid, did).await,
        (R::DeliveryReplay, [cid, wid, did]) => deliveries::replay(&ctx, cid, wid, did).await,
        (R::ReplayStart, [cid, wid]) => replays::start(&ctx, cid, wid, req).await,
        (R::ReplayGet, [cid, wid, rid]) => replays::get(&ctx, cid, wid, rid).await,
        (R::QuotaGet, [cid]) => quotas::get(&ctx, cid).await,
        (R::QuotaUpdate, [cid]) => quotas::update(&ctx, cid, req).await,
        _ => Err(ApiError::internal(format!(
            "route {route:?} got {} parameters",
            params.len()
        ))),
    }
}

/// A path the API serves under other methods answers 405 with `Allow`, as HTTP says; any other
/// path is an unknown route.
fn wrong_method_or_no_route(path: &[&str]) -> ApiError {
    let path = path.get(1..).unwrap_or_default();
    let allowed: Vec<&str> = ["GET", "POST", "PATCH", "DELETE"]
        .into_iter()
        .filter(|m| routes::find(m, path).is_some())
        .collect();
    if allowed.is_empty() {
        return ApiError::no_route();
    }
    ApiError::method_not_allowed(&allowed)
}

/// A community the caller may not see answers exactly like one that does not exist.
async fn community_visible(ctx: &Ctx<'_>, cid: &str) -> ApiResult<()> {
    let exists = ctx.caller.may_access(cid)
        && db::first::<db::Count>(
            &ctx.db,
            "SELECT COUNT(*) AS n FROM communities WHERE id = ?1",
            &crate::args![cid],
        )
        .await?
        .is_some_and(|c| c.n > 0);
    if exists {
        Ok(())
    } else {
        Err(ApiError::not_found("this community"))
    }
}
