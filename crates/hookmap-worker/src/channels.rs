//! A community's chat channels, as every reader finds one: a channel id names a channel only
//! within its community, so another community's channel is as unknown as a missing one. The
//! management API (a webhook's mapping, a subscription's filter, a channel's routes) and the dry
//! run all ask [`find`]; only the apply batch checks inside its own statements, where a separate
//! read could not keep the check and the write together.

use serde::{Deserialize, Serialize};

use crate::db::{self, Db};
use crate::error::ApiResult;

/// A channel as stored and as the API shows it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Channel {
    pub id: String,
    pub name: String,
    /// `text` or `forum` (a forum's messages need a topic).
    #[serde(rename = "type")]
    pub kind: String,
    pub created_at: String,
}

/// Community `cid`'s channel `id`; `None` when it has none by that id.
pub async fn find(db: Db<'_>, cid: &str, id: &str) -> ApiResult<Option<Channel>> {
    db::first(
        db,
        "SELECT id, name, type, created_at FROM channels WHERE id = ?1 AND community_id = ?2",
        &crate::args![id, cid],
    )
    .await
}
