//! Incoming webhook management. Secrets (the API key, the encryption key and IV) are accepted or
//! generated here and never returned afterwards: reads show only whether they are set.

use hookmap_core::auth::ApiKeyPlace;
use hookmap_core::joining::OnUnknownMember;
use hookmap_core::quota::Quota;
use hookmap_core::{auth, token, DeliveryStatus, Location};
use serde_json::Value;
use worker::{Request, Response};

mod body;
pub(super) mod row;
mod shown;
mod signing;

pub(super) use body::checked_encryption;
use body::{encryption, mapping, NewWebhook, WebhookChange};
use row::{load, load_shown, WebhookRow, SELECT};
use shown::ShownWebhook;
use signing::{signature, Signing, Stored};

use super::body::{Body, GraceHours, OneOf, Patch, Text};
use super::Ctx;
use crate::api::resource::Resource;
use crate::community;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::hooks;
use crate::http;
use crate::quotas;
use crate::secrets;

fn new_api_key() -> ApiResult<auth::Secret> {
    Ok(auth::Secret::new(format!("hmw_{}", db::random_hex(24)?)))
}

pub async fn create(ctx: &Ctx<'_>, cid: &str, req: &mut Request) -> ApiResult<Response> {
    let object = http::object_body(req).await?;
    let body = NewWebhook::from_object(&object)?;
    let Text(name) = body.name;
    let location = body
        .location
        .map_or(Location::UserFields, |OneOf(l)| l)
        .as_str();
    let enabled = body.enabled.unwrap_or(true);
    let api_key = match body.api_key {
        Some(true) => Some(new_api_key()?),
        _ => None,
    };
    let encryption = encryption(ctx, body.encryption.unwrap_or(&Value::Null))?;
    let overrides = quotas::overrides(&ctx.db, cid).await?;
    let max_rate = quotas::limit(ctx.env, &overrides, Quota::MaxRateLimit);
    let rate_limit = match body.rate_limit {
        Some(limit) => limit.within(max_rate)?,
        None => hooks::DEFAULT_RATE_LIMIT.min(max_rate),
    };
    let signing = signature(body.signature, body.signing_secret)?.flatten();
    let stored_signing = match &signing {
        Some(s) => s.stored(ctx)?,
        None => Stored::NONE,
    };
    let key_in = body.api_key_in.map_or(ApiKeyPlace::Header, |OneOf(p)| p);
    let on_unknown = body
        .on_unknown_member
        .map_or_else(OnUnknownMember::default, |OneOf(o)| o);
    let mapping = mapping(ctx, cid, location, body.mapping.unwrap_or(&Value::Null)).await?;
    let id = db::new_id("whk")?;
    let token = db::random_hex(token::LEN / 2)?;
    let token_digest = token::digest(&token);
    let token_sealed = secrets::seal(ctx.env, &token)?;
    let (_, now) = db::now();
    let digest = api_key.as_ref().map(|k| auth::digest(k.expose()));
    let most = quotas::limit(ctx.env, &overrides, Quota::IncomingWebhooks);
    let total = quotas::limit(ctx.env, &overrides, Quota::TotalRateLimit);
    // Both quotas are checked inside the INSERT, so concurrent creates cannot overshoot either.
    let inserted = db::run_changes(
        &ctx.db,
        "INSERT INTO incoming_webhooks (id, community_id, token_digest, token_sealed, name, location, enabled, api_key_digest, encryption, encryption_algorithm, mapping, created_at, updated_at, signing_secret, rate_limit,
                signature_scheme, signature_settings, api_key_in, on_unknown_member)
         SELECT ?1, ?2, ?3, ?13, ?4, ?5, ?6, ?7, ?8, ?15, ?9, ?10, ?10, ?11, ?12, ?16, ?17, ?18, ?19
          WHERE (SELECT COUNT(*) FROM incoming_webhooks WHERE community_id = ?2) < ?14
            AND (SELECT COALESCE(SUM(rate_limit), 0) FROM incoming_webhooks WHERE community_id = ?2) + ?12 <= ?20",
        &crate::args![&id, cid, &token_digest, name, location, enabled, digest.as_deref(), encryption.as_ref().map(|e| e.value.as_str()), mapping.as_deref(), &now, stored_signing.secret.as_deref(), rate_limit, &token_sealed, most,
            encryption.as_ref().map(|e| e.shown.algorithm.as_str()), stored_signing.scheme.as_deref(), stored_signing.settings.as_deref(), key_in.as_str(), on_unknown.as_str(), total],
    )
    .await?;
    if inserted == 0 {
        // Which quota refused it: the count, else the total rate.
        let count: Option<db::Count> = db::first(
            &ctx.db,
            "SELECT COUNT(*) AS n FROM incoming_webhooks WHERE community_id = ?1",
            &crate::args![cid],
        )
        .await?;
        return Err(match count.is_some_and(|c| c.n >= most) {
            true => quotas::exceeded(Quota::IncomingWebhooks, most),
            false => quotas::exceeded(Quota::TotalRateLimit, total).at("rate_limit"),
        });
    }
    hooks::created(&token_digest);
    community::copies::webhooks(ctx.env, &ctx.db, cid).await?;
    // A new webhook has no health yet: the directory's row is all of it.
    let created = load(ctx, cid, &id).await?;
    let shown = ShownWebhook::of(ctx, &created)?.revealing(
        api_key.as_ref().map(auth::Secret::expose),
        signing.as_ref().and_then(Signing::shown),
    );
    http::json(201, &shown)
}

