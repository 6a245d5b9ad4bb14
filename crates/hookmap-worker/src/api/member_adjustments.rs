//! `POST /v1/communities/{cid}/users/{uid}/adjustments`: an admin adjusts a member by hand
//! (`hookmap_core::adjust`). One batch writes the adjustment, the balances (never below zero: the
//! CHECK refuses the whole batch), the gamification log and the field histories, each naming
//! `admin:<reason>`; an `Idempotency-Key` header makes a retried request adjust once.
//! `GET` on the same path lists a member's adjustments, newest first.

use hookmap_core::adjust::{self, MAX_REASON_LEN};
use hookmap_core::idempotency::MAX_KEY_LEN;
use hookmap_core::{ApiCode, Effect, Error as CoreError, ErrorKind, StorageRefusal};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use worker::{Request, Response};

use super::body::{Body, Text};
use super::list::Listing;
use super::Ctx;
use crate::apply::{self, Refusal};
use crate::balances::{self, Member};
use crate::db::{self, Arg};
use crate::error::{ApiError, ApiResult};
use crate::hooks;
use crate::http;

request_body! {
    /// `POST .../users/{uid}/adjustments`.
    pub struct NewAdjustment<'a> {
        reason: Text<'a, MAX_REASON_LEN>,
        balances: Option<&'a Value>,
        fields: Option<&'a Value>,
    }
}

/// An adjustment as the API shows it (OpenAPI `Adjustment`), with the member's balances after.
#[derive(Serialize)]
struct Shown {
    id: String,
    user_id: String,
    reason: String,
    effects: Value,
    idempotency_key: Option<String>,
    created_at: String,
    /// Answering a repeated `Idempotency-Key`: this is the first request's adjustment, and
    /// nothing was changed now.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    duplicate: bool,
    member: Member,
}

#[derive(Deserialize)]
struct Row {
    id: String,
    user_id: String,
    reason: String,
    effects: String,
    idempotency_key: Option<String>,
    created_at: String,
}

/// 404 unless `uid` is a member of `cid`: another community's member reads as a missing one.
async fn member_of(ctx: &Ctx<'_>, cid: &str, uid: &str) -> ApiResult<()> {
    let exists: Option<db::Count> = db::first(
        ctx.data(cid),
        "SELECT COUNT(*) AS n FROM users WHERE id = ?1 AND community_id = ?2",
        &crate::args![uid, cid],
    )
    .await?;
    if exists.map_or(0, |c| c.n) == 0 {
        return Err(ApiError::not_found("this member"));
    }
    Ok(())
}

/// `GET .../users/{uid}/adjustments`: the member's adjustments, newest first, paged (OpenAPI
/// `AdjustmentListed`: what `create` answered, without the balances, which have moved since).
pub async fn list(ctx: &Ctx<'_>, cid: &str, uid: &str) -> ApiResult<Response> {
    member_of(ctx, cid, uid).await?;
    /// One adjustment as listed.
    #[derive(Serialize)]
    struct Listed<'r> {
        id: &'r str,
        user_id: &'r str,
        reason: &'r str,
        effects: Value,
        idempotency_key: Option<&'r str>,
        created_at: &'r str,
    }
    Listing {
        select: "SELECT id, user_id, reason, effects, idempotency_key, created_at FROM adjustments",
        counted: "adjustments",
        filter: "community_id = ?1 AND user_id = ?2",
        order: "created_at DESC, id DESC",
    }
    .fetch::<Row>(ctx, ctx.data(cid), &crate::args![cid, uid])
    .await?
    .answer_each(|r| {
        Ok(Listed {
            id: &r.id,
            user_id: &r.user_id,
            reason: &r.reason,
            effects: serde_json::from_str(&r.effects).map_err(ApiError::internal)?,
            idempotency_key: r.idempotency_key.as_deref(),
            created_at: &r.created_at,
        })
    })
}

