//! hookmap-core: the pure logic of the hookmap webhook edge.
//!
//! No I/O, no clock, no `worker` and no `wasm-bindgen`: the Cloudflare Worker and the browser page
//! both call into this crate, so what the preview shows is what the edge does.
//!
//! The flow of one delivery: [`inbound::decode`] (envelope + JSON) -> [`plan::plan`] (effects) ->
//! storage applies the plan.

// A match over one of our closed sets (operators, signature schemes, event types, field types,
// outcomes...) names every variant, so that a new one fails to compile wherever it must be
// decided. An open foreign enum may keep a catch-all, with a local allow that says why.
#![deny(clippy::wildcard_enum_match_arm)]

pub mod adjust;
pub mod api_code;
pub mod auth;
pub mod catalog;
pub mod community_schema;
pub mod envelope;
pub mod error;
pub mod event;
pub mod event_types;
pub mod expiring;
pub mod expr;
pub mod failing;
pub mod form;
pub mod headers;
pub mod health;
pub mod held;
pub mod idempotency;
pub mod inbound;
pub mod instant;
pub mod joining;
pub mod mapping;
pub mod message;
pub mod needs;
pub mod ops;
pub mod path;
pub mod payload;
pub mod plan;
pub mod preview;
pub mod profile;
pub mod query;
pub mod quota;
pub mod resend;
pub mod retry;
pub mod rotation;
pub mod schema;
pub mod schemes;
pub mod secretbox;
pub mod shadow;
pub mod shape;
pub mod signature;
pub mod simulate;
pub mod stored;
pub mod target;
pub mod template;
pub mod token;
pub mod vocabulary;
pub mod weburl;

pub use api_code::ApiCode;
pub use catalog::{Catalog, Currency, FieldTypes, BUILT_IN_CURRENCIES};
pub use envelope::{Algorithm, Encryption, Sender};
pub use error::{Error, ErrorKind, Result};
pub use mapping::{Mapping, MatchBy, Target};
pub use ops::{FieldType, Op};
pub use path::Path;
pub use plan::{plan, Effect, FieldValue, MemberRef, Plan};
pub use preview::{preview, Draft, Preview};
pub use profile::{Profile, SignatureScheme};
pub use simulate::{simulate, Change, MemberState};
pub use stored::{
    ChannelType, DeliveryStatus, DisabledReason, HistoryStatus, Location, StorageRefusal,
};
