//! Read-only histories: user field changes and currency movements, newest first.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use worker::Response;

use super::users::typed;
use super::Ctx;
use crate::api::list::Listing;
use crate::error::ApiResult;
use crate::http;

#[derive(Deserialize)]
struct HistoryRow {
    id: String,
    user_id: String,
    field_key: String,
    #[serde(rename = "type")]
    field_type: Option<String>,
    old_value: Value,
    new_value: Value,
    source: String,
    delivery_id: Option<String>,
    created_at: String,
}

/// `?webhook_id=`: only rows a delivery of that incoming webhook wrote. The delivery must be of
/// the listed community too, so another community's webhook id matches nothing rather than
/// telling whether it exists. `{delivery}` is the column naming a row's delivery, `{n}` the
/// webhook id's placeholder (`?1` being the community's).
fn from_webhook(delivery: &str, n: usize) -> String {
    format!(
        "(?{n} IS NULL OR {delivery} IN (SELECT d.id FROM deliveries d WHERE d.webhook_id = ?{n} AND d.community_id = ?1))"
    )
}

/// `?user_id=`, `?field=` and `?webhook_id=` narrow the list; absent, they match everything.
pub async fn field_histories(ctx: &Ctx<'_>, cid: &str) -> ApiResult<Response> {
    let user = http::query(&ctx.url, "user_id");
    let field = http::query(&ctx.url, "field");
    let webhook = http::query(&ctx.url, "webhook_id");
    let filter = format!(
        "h.community_id = ?1 AND (?2 IS NULL OR h.user_id = ?2) AND (?3 IS NULL OR h.field_key = ?3) AND {}",
        from_webhook("h.delivery_id", 4)
    );
    Listing {
        select: "SELECT h.id, h.user_id, h.field_key, f.type, h.old_value, h.new_value, h.source, h.delivery_id, h.created_at
                   FROM user_field_histories h LEFT JOIN user_fields f ON f.community_id = h.community_id AND f.key = h.field_key",
        counted: "user_field_histories h",
        filter: &filter,
        order: "h.created_at DESC, h.id DESC",
    }
    .fetch::<HistoryRow>(
        ctx, ctx.data(cid),
        &crate::args![cid, user.as_deref(), field.as_deref(), webhook.as_deref()],
    )
    .await?
    .answer_each(|r| Ok(ShownChange::of(r)))
}

/// One change of a field as its history shows it (OpenAPI `FieldHistory`), values typed as the
/// field is.
#[derive(Serialize)]
struct ShownChange<'r> {
    id: &'r str,
    user_id: &'r str,
    field: &'r str,
    old_value: Value,
    new_value: Value,
    source: &'r str,
    delivery_id: Option<&'r str>,
    created_at: &'r str,
}

impl<'r> ShownChange<'r> {
    fn of(r: &'r HistoryRow) -> Self {
        let t = r.field_type.as_deref().unwrap_or("");
        Self {
            id: &r.id,
            user_id: &r.user_id,
            field: &r.field_key,
            old_value: typed(t, r.old_value.clone()),
            new_value: typed(t, r.new_value.clone()),
            source: &r.source,
            delivery_id: r.delivery_id.as_deref(),
            created_at: &r.created_at,
        }
    }
}

#[derive(Deserialize, Serialize)]
struct LogRow {
    id: String,
    user_id: String,
    currency: String,
    delta: i64,
    balance_after: Option<i64>,
    action: String,
    delivery_id: Option<String>,
    created_at: String,
}

/// `?user_id=` and `?webhook_id=` narrow the list; absent, they match everything.
pub async fn gamification(ctx: &Ctx<'_>, cid: &str) -> ApiResult<Response> {
    let user = http::query(&ctx.url, "user_id");
    let webhook = http::query(&ctx.url, "webhook_id");
    let filter = format!(
        "g.community_id = ?1 AND (?2 IS NULL OR g.user_id = ?2) AND {}",
        from_webhook("g.delivery_id", 3)
    );
    Listing {
        select: "SELECT g.id, g.user_id, g.currency, g.delta, g.balance_after, g.action, g.delivery_id, g.created_at FROM gamification_logs g",
        counted: "gamification_logs g",
        filter: &filter,
        order: "g.created_at DESC, g.id DESC",
    }
    .fetch::<LogRow>(ctx, ctx.data(cid), &crate::args![cid, user.as_deref(), webhook.as_deref()])
    .await?
    .answer_rows()
}
