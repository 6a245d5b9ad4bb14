//! The management API (`/v1/...`): authentication, tenant scoping and the route table.

#[macro_use]
mod body;
mod chat;
mod communities;
mod currencies;
mod deliveries;
mod event_types;
mod events;
mod fields;
mod list;
mod logs;
mod member_adjustments;
mod outgoing;
mod quotas;
mod replays;
mod resource;
#[macro_use]
mod routing;
pub mod routes;
mod subscriptions;
pub(crate) mod users;
mod webhooks;

use worker::{D1Database, Env, Request, Response};

use self::routes::Route;

use crate::caller::Caller;
use crate::db::{self, Db};
use crate::error::{ApiError, ApiResult};
use crate::http::RequestUrl;
use crate::log::RequestLog;

/// What every management handler gets.
pub struct Ctx<'a> {
    pub env: &'a Env,
    pub db: D1Database,
    pub url: RequestUrl,
    pub caller: Caller,
}

impl Ctx<'_> {
    /// The directory: communities, keys, webhook and subscription settings, quotas.
    pub fn directory(&self) -> Db<'_> {
        Db::Directory(&self.db)
    }

    /// Community `cid`'s own database: its members, catalog, history and outgoing deliveries.
    pub fn data<'a>(&'a self, cid: &'a str) -> Db<'a> {
        Db::Community(self.env, cid)
    }
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
        let route = found.route();
        log.route = route.path().to_owned();
        log.community_id = found.params().first().map(|cid| (*cid).to_owned());
        if matches!(route, Route::DeliveryGet | Route::DeliveryReplay) {
            log.delivery_id = found.params().last().map(|did| (*did).to_owned());
        }
    }
    // Credentials are checked before the route's existence is told, so that an unauthenticated
    // caller cannot map the API by its 404s.
    let db = env.d1("DB")?;
    let caller = Caller::from_request(&req, env, &db).await?;
    let found = found.ok_or_else(|| wrong_method_or_no_route(path))?;
    let ctx = Ctx {
        env,
        db,
        url,
        caller,
    };
    // Every route under communities/{cid} first checks that the caller may see that community.
    if let Some(cid) = found.params().first() {
        community_visible(&ctx, cid).await?;
    }
    routes::serve(&ctx, &mut req, found).await
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
