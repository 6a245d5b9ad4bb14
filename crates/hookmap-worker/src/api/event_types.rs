//! The event catalogue: `GET /v1/event-types` (the built-ins, each with its data's schema), and a
//! community's own types under `/v1/communities/{cid}/event-types`, registered like currencies:
//! counted inside the INSERT, deleted only while unused. What the types mean, their names and
//! schemas are hookmap-core's (`event_types`, `schema`); this file stores and shows them.

use hookmap_core::event::EventType;
use hookmap_core::event_types::{self, Emitter, MAX_DESCRIPTION_LEN, MAX_EVENT_TYPES};
use hookmap_core::schema;
use hookmap_core::ApiCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use worker::{Request, Response};

use super::body::{Body, Text, Verbatim};
use super::Ctx;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::http::{self, Page};

#[derive(Deserialize)]
struct Row {
    name: String,
    description: String,
    schema: Option<String>,
    created_at: String,
}

const COLUMNS: &str = "name, description, schema, created_at";

/// An event type as the catalogue shows it (OpenAPI `EventTypeInfo`): a built-in or the
/// community's own.
#[derive(Serialize)]
struct Shown<'r> {
    name: &'r str,
    description: &'r str,
    built_in: bool,
    emitted_by: Emitter,
    schema: Option<Value>,
    created_at: Option<&'r str>,
}

impl<'r> Shown<'r> {
    fn built_in(entry: &'r event_types::BuiltIn) -> Self {
        Self {
            name: entry.kind.as_str(),
            description: entry.description,
            built_in: true,
            emitted_by: entry.emitted_by,
            schema: Some(entry.schema.clone()),
            created_at: None,
        }
    }

    fn registered(row: &'r Row) -> Self {
        Self {
            name: &row.name,
            description: &row.description,
            built_in: false,
            emitted_by: Emitter::Api,
            // Stored schemas were checked when registered; one that no longer parses shows as
            // none.
            schema: row
                .schema
                .as_deref()
                .and_then(|s| serde_json::from_str(s).ok()),
            created_at: Some(&row.created_at),
        }
    }
}

fn built_in_conflict(name: &str) -> ApiError {
    ApiError::conflict(
        ApiCode::BuiltInEventType,
        format!("{name:?} is a built-in event type: it cannot be registered or deleted"),
    )
}

/// `GET /v1/event-types`: the built-in types, the same for every community.
pub async fn catalog() -> ApiResult<Response> {
    let built_ins = event_types::built_ins();
    let data: Vec<Shown> = built_ins.iter().map(Shown::built_in).collect();
    http::json(200, &http::Data { data })
}

/// The names the community registered: what its subscriptions may list beside the built-ins.
pub async fn registered(ctx: &Ctx<'_>, cid: &str) -> ApiResult<Vec<String>> {
    #[derive(Deserialize)]
    struct Name {
        name: String,
    }
    let rows: Vec<Name> = db::all(
        &ctx.db,
        "SELECT name FROM event_types WHERE community_id = ?1",
        &crate::args![cid],
    )
    .await?;
    Ok(rows.into_iter().map(|r| r.name).collect())
}

async fn find(ctx: &Ctx<'_>, cid: &str, name: &str) -> ApiResult<Option<Row>> {
    db::first(
        &ctx.db,
        &format!("SELECT {COLUMNS} FROM event_types WHERE community_id = ?1 AND name = ?2"),
        &crate::args![cid, name],
    )
    .await
}

/// The schema a published event of the community's type `name` must match: `Ok(None)` when the
/// type takes any object, `Err` when the community has no such type.
pub async fn schema_of(ctx: &Ctx<'_>, cid: &str, name: &str) -> ApiResult<Option<Value>> {
    let row = find(ctx, cid, name).await?.ok_or_else(|| {
        ApiError::unprocessable_at(
            "type",
            ApiCode::InvalidEvent,
            format!("{name:?} is neither a built-in type nor one this community registered (POST .../event-types)"),
        )
    })?;
    row.schema
        .as_deref()
        .map(|s| serde_json::from_str(s).map_err(ApiError::internal))
        .transpose()
}