impl Resource for WebhookRow {
    const SELECT: &'static str = SELECT;
    const TABLE: &'static str = "incoming_webhooks";
    const WHAT: &'static str = "this incoming webhook";

    type Shown<'r> = ShownWebhook<'r>;

    fn shown<'r>(&'r self, ctx: &Ctx<'_>) -> ApiResult<ShownWebhook<'r>> {
        ShownWebhook::of(ctx, self)
    }

    async fn completed(ctx: &Ctx<'_>, cid: &str, rows: &mut [Self]) -> ApiResult<()> {
        row::failing(ctx, cid, rows).await
    }
}

/// A total no sum of rate limits reaches (10,000 webhooks at 100,000 a minute are 10^9), bound
/// where an update does not raise its webhook's rate.
const UNCAPPED: i64 = 1 << 40;

/// Any subset of the create members. `api_key: true` issues a new key (shown once), `false`
/// removes it. Every change bumps the version, so no edge applies the old settings afterwards.
/// Saving a mapping answers how many caught deliveries wait (`pending_deliveries`), and with
/// `process_pending: true` replays them through the queue (`replay`, a bulk replay's run).
pub async fn update(ctx: &Ctx<'_>, cid: &str, id: &str, req: &mut Request) -> ApiResult<Response> {
    let row = load(ctx, cid, id).await?;
    let object = http::object_body(req).await?;
    let body = WebhookChange::from_object(&object)?;
    let process_pending = body.process_pending.unwrap_or(false);
    let location = body
        .location
        .map_or(row.location.as_str(), |OneOf(l)| l.as_str());
    let name = body.name.map_or(row.name.as_str(), |Text(name)| name);
    let enabled = body.enabled.unwrap_or(row.enabled);
    let api_key = match body.api_key {
        Patch::Keep => None,
        Patch::Clear => Some(false),
        Patch::Set(issue) => Some(issue),
    };
    let new_key = match api_key {
        Some(true) => Some(new_api_key()?),
        _ => None,
    };
    let digest = match api_key {
        None => row.api_key_digest.clone(),
        Some(false) => None,
        Some(true) => new_key.as_ref().map(|k| auth::digest(k.expose())),
    };
    let (encryption, algorithm) = match body.encryption {
        Patch::Keep => (row.encryption.clone(), row.encryption_algorithm.clone()),
        Patch::Clear => (None, None),
        Patch::Set(v) => {
            encryption(ctx, v)?.map_or((None, None), |e| (Some(e.value), Some(e.shown.algorithm)))
        }
    };
    // A rate_limit raised must fit the community's total; any other change is never refused for
    // a total lowered since.
    let (rate_limit, total) = match body.rate_limit {
        None => (row.rate_limit, UNCAPPED),
        Some(limit) => {
            let overrides = quotas::overrides(&ctx.db, cid).await?;
            let limit = limit.within(quotas::limit(ctx.env, &overrides, Quota::MaxRateLimit))?;
            let total = quotas::limit(ctx.env, &overrides, Quota::TotalRateLimit);
            (
                limit,
                if limit > row.rate_limit {
                    total
                } else {
                    UNCAPPED
                },
            )
        }
    };
    let new_signing = signature(body.signature, body.signing_secret)?;
    let signing = match &new_signing {
        None => Stored {
            secret: row.signing_secret.clone(),
            scheme: row.signature_scheme.clone(),
            settings: row.signature_settings.clone(),
        },
        Some(None) => Stored::NONE,
        Some(Some(s)) => s.stored(ctx)?,
    };
    let (ms, now) = db::now();
    let previous = signing::previous(
        &row,
        new_signing.is_some().then_some(&signing),
        body.previous_secret_hours.map(|GraceHours(h)| h),
        ms,
    );
    let key_in = body
        .api_key_in
        .map_or(row.api_key_in.clone(), |OneOf(p)| p.as_str().to_owned());
    let on_unknown = body
        .on_unknown_member
        .map_or(row.on_unknown_member.clone(), |OneOf(o)| {
            o.as_str().to_owned()
        });
    // A new location is checked against the mapping it will use, the stored one if none is sent.
    let stored_mapping = row
        .mapping
        .as_deref()
        .and_then(|m| serde_json::from_str(m).ok());
    let mapping = match (body.mapping, &stored_mapping) {
        (Patch::Set(v), _) => mapping(ctx, cid, location, v).await?,
        (Patch::Clear, _) => None,
        (Patch::Keep, Some(v)) if location != row.location => {
            mapping(ctx, cid, location, v).await?
        }
        (Patch::Keep, _) => row.mapping.clone(),
    };
    if process_pending && mapping.is_none() {
        return Err(ApiError::invalid_field(
            "process_pending",
            "needs a mapping: the caught deliveries would only be caught again",
        ));
    }
    let updated = db::run_changes(
        &ctx.db,
        "UPDATE incoming_webhooks SET name = ?3, enabled = ?4, api_key_digest = ?5, encryption = ?6, mapping = ?7,
                location = ?9, signing_secret = ?10, rate_limit = ?11, encryption_algorithm = ?12,
                signature_scheme = ?13, signature_settings = ?14, api_key_in = ?15,
                previous_signing_secret = ?16, previous_secret_until = ?17, on_unknown_member = ?18,
                version = version + 1, updated_at = ?8
          WHERE id = ?1 AND community_id = ?2
            AND (SELECT COALESCE(SUM(rate_limit), 0) FROM incoming_webhooks
                  WHERE community_id = ?2 AND id <> ?1) + ?11 <= ?19",
        &crate::args![id, cid, name, enabled, digest.as_deref(), encryption.as_deref(), mapping.as_deref(), &now, location, signing.secret.as_deref(), rate_limit,
            algorithm.as_deref(), signing.scheme.as_deref(), signing.settings.as_deref(), key_in.as_str(),
            previous.secret.as_deref(), previous.until.as_deref(), on_unknown.as_str(), total],
    )
    .await?;
    if updated == 0 {
        // Refused by the total, or deleted since it was loaded.
        return Err(match total {
            UNCAPPED => ApiError::not_found("this incoming webhook"),
            _ => quotas::exceeded(Quota::TotalRateLimit, total).at("rate_limit"),
        });
    }
    hooks::forget(ctx.env, &[row.digest()]).await;
    community::copies::webhooks(ctx.env, &ctx.db, cid).await?;
    let updated = load_shown(ctx, cid, id).await?;
    let mut shown = ShownWebhook::of(ctx, &updated)?.revealing(
        new_key.as_ref().map(auth::Secret::expose),
        new_signing.as_ref().and_then(|s| s.as_ref()?.shown()),
    );
    if body.mapping.is_sent() {
        let waiting = super::replays::pending(ctx, cid, id).await?;
        let replay = match process_pending && waiting > 0 {
            true => {
                let only_pending = serde_json::Map::from_iter([(
                    "status".to_owned(),
                    Value::from(DeliveryStatus::Pending.as_str()),
                )]);
                Some(super::replays::queue_run(ctx, cid, id, &only_pending).await?)
            }
            false => None,
        };
        shown = shown.with_pending(waiting, replay);
    }
    http::json(200, &shown)
}

/// Deletes the webhook; its delivery history and idempotency keys go with it.
pub async fn delete(ctx: &Ctx<'_>, cid: &str, id: &str) -> ApiResult<Response> {
    let row = load(ctx, cid, id).await?;
    db::run(
        &ctx.db,
        "DELETE FROM incoming_webhooks WHERE id = ?1 AND community_id = ?2",
        &crate::args![id, cid],
    )
    .await?;
    let gone = |table: &str| {
        db::stmt(
            &format!("DELETE FROM {table} WHERE webhook_id = ?1"),
            &crate::args![id],
        )
    };
    db::batch(
        ctx.data(cid),
        vec![
            gone("deliveries"),
            gone("idempotency_keys"),
            gone("rate_windows"),
            gone("incoming_webhook_health"),
            db::stmt(
                "DELETE FROM incoming_webhooks WHERE id = ?1",
                &crate::args![id],
            ),
        ],
    )
    .await?;
    hooks::forget(ctx.env, &[row.digest()]).await;
    http::no_content()
}
