//! Channels, their messages, and the community's bot, which authors every message an incoming
//! webhook posts. Messages are plain text and are returned as JSON strings, never as markup.

use hookmap_core::ApiCode;
use hookmap_core::{weburl, ChannelType};
use serde::{Deserialize, Serialize};
use worker::{Request, Response};

use super::body::{Body, OneOf, Patch, Text};
use super::Ctx;
use crate::api::list::Listing;
use crate::channels::{self, Channel};
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::http;

/// Longest bot avatar URL.
const MAX_URL_LEN: usize = 500;

request_body! {
    /// `POST .../channels`.
    pub struct NewChannel<'a> {
        name: Text<'a, 100>,
        r#type: Option<OneOf<ChannelType>>,
    }
}

request_body! {
    /// `PATCH .../bot`: `avatar_url: null` removes the avatar.
    pub struct BotChange<'a> {
        name: Option<Text<'a, 80>>,
        avatar_url: Patch<Text<'a, MAX_URL_LEN>>,
    }
}

pub async fn create_channel(ctx: &Ctx<'_>, cid: &str, req: &mut Request) -> ApiResult<Response> {
    let object = http::object_body(req).await?;
    let body = NewChannel::from_object(&object)?;
    let Text(name) = body.name;
    let kind = body
        .r#type
        .map_or(ChannelType::Text, |OneOf(kind)| kind)
        .as_str();
    let id = db::new_id("chn")?;
    let (_, now) = db::now();
    db::insert_unique(
        ctx.data(cid),
        "INSERT INTO channels (id, community_id, name, type, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        &crate::args![&id, cid, name, kind, &now],
        |_| {
            ApiError::conflict(
                ApiCode::ChannelExists,
                format!("this community already has a channel named {name:?}"),
            )
        },
    )
    .await?;
    http::json(
        201,
        &Channel {
            id,
            name: name.into(),
            kind: kind.into(),
            created_at: now,
        },
    )
}

pub async fn list_channels(ctx: &Ctx<'_>, cid: &str) -> ApiResult<Response> {
    Listing {
        select: "SELECT id, name, type, created_at FROM channels",
        counted: "channels",
        filter: "community_id = ?1",
        order: "name",
    }
    .fetch::<Channel>(ctx, ctx.data(cid), &crate::args![cid])
    .await?
    .answer_rows()
}

async fn load_channel(ctx: &Ctx<'_>, cid: &str, chid: &str) -> ApiResult<Channel> {
    channels::find(ctx.data(cid), cid, chid)
        .await?
        .ok_or_else(|| ApiError::not_found("this channel"))
}

pub async fn get_channel(ctx: &Ctx<'_>, cid: &str, chid: &str) -> ApiResult<Response> {
    http::json(200, &load_channel(ctx, cid, chid).await?)
}

#[derive(Deserialize)]
struct MessageRow {
    id: String,
    channel_id: String,
    topic: Option<String>,
    text: String,
    webhook_id: Option<String>,
    delivery_id: Option<String>,
    created_at: String,
}

/// A channel's messages, newest first, each with its author: the community's bot as it is now
/// (the directory's), not as it was when the message was posted.
pub async fn messages(ctx: &Ctx<'_>, cid: &str, chid: &str) -> ApiResult<Response> {
    load_channel(ctx, cid, chid).await?;
    let listed = Listing {
        select:
            "SELECT m.id, m.channel_id, m.topic, m.text, m.webhook_id, m.delivery_id, m.created_at
                   FROM messages m",
        counted: "messages m",
        filter: "m.channel_id = ?1",
        order: "m.seq DESC",
    }
    .fetch::<MessageRow>(ctx, ctx.data(cid), &crate::args![chid])
    .await?;
    let bot = load_bot(ctx, cid).await?;
    listed.answer_each(|m| Ok(ShownMessage::of(m, &bot)))
}

/// A message as the API shows it (OpenAPI `Message`), its author the community's bot.
#[derive(Serialize)]
struct ShownMessage<'r> {
    id: &'r str,
    channel_id: &'r str,
    topic: Option<&'r str>,
    text: &'r str,
    author: Author<'r>,
    webhook_id: Option<&'r str>,
    delivery_id: Option<&'r str>,
    created_at: &'r str,
}

#[derive(Serialize)]
struct Author<'r> {
    kind: &'static str,
    name: &'r str,
    avatar_url: Option<&'r str>,
}

impl<'r> ShownMessage<'r> {
    fn of(m: &'r MessageRow, bot: &'r Bot) -> Self {
        Self {
            id: &m.id,
            channel_id: &m.channel_id,
            topic: m.topic.as_deref(),
            text: &m.text,
            author: Author {
                kind: "bot",
                name: &bot.name,
                avatar_url: bot.avatar_url.as_deref(),
            },
            webhook_id: m.webhook_id.as_deref(),
            delivery_id: m.delivery_id.as_deref(),
            created_at: &m.created_at,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Bot {
    name: String,
    avatar_url: Option<String>,
}

async fn load_bot(ctx: &Ctx<'_>, cid: &str) -> ApiResult<Bot> {
    db::one(
        &ctx.db,
        "SELECT bot_name AS name, bot_avatar_url AS avatar_url FROM communities WHERE id = ?1",
        &crate::args![cid],
        "this community",
    )
    .await
}

pub async fn bot(ctx: &Ctx<'_>, cid: &str) -> ApiResult<Response> {
    http::json(200, &load_bot(ctx, cid).await?)
}

/// `{name?, avatar_url?}`; `avatar_url: null` removes the avatar.
pub async fn update_bot(ctx: &Ctx<'_>, cid: &str, req: &mut Request) -> ApiResult<Response> {
    let object = http::object_body(req).await?;
    let body = BotChange::from_object(&object)?;
    let current = load_bot(ctx, cid).await?;
    let name = body.name.map_or(current.name.as_str(), |Text(name)| name);
    let avatar_url = match body.avatar_url {
        Patch::Keep => current.avatar_url.clone(),
        Patch::Clear => None,
        Patch::Set(Text(url)) => Some(avatar_url(url)?),
    };
    db::run(
        &ctx.db,
        "UPDATE communities SET bot_name = ?2, bot_avatar_url = ?3 WHERE id = ?1",
        &crate::args![cid, name, avatar_url.as_deref()],
    )
    .await?;
    http::json(
        200,
        &Bot {
            name: name.into(),
            avatar_url,
        },
    )
}

/// An absolute http(s) URL: the avatar is shown by clients, so nothing else (no `javascript:`).
fn avatar_url(text: &str) -> ApiResult<String> {
    let bad = |why: Option<String>| {
        let why = why.map_or(String::new(), |w| format!(" ({w})"));
        ApiError::invalid_field(
            "avatar_url",
            format!("must be an absolute http:// or https:// URL{why}"),
        )
    };
    weburl::parse(text).map_err(|why| bad(Some(why)))?;
    Ok(text.to_owned())
}
