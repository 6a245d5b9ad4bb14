//! The management API (`/v1/...`): authentication, tenant scoping and the route table.

mod chat;
mod communities;
mod deliveries;
mod fields;
mod logs;
mod subscriptions;
mod users;
mod webhooks;

use worker::{D1Database, Env, Method, Request, Response, Url};

use crate::caller::Caller;
use crate::db;
use crate::error::{ApiError, ApiResult};

/// What every management handler gets.
pub struct Ctx<'a> {
    pub env: &'a Env,
    pub db: D1Database,
    pub url: Url,
    pub caller: Caller,
}

pub async fn dispatch(mut req: Request, env: &Env, url: Url, path: &[&str]) -> ApiResult<Response> {
    let db = env.d1("DB")?;
    let caller = Caller::from_request(&req, env, &db).await?;
    let method = req.method();
    let ctx = Ctx {
        env,
        db,
        url,
        caller,
    };
    use Method::{Delete, Get, Patch, Post};
    if let ([_v1, "me"], Get) = (path, &method) {
        return communities::me(&ctx).await;
    }
    let [_v1, "communities", rest @ ..] = path else {
        return Err(no_route());
    };
    let (cid, rest) = match rest {
        [] if method == Post => return communities::create(&ctx, &mut req).await,
        [cid, rest @ ..] => (*cid, rest),
        _ => return Err(no_route()),
    };
    community_visible(&ctx, cid).await?;
    match (method, rest) {
        (Post, ["api-keys"]) => communities::create_key(&ctx, cid, &mut req).await,
        (Get, ["api-keys"]) => communities::list_keys(&ctx, cid).await,
        (Delete, ["api-keys", kid]) => communities::delete_key(&ctx, cid, kid).await,
        (Post, ["users"]) => users::create(&ctx, cid, &mut req).await,
        (Get, ["users"]) => users::find(&ctx, cid).await,
        (Get, ["users", uid]) => users::get(&ctx, cid, uid).await,
        (Post, ["user-fields"]) => fields::create(&ctx, cid, &mut req).await,
        (Get, ["user-fields"]) => fields::list(&ctx, cid).await,
        (Patch, ["user-fields", key]) => fields::update(&ctx, cid, key, &mut req).await,
        (Delete, ["user-fields", key]) => fields::delete(&ctx, cid, key).await,
        (Get, ["user-field-histories"]) => logs::field_histories(&ctx, cid).await,
        (Get, ["gamification-logs"]) => logs::gamification(&ctx, cid).await,
        (Post, ["channels"]) => chat::create_channel(&ctx, cid, &mut req).await,
        (Get, ["channels"]) => chat::list_channels(&ctx, cid).await,
        (Get, ["channels", chid]) => chat::get_channel(&ctx, cid, chid).await,
        (Get, ["channels", chid, "messages"]) => chat::messages(&ctx, cid, chid).await,
        (Get, ["bot"]) => chat::bot(&ctx, cid).await,
        (Patch, ["bot"]) => chat::update_bot(&ctx, cid, &mut req).await,
        (Post, ["webhooks"]) => subscriptions::create(&ctx, cid, &mut req).await,
        (Get, ["webhooks"]) => subscriptions::list(&ctx, cid).await,
        (Get, ["webhooks", id]) => subscriptions::get(&ctx, cid, id).await,
        (Patch, ["webhooks", id]) => subscriptions::update(&ctx, cid, id, &mut req).await,
        (Delete, ["webhooks", id]) => subscriptions::delete(&ctx, cid, id).await,
        (Post, ["webhooks", id, "test"]) => subscriptions::test(&ctx, cid, id).await,
        (Get, ["webhooks", id, "logs"]) => subscriptions::logs(&ctx, cid, id).await,
        (Post, ["webhooks", id, "logs", log, "resend"]) => {
            subscriptions::resend(&ctx, cid, id, log).await
        }
        (Post, ["events"]) => subscriptions::publish(&ctx, cid, &mut req).await,
        (Post, ["incoming-webhooks"]) => webhooks::create(&ctx, cid, &mut req).await,
        (Get, ["incoming-webhooks"]) => webhooks::list(&ctx, cid).await,
        (Get, ["incoming-webhooks", id]) => webhooks::get(&ctx, cid, id).await,
        (Patch, ["incoming-webhooks", id]) => webhooks::update(&ctx, cid, id, &mut req).await,
        (Delete, ["incoming-webhooks", id]) => webhooks::delete(&ctx, cid, id).await,
        (Get, ["incoming-webhooks", id, "catch"]) => deliveries::catch(&ctx, cid, id).await,
        (Get, ["incoming-webhooks", id, "deliveries"]) => deliveries::list(&ctx, cid, id).await,
        (Get, ["incoming-webhooks", id, "deliveries", did]) => {
            deliveries::get(&ctx, cid, id, did).await
        }
        (Post, ["incoming-webhooks", id, "deliveries", did, "replay"]) => {
            deliveries::replay(&ctx, cid, id, did).await
        }
        _ => Err(no_route()),
    }
}

pub fn no_route() -> ApiError {
    ApiError::new(
        404,
        "no_route",
        "no such route or method; see the API list in the README",
    )
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
