//! `POST /v1/communities/{cid}/events`: the rest of the platform publishes an event to the
//! community's subscribers, its `data` checked against the type's schema first.

use hookmap_core::event::{self, EventName, EventType};
use hookmap_core::event_types::{self, MAX_NAME_LEN};
use hookmap_core::schema;
use hookmap_core::ApiCode;
use serde::Serialize;
use worker::{Request, Response};

use super::body::{Body, Object, Verbatim};
use super::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http;
use crate::outbox;
use crate::quotas;

request_body! {
    /// `POST .../events`.
    pub struct Publish<'a> {
        r#type: Verbatim<'a>,
        data: Object<'a>,
    }
}

/// `POST /v1/communities/{cid}/events` `{type, data}`: the rest of the platform publishes
/// `member.visited`, `store.purchased` and the community's own types; `data` must match the
/// type's schema (422 `invalid_event_data` naming the place).
pub async fn publish(ctx: &Ctx<'_>, cid: &str, req: &mut Request) -> ApiResult<Response> {
    let object = http::object_body(req).await?;
    let Publish {
        r#type: Verbatim(text),
        data: Object(data),
    } = Publish::from_object(&object)?;
    let (kind, schema) = match EventType::parse(text) {
        Some(kind) if !kind.publishable() => {
            return Err(ApiError::unprocessable_at(
                "type",
                ApiCode::InvalidEvent,
                format!(
                    "{} is emitted by hookmap itself; publish member.visited, store.purchased or a \
                     type this community registered",
                    kind.as_str()
                ),
            ))
        }
        Some(kind) => (
            EventName::from(kind),
            Some(event_types::built_in(kind).schema),
        ),
        // A malformed name cannot be registered: no need to look for it.
        None if !event_types::is_name(text) => {
            return Err(ApiError::unprocessable_at(
                "type",
                ApiCode::InvalidEvent,
                format!("{text:?} is not an event type name (dotted lowercase words, at most {MAX_NAME_LEN} characters)"),
            ))
        }
        None => (
            EventName::Custom(text.to_owned()),
            super::event_types::schema_of(ctx, cid, text).await?,
        ),
    };
    if data.to_string().len() > event::MAX_DATA_LEN {
        return Err(ApiError::invalid_field(
            "data",
            format!("is larger than {} bytes", event::MAX_DATA_LEN),
        ));
    }
    if let Some(schema) = &schema {
        schema::validate(schema, data, "data")?;
    }
    quotas::count_event(ctx.env, &ctx.db, cid).await?;
    let published = outbox::publish(ctx.env, cid, &kind, data, None).await?;
    /// OpenAPI `PublishedEvent`: the event and how many subscriptions it goes to.
    #[derive(Serialize)]
    struct Published<'a> {
        id: &'a str,
        r#type: &'a EventName,
        created_at: &'a str,
        deliveries: usize,
    }
    http::json(
        202,
        &Published {
            id: &published.id,
            r#type: &kind,
            created_at: &published.created_at,
            deliveries: published.deliveries.len(),
        },
    )
}
