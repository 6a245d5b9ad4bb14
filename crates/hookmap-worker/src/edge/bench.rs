//! The edge benchmark's bare route, compiled only with the `bench` feature (scripts/bench.sh
//! builds that variant; the production worker has no such route).

use hookmap_core::Plan;
use serde_json::json;
use worker::{Env, Response};

use super::refusal;
use crate::apply::{self, Applied, DeliveryMeta};
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::hooks;
use crate::http;

/// `POST /bench/batch/{token}`: the one batch a delivery writes, in its community's object, with a
/// fixed plan (1 coin to bench@example.com under a fresh idempotency key), and nothing else: no
/// decoding, no planning, no rate count; the record comes from the isolate's memory, as a warm
/// delivery's does.
pub async fn bench_batch(env: &Env, token: &str) -> ApiResult<Response> {
    let db = env.d1("DB")?;
    let (hook, _) = hooks::by_token(env, &db, token, false)
        .await?
        .ok_or_else(|| ApiError::not_found("this webhook URL"))?;
    let plan = Plan {
        filtered: None,
        member: Some(hookmap_core::MemberRef {
            by: hookmap_core::MatchBy::Email,
            value: "bench@example.com".into(),
        }),
        idempotency_key: Some(db::random_hex(8)?),
        effects: vec![hookmap_core::Effect::Currency {
            currency: hook
                .catalog()
                .currency("coins")
                .ok_or_else(|| ApiError::internal("coins is built in"))?,
            op: hookmap_core::Op::Add,
            amount: 1,
        }],
        message: None,
    };
    let meta = DeliveryMeta::new(&hook, None, None)?;
    match apply::apply(db::Db::Community(env, &hook.community_id), &meta, &plan).await? {
        Applied::Done { balances, .. } => http::json(200, &json!({ "member": balances })),
        Applied::Refused(r) => Err(refusal::refusal_error(&r, &plan)),
    }
}