pub async fn create(ctx: &Ctx<'_>, cid: &str, uid: &str, req: &mut Request) -> ApiResult<Response> {
    // The member first: another community's member is a 404 whatever the body, as a missing one.
    member_of(ctx, cid, uid).await?;
    let key = idempotency_key(req)?;
    let object = http::object_body(req).await?;
    let body = NewAdjustment::from_object(&object)?;
    let Text(reason) = body.reason;
    let catalog = hooks::catalog_of(ctx.data(cid), cid).await?;
    let effects = adjust::effects(body.balances, body.fields, &catalog)?;
    let id = db::new_id("adj")?;
    let (_, now) = db::now();
    let effects_text = serde_json::to_string(&effects).map_err(ApiError::internal)?;
    let mut batch = vec![db::stmt(
        "INSERT INTO adjustments (id, community_id, user_id, reason, effects, idempotency_key, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        &crate::args![&id, cid, uid, reason, effects_text.as_str(), key.as_deref(), &now],
    )];
    let source = adjust::source(reason);
    for (n, effect) in effects.iter().enumerate() {
        let row_id = format!("{id}_{n}");
        batch.extend(written(cid, uid, effect, &row_id, &source, &now));
    }
    batch.push(member_balances(cid, uid)?);
    match db::batch(ctx.data(cid), batch).await {
        Ok(results) => {
            let rows = results
                .last()
                .map(|r| r.rows::<balances::Row>())
                .transpose()?
                .unwrap_or_default();
            let shown = Shown {
                id,
                user_id: uid.to_owned(),
                reason: reason.to_owned(),
                effects: serde_json::to_value(&effects).map_err(ApiError::internal)?,
                idempotency_key: key,
                created_at: now,
                duplicate: false,
                member: Member::from_rows(rows).unwrap_or_default(),
            };
            http::json(201, &shown)
        }
        Err(e) => match apply::refusal(&e) {
            Some(Refusal::Duplicate) => Err(ApiError::internal(&e.text)),
            Some(refusal) => Err(refused(ctx, cid, uid, &effects, &refusal, &e).await?),
            None if is_repeat(&e) => repeated(ctx, cid, uid, key.as_deref()).await,
            None => Err(e.into()),
        },
    }
}

/// The `Idempotency-Key` header, as the edge reads one: 1 to 255 bytes.
fn idempotency_key(req: &Request) -> ApiResult<Option<String>> {
    let key = req.headers().get("idempotency-key")?;
    match key {
        Some(k) if k.is_empty() || k.len() > MAX_KEY_LEN => Err(CoreError::new(
            ErrorKind::InvalidIdempotencyKey,
            format!("an Idempotency-Key must be 1 to {MAX_KEY_LEN} bytes"),
        )
        .into()),
        other => Ok(other),
    }
}

/// Whether the batch failed on the adjustment's key being taken already.
fn is_repeat(e: &db::Failed) -> bool {
    let text = e.text.as_str();
    text.contains("UNIQUE") && text.contains("adjustments.")
}

/// The statements that write one effect on member `uid`, logged as `source` under `row_id`.
fn written(
    cid: &str,
    uid: &str,
    effect: &Effect,
    row_id: &str,
    source: &str,
    now: &str,
) -> Vec<db::Statement> {
    match effect {
        Effect::Currency { currency, .. } => {
            let delta = effect.currency_delta().map_or(0, |(_, d)| d);
            let key = currency.as_str();
            vec![
                // Made at 0 first, then moved: see `balances::moved`.
                db::stmt(
                    "INSERT INTO balances (community_id, user_id, currency, amount) VALUES (?1, ?2, ?3, 0)
                     ON CONFLICT (user_id, currency) DO NOTHING",
                    &crate::args![cid, uid, key],
                ),
                db::stmt(
                    "UPDATE balances SET amount = amount + ?3 WHERE user_id = ?1 AND currency = ?2",
                    &crate::args![uid, key, delta],
                ),
                db::stmt(
                    "INSERT INTO gamification_logs (id, community_id, user_id, currency, delta, balance_after, action, delivery_id, created_at)
                     SELECT ?1, ?2, ?3, ?4, ?5, b.amount, ?6, NULL, ?7 FROM balances b WHERE b.user_id = ?3 AND b.currency = ?4",
                    &crate::args![row_id, cid, uid, key, delta, source, now],
                ),
            ]
        }
        Effect::Field {
            field, op, value, ..
        } => {
            let (bound, update) = apply::field_write(*op, value);
            vec![
                db::stmt(
                    "INSERT INTO user_field_histories (id, community_id, user_id, field_key, old_value, source, delivery_id, created_at)
                     SELECT ?1, ?2, ?3, ?4, (SELECT value FROM user_field_values v WHERE v.user_id = ?3 AND v.field_key = ?4), ?5, NULL, ?6",
                    &crate::args![row_id, cid, uid, field.as_str(), source, now],
                ),
                db::stmt(
                    &format!(
                        "INSERT INTO user_field_values (community_id, user_id, field_key, value, updated_at)
                         VALUES (?1, ?2, ?3, ?4, ?5)
                         ON CONFLICT (user_id, field_key) DO UPDATE SET value = {update}, updated_at = excluded.updated_at"
                    ),
                    &[Arg::from(cid), Arg::from(uid), Arg::from(field.as_str()), bound, Arg::from(now)],
                ),
                db::stmt(
                    "UPDATE user_field_histories SET new_value =
                        (SELECT v.value FROM user_field_values v WHERE v.user_id = ?2 AND v.field_key = ?3)
                      WHERE id = ?1",
                    &crate::args![row_id, uid, field.as_str()],
                ),
            ]
        }
    }
}

