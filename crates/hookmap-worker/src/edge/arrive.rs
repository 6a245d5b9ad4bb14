//! The first stage: a request for a known webhook, its body read under a running cap.
//!
//! The token is checked and looked up before a byte of the body is read, and the body is read in
//! chunks that stop at the cap: a body without Content-Length (chunked) can be any size, and an
//! isolate has 128 MB.

use std::cell::RefCell;

use hookmap_core::expiring::Expiring;
use hookmap_core::inbound::MAX_BODY;
use worker::{D1Database, Env, Headers, Request};

use super::settle::Refreshable;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::hook::HookRecord;
use crate::hooks::{self, Source};
use crate::http::{self, Capped, RequestUrl};

/// A request body as far as the edge read it.
pub enum Body {
    Read(Vec<u8>),
    /// Over [`MAX_BODY`]: reading stopped there.
    TooLarge,
}

/// A request to a known webhook, with its body and query parameters.
pub struct Arrived {
    hook: HookRecord,
    source: Source,
    headers: Headers,
    /// The text after `?`, as sent.
    query_text: String,
    body: Body,
    /// A refresh was refused since the object asked for one: judged by the record it has.
    refresh_refused: bool,
}

impl Arrived {
    /// `None`: no webhook has this URL (the body is left unread). A token that cannot be one is
    /// known at once (`hooks::by_token`).
    pub async fn read(
        req: &mut Request,
        env: &Env,
        db: &D1Database,
        token: &str,
        url: &RequestUrl,
    ) -> ApiResult<Option<Self>> {
        let Some((hook, source)) = hooks::by_token(env, db, token, false).await? else {
            return Ok(None);
        };
        let body = read_body(req).await?;
        Ok(Some(Self {
            hook,
            source,
            headers: req.headers().clone(),
            query_text: url.query_text().to_owned(),
            body,
            refresh_refused: false,
        }))
    }

    /// Reads the webhook's record again from D1 when the one used came from a cache: `false`
    /// when it was fresh already. A webhook deleted meanwhile is an unknown URL.
    /// A webhook refreshed in this isolate less than [`REFRESH_EVERY_MS`] ago is not read again
    /// (its memory cache holds what D1 said then, and a flood of failing requests must not cost a
    /// D1 read and a KV write each) unless D1 `proved_stale` the record: only a change to the
    /// webhook does that, and the read puts the current record in the caches.
    pub async fn refresh(
        &mut self,
        env: &Env,
        db: &D1Database,
        token: &str,
        proved_stale: bool,
    ) -> ApiResult<bool> {
        if self.source != Source::Cache || !(proved_stale || due(&self.hook.id)) {
            return Ok(false);
        }
        let (hook, source) = hooks::by_token(env, db, token, true)
            .await?
            .ok_or_else(|| ApiError::not_found("this webhook URL"))?;
        self.hook = hook;
        self.source = source;
        Ok(true)
    }

    /// Whether [`Self::refresh`] would read the record again, for the community's object, which
    /// decides when that is worth it (`edge::settle`).
    pub fn refreshable(&self) -> Refreshable {
        if self.source != Source::Cache || self.refresh_refused {
            return Refreshable::No;
        }
        let now = db::now().0;
        match REFRESHED.with(|r| r.borrow().holds(&self.hook.id, now)) {
            true => Refreshable::WhenStale,
            false => Refreshable::Yes,
        }
    }

    /// The object asked for a refresh that [`Self::refresh`] then refused: the delivery is judged
    /// by the record at hand.
    pub fn refuse_refresh(&mut self) {
        self.refresh_refused = true;
    }

    pub fn hook(&self) -> &HookRecord {
        &self.hook
    }

    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    pub fn body(&self) -> &Body {
        &self.body
    }

    /// The query string as sent: the payload's parameters are read from it strictly
    /// (`form::params`), as a form body is, since they are data.
    pub fn query_text(&self) -> &str {
        &self.query_text
    }
}

/// How often a webhook's record may be re-read from D1 because of a failure, per isolate.
const REFRESH_EVERY_MS: u64 = 5_000;

thread_local! {
    /// Webhooks re-read from D1 because of a failure in the last [`REFRESH_EVERY_MS`].
    static REFRESHED: RefCell<Expiring> = RefCell::new(Expiring::new(1024));
}

/// Whether the webhook may be refreshed now; if so, notes that it is.
fn due(webhook_id: &str) -> bool {
    let now = db::now().0;
    REFRESHED.with(|r| {
        let mut r = r.borrow_mut();
        if r.holds(webhook_id, now) {
            return false;
        }
        r.remember(webhook_id, now + REFRESH_EVERY_MS, now);
        true
    })
}

async fn read_body(req: &mut Request) -> ApiResult<Body> {
    Ok(match http::read_capped(req, MAX_BODY).await? {
        Capped::Read(body) => Body::Read(body),
        Capped::TooLarge => Body::TooLarge,
    })
}