/// `GET .../event-types`: the built-ins, then the community's own by name, one page of them.
pub async fn list(ctx: &Ctx<'_>, cid: &str) -> ApiResult<Response> {
    let page = Page::from_url(&ctx.url)?;
    let rows: Vec<Row> = db::all(
        &ctx.db,
        &format!("SELECT {COLUMNS} FROM event_types WHERE community_id = ?1 ORDER BY name"),
        &crate::args![cid],
    )
    .await?;
    // At most MAX_EVENT_TYPES rows and five built-ins: paged here rather than in SQL.
    let built_ins = event_types::built_ins();
    let all: Vec<Shown> = built_ins
        .iter()
        .map(Shown::built_in)
        .chain(rows.iter().map(Shown::registered))
        .collect();
    let total = i64::try_from(all.len()).unwrap_or(i64::MAX);
    let skip = usize::try_from(page.offset()).unwrap_or(usize::MAX);
    let take = usize::try_from(page.per_page).unwrap_or(0);
    let data = all.into_iter().skip(skip).take(take).collect();
    http::json(200, &page.wrap(data, total))
}

request_body! {
    /// `POST .../event-types`. The name is taken as sent, not trimmed: it is an identifier, and
    /// `check_name` says what is wrong with it.
    pub struct NewEventType<'a> {
        name: Verbatim<'a>,
        description: Text<'a, MAX_DESCRIPTION_LEN>,
        schema: Option<&'a Value>,
    }
}

/// `POST .../event-types {name, description, schema?}`.
pub async fn create(ctx: &Ctx<'_>, cid: &str, req: &mut Request) -> ApiResult<Response> {
    let object = http::object_body(req).await?;
    let NewEventType {
        name: Verbatim(name),
        description: Text(description),
        schema,
    } = NewEventType::from_object(&object)?;
    if EventType::parse(name).is_some() {
        return Err(built_in_conflict(name));
    }
    event_types::check_name(name, "name")?;
    let schema = match schema {
        None => None,
        Some(s) => {
            schema::check(s, "schema")?;
            Some(s.to_string())
        }
    };
    let (_, now) = db::now();
    // The cap is counted inside the INSERT, so concurrent creates cannot overshoot it.
    let inserted = db::insert_unique(
        &ctx.db,
        "INSERT INTO event_types (community_id, name, description, schema, created_at)
         SELECT ?1, ?2, ?3, ?4, ?5 WHERE (SELECT COUNT(*) FROM event_types WHERE community_id = ?1) < ?6",
        &crate::args![cid, name, description, schema.as_deref(), &now, MAX_EVENT_TYPES as i64],
        |_| ApiError::conflict(ApiCode::EventTypeExists, format!("the event type {name:?} already exists")),
    )
    .await?;
    if inserted == 0 {
        return Err(ApiError::unprocessable(
            ApiCode::TooManyEventTypes,
            format!("a community registers at most {MAX_EVENT_TYPES} event types; delete an unused one first"),
        ));
    }
    let row = Row {
        name: name.to_owned(),
        description: description.to_owned(),
        schema,
        created_at: now,
    };
    http::json(201, &Shown::registered(&row))
}

/// `GET .../event-types/{name}`: a built-in or one of the community's own.
pub async fn get(ctx: &Ctx<'_>, cid: &str, name: &str) -> ApiResult<Response> {
    if let Some(kind) = EventType::parse(name) {
        let entry = event_types::built_in(kind);
        return http::json(200, &Shown::built_in(&entry));
    }
    let row = find(ctx, cid, name)
        .await?
        .ok_or_else(|| ApiError::not_found("this event type"))?;
    http::json(200, &Shown::registered(&row))
}

/// No subscription of community `?1` lists type `?2`.
const UNUSED: &str = "NOT EXISTS (SELECT 1 FROM webhook_subscriptions s, json_each(s.events) e
                                   WHERE s.community_id = ?1 AND e.value = ?2)";

/// `DELETE .../event-types/{name}`: only a type no subscription lists. The condition is part of
/// the DELETE, so a subscription created meanwhile cannot be left listing a missing type.
pub async fn delete(ctx: &Ctx<'_>, cid: &str, name: &str) -> ApiResult<Response> {
    if EventType::parse(name).is_some() {
        return Err(built_in_conflict(name));
    }
    let changed = db::run_changes(
        &ctx.db,
        &format!("DELETE FROM event_types WHERE community_id = ?1 AND name = ?2 AND {UNUSED}"),
        &crate::args![cid, name],
    )
    .await?;
    if changed == 1 {
        return http::no_content();
    }
    match find(ctx, cid, name).await? {
        None => Err(ApiError::not_found("this event type")),
        Some(_) => Err(ApiError::conflict(
            ApiCode::EventTypeInUse,
            format!("a webhook subscription lists {name:?}; remove it from its events first"),
        )),
    }
}