/// Member `uid`'s balances in every currency of the community, as rows.
fn member_balances(cid: &str, uid: &str) -> ApiResult<db::Statement> {
    let ids = serde_json::to_string(&[uid]).map_err(ApiError::internal)?;
    Ok(db::stmt(
        balances::OF_MEMBERS,
        &crate::args![cid, ids.as_str()],
    ))
}

/// The answer to a repeated `Idempotency-Key`: the first adjustment, the balances as they are.
async fn repeated(ctx: &Ctx<'_>, cid: &str, uid: &str, key: Option<&str>) -> ApiResult<Response> {
    let first: Row = db::one(
        ctx.data(cid),
        "SELECT id, user_id, reason, effects, idempotency_key, created_at FROM adjustments
          WHERE community_id = ?1 AND idempotency_key = ?2",
        &crate::args![cid, key],
        "this adjustment",
    )
    .await?;
    if first.user_id != uid {
        return Err(CoreError::new(
            ErrorKind::IdempotencyConflict,
            "this Idempotency-Key was used to adjust another member",
        )
        .into());
    }
    let rows: Vec<balances::Row> = db::all(
        ctx.data(cid),
        balances::OF_MEMBERS,
        &crate::args![
            cid,
            serde_json::to_string(&[uid])
                .map_err(ApiError::internal)?
                .as_str()
        ],
    )
    .await?;
    http::json(
        200,
        &Shown {
            id: first.id,
            user_id: first.user_id,
            reason: first.reason,
            effects: serde_json::from_str(&first.effects).map_err(ApiError::internal)?,
            idempotency_key: first.idempotency_key,
            created_at: first.created_at,
            duplicate: true,
            member: Member::from_rows(rows).unwrap_or_default(),
        },
    )
}

/// What a refused batch answers; for a balance that would go below zero, which one.
async fn refused(
    ctx: &Ctx<'_>,
    cid: &str,
    uid: &str,
    effects: &[Effect],
    refusal: &Refusal,
    e: &db::Failed,
) -> ApiResult<ApiError> {
    Ok(match refusal {
        Refusal::Insufficient(_) => {
            let currency = overdrawn(ctx, cid, uid, effects).await?;
            let error = ApiError::unprocessable(
                ApiCode::InsufficientBalance,
                format!(
                    "the adjustment would take the member's {} below zero; nothing was changed",
                    currency.as_deref().unwrap_or("balance")
                ),
            );
            match currency {
                Some(c) => error.currency(&c),
                None => error,
            }
        }
        Refusal::Raised(StorageRefusal::UnknownCurrency) => ApiError::unprocessable(
            ApiCode::UnknownCurrency,
            "a currency of the adjustment was deleted meanwhile; nothing was changed",
        ),
        Refusal::UnknownField => ApiError::unprocessable(
            ApiCode::UnknownField,
            "a user field of the adjustment was deleted meanwhile; nothing was changed",
        ),
        Refusal::Raised(StorageRefusal::FieldOutOfRange) => ApiError::unprocessable(
            ApiCode::FieldOutOfRange,
            "a number field would go past the largest number a field holds (about 1.8e308)",
        ),
        // None of these is raised by what an adjustment writes.
        Refusal::Raised(
            StorageRefusal::UnknownMember
            | StorageRefusal::RateLimited
            | StorageRefusal::TooManyFailures
            | StorageRefusal::UnknownChannel
            | StorageRefusal::TopicRequired
            | StorageRefusal::WebhookDisabled
            | StorageRefusal::WebhookGone
            | StorageRefusal::StaleWebhook
            | StorageRefusal::EventsQuota,
        )
        | Refusal::Duplicate
        | Refusal::IdentifierTaken(_) => ApiError::internal(&e.text),
    })
}

/// The first currency the adjustment's debits would take below zero, from the balances now.
async fn overdrawn(
    ctx: &Ctx<'_>,
    cid: &str,
    uid: &str,
    effects: &[Effect],
) -> ApiResult<Option<String>> {
    let ids = serde_json::to_string(&[uid]).map_err(ApiError::internal)?;
    let rows: Vec<balances::Row> = db::all(
        ctx.data(cid),
        balances::OF_MEMBERS,
        &crate::args![cid, ids.as_str()],
    )
    .await?;
    let mut after = balances::by_member(rows).remove(uid).unwrap_or_default();
    for (currency, delta) in effects.iter().filter_map(Effect::currency_delta) {
        let amount = after.entry(currency.as_str().to_owned()).or_insert(0);
        *amount = amount.saturating_add(delta);
        if *amount < 0 {
            return Ok(Some(currency.as_str().to_owned()));
        }
    }
    Ok(None)
}
