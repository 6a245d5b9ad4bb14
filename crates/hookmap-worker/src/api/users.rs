//! Community members with their balances and custom field values.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use worker::{Env, Request, Response};

use super::body::{Body, Text};
use super::Ctx;
use crate::api::list::Listing;
use crate::balances;
use crate::db::{self, Db};
use crate::error::{ApiError, ApiResult};
use crate::http;
use crate::joined;
use crate::outbox;
use hookmap_core::event::EventType;
use hookmap_core::joining::{member_email, member_username, MAX_EMAIL, MAX_USERNAME};
use hookmap_core::ApiCode;
use hookmap_core::FieldType;

#[derive(Deserialize)]
pub(crate) struct UserRow {
    id: String,
    pub(crate) email: String,
    pub(crate) username: String,
    created_at: String,
}

#[derive(Deserialize)]
struct ValueRow {
    user_id: String,
    field_key: String,
    #[serde(rename = "type")]
    field_type: String,
    value: Value,
}

/// A stored field value as the API shows it: booleans are kept as 0/1 by SQLite.
pub fn typed(field_type: &str, value: Value) -> Value {
    match (FieldType::parse(field_type), &value) {
        (Some(FieldType::Boolean), Value::Number(n)) => Value::Bool(n.as_f64() != Some(0.0)),
        _ => value,
    }
}

const SELECT: &str = "SELECT id, email, username, created_at FROM users";

async fn render(ctx: &Ctx<'_>, cid: &str, users: Vec<UserRow>) -> ApiResult<Vec<ShownMember>> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    // Field values and balances in one round trip; json_each keeps the statements' text fixed
    // whatever the number of users.
    let ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
    let ids = serde_json::to_string(&ids).map_err(ApiError::internal)?;
    let args = crate::args![cid, ids.as_str()];
    let results = db::batch(
        ctx.data(cid),
        vec![
            db::stmt(
                "SELECT v.user_id, v.field_key, f.type, v.value FROM user_field_values v
                   JOIN user_fields f ON f.community_id = v.community_id AND f.key = v.field_key
                  WHERE v.community_id = ?1 AND v.user_id IN (SELECT value FROM json_each(?2))",
                &args,
            ),
            db::stmt(balances::OF_MEMBERS, &args),
        ],
    )
    .await?;
    let values: Vec<ValueRow> = db::outcome(&results, 0)?.rows()?;
    let mut balances = balances::by_member(db::outcome(&results, 1)?.rows()?);
    Ok(users
        .into_iter()
        .map(|u| {
            let fields: Map<String, Value> = values
                .iter()
                .filter(|v| v.user_id == u.id)
                .map(|v| (v.field_key.clone(), typed(&v.field_type, v.value.clone())))
                .collect();
            let amounts = balances.remove(&u.id).unwrap_or_default();
            member_json(&u, &amounts, fields)
        })
        .collect())
}

/// A member as the API shows it (OpenAPI `Member`; `member.joined` sends it): every currency's
/// balance in `balances`, the built-in ones also at the top level.
#[derive(Serialize)]
pub(crate) struct ShownMember {
    id: String,
    email: String,
    username: String,
    xp: i64,
    coins: i64,
    balances: balances::Amounts,
    fields: Map<String, Value>,
    created_at: String,
}

fn member_json(
    user: &UserRow,
    amounts: &balances::Amounts,
    fields: Map<String, Value>,
) -> ShownMember {
    let of = |key: &str| amounts.get(key).copied().unwrap_or(0);
    ShownMember {
        id: user.id.clone(),
        email: user.email.clone(),
        username: user.username.clone(),
        xp: of("xp"),
        coins: of("coins"),
        balances: amounts.clone(),
        fields,
        created_at: user.created_at.clone(),
    }
}

/// `member.joined` for a member just created (by the API, or by a delivery: `joined::queued`),
/// as created: 0 of every currency, no fields. Publishing only queues deliveries: the member
/// exists whatever happens to the event. The member as the API shows it.
pub(crate) async fn announce(env: &Env, cid: &str, user: &UserRow) -> ApiResult<ShownMember> {
    #[derive(Serialize)]
    struct Joined<'m> {
        member: &'m ShownMember,
    }
    let db = Db::Community(env, cid);
    let member = member_json(user, &balances::zero(db, cid).await?, Map::new());
    let joined = serde_json::to_value(Joined { member: &member }).map_err(ApiError::internal)?;
    let event = EventType::MemberJoined.into();
    if let Err(e) = outbox::publish(env, cid, &event, &joined, None).await {
        let id = &user.id;
        worker::console_error!("member.joined for {id} was not published: {}", e.message);
    }
    Ok(member)
}

/// Member `uid`, for a member a delivery created (`joined::queued`).
pub(crate) async fn created(db: Db<'_>, uid: &str) -> ApiResult<Option<UserRow>> {
    #[derive(Deserialize)]
    struct Row {
        id: String,
        email: String,
        username: String,
        created_at: String,
    }
    let row: Option<Row> = db::first(
        db,
        "SELECT id, email, username, created_at FROM users WHERE id = ?1",
        &crate::args![uid],
    )
    .await?;
    Ok(row.map(|r| UserRow {
        id: r.id,
        email: r.email,
        username: r.username,
        created_at: r.created_at,
    }))
}

request_body! {
    /// `POST .../users`.
    pub struct NewUser<'a> {
        email: Text<'a, MAX_EMAIL>,
        username: Text<'a, MAX_USERNAME>,
    }
}

pub async fn create(ctx: &Ctx<'_>, cid: &str, req: &mut Request) -> ApiResult<Response> {
    let object = http::object_body(req).await?;
    let NewUser {
        email: Text(email),
        username: Text(username),
    } = NewUser::from_object(&object)?;
    // The rules a webhook that creates members applies to the ones it creates, too.
    let email = member_email(email).map_err(|why| ApiError::invalid_field("email", why))?;
    let username =
        member_username(username).map_err(|why| ApiError::invalid_field("username", why))?;
    let username = username.as_str();
    let id = db::new_id("usr")?;
    let (_, now) = db::now();
    db::insert_unique(
        ctx.data(cid),
        "INSERT INTO users (id, community_id, email, username, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        &crate::args![&id, cid, email.as_str(), username, &now],
        |failure| {
            if failure.contains("users.email") {
                ApiError::conflict(
                    ApiCode::EmailTaken,
                    format!("a member with the email {email:?} already exists"),
                )
            } else {
                ApiError::conflict(
                    ApiCode::UsernameTaken,
                    format!("a member with the username {username:?} already exists"),
                )
            }
        },
    )
    .await?;
    let user = UserRow {
        id,
        email,
        username: username.to_owned(),
        created_at: now,
    };
    let member = announce(ctx.env, cid, &user).await?;
    let id = &user.id;
    // Deliveries held for this email or username apply now, after the INSERT: a delivery held
    // from here on finds the member and applies itself (`apply::record_held`).
    if let Err(e) = joined::member_joined(ctx.env, &ctx.db, cid, &user.email, &user.username).await
    {
        worker::console_error!("held deliveries for {id} wait for the cron: {}", e.message);
    }
    http::json(201, &member)
}

pub async fn get(ctx: &Ctx<'_>, cid: &str, uid: &str) -> ApiResult<Response> {
    let user: Option<UserRow> = db::first(
        ctx.data(cid),
        &format!("{SELECT} WHERE id = ?1 AND community_id = ?2"),
        &crate::args![uid, cid],
    )
    .await?;
    let user = user.ok_or_else(|| ApiError::not_found("this member"))?;
    let member = render(ctx, cid, vec![user])
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal("a member read was not rendered"))?;
    http::json(200, &member)
}

/// `?email=` or `?username=` finds one member (a list of zero or one); without them, all members.
pub async fn find(ctx: &Ctx<'_>, cid: &str) -> ApiResult<Response> {
    let (filter, value) = match (
        http::query(&ctx.url, "email"),
        http::query(&ctx.url, "username"),
    ) {
        (Some(email), _) => (
            "community_id = ?1 AND email = ?2",
            email.trim().to_ascii_lowercase(),
        ),
        (None, Some(username)) => ("community_id = ?1 AND username = ?2", username),
        (None, None) => ("community_id = ?1 AND ?2 = ?2", String::new()),
    };
    let listing = Listing {
        select: SELECT,
        counted: "users",
        filter,
        order: "created_at, id",
    };
    let mut listed = listing
        .fetch::<UserRow>(ctx, ctx.data(cid), &crate::args![cid, value.as_str()])
        .await?;
    let data = render(ctx, cid, std::mem::take(&mut listed.rows)).await?;
    listed.answer(data)
}
