//! What processing a delivery came to, before anything about it is recorded.

use hookmap_core::event::EventType;
use hookmap_core::{MatchBy, Plan};
use serde_json::Value;

use crate::balances::Member;
use crate::error::ApiError;

pub enum Outcome {
    Applied {
        delivery_id: String,
        plan: Plan,
        balances: Option<Member>,
        message_id: Option<String>,
        /// The id of the member the batch created (`on_unknown_member: "create"`).
        created: Option<String>,
        /// The webhook recovered with this delivery (`health`): the alert to send.
        alert: Option<EventType>,
        /// The outgoing deliveries of the `message.posted` it wrote, to queue.
        posted: Vec<String>,
    },
    Duplicate {
        first: Value,
    },
    DryRun(Value),
    /// Refused by the rate limit: answered, not recorded.
    RateLimited,
    /// No mapping yet: the payload is kept with the key it came with, for a replay.
    Pending {
        /// The payload's JSON text.
        payload: String,
        idempotency_key: Option<String>,
        guard: Option<String>,
        /// The allow-listed headers, as JSON text, kept for the replay.
        headers: Option<String>,
    },
    /// Storage knows no such member and the webhook holds such deliveries until they join
    /// (`hookmap_core::joining`).
    Held(Held),
    Failed(Failure),
}

/// A delivery held for a member who has not joined.
pub struct Held {
    /// How the plan names the member, and the identifier (as planned: an email lowercased).
    pub by: MatchBy,
    pub member: String,
    pub payload: String,
    pub idempotency_key: Option<String>,
    pub guard: Option<String>,
    pub headers: Option<String>,
    /// A replay of a delivery held already: it stays held, and nothing is written.
    pub already: Option<String>,
}

impl Outcome {
    /// Final whatever the webhook record said: anything else is worth a fresh read of the record
    /// before the sender is blamed (a key rotated or a mapping saved a moment ago).
    pub fn settled(&self) -> bool {
        match self {
            Self::Applied { .. } | Self::Duplicate { .. } | Self::DryRun(_) | Self::RateLimited => {
                true
            }
            Self::Pending { .. } | Self::Held(_) | Self::Failed(_) => false,
        }
    }

    /// Whether D1 proved the record used out of date (see [`Failure::stale_record`]).
    pub fn proves_stale(&self) -> bool {
        matches!(self, Self::Failed(f) if f.stale_record)
    }
}

/// A delivery that did not apply: what the admin reads in the history and what the sender is told.
/// Decided by the edge or by the community's object, and recorded by the object.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct Failure {
    /// The precise cause, recorded.
    pub error: ApiError,
    /// What the sender learns: the same, but for decoding failures (see `Error::for_sender`).
    pub told: ApiError,
    /// The payload's text, when it was decoded.
    pub payload: Option<String>,
    pub idempotency_key: Option<String>,
    /// The verified signature's replay guard, kept so that a replay claims it.
    pub guard: Option<String>,
    pub effects: Option<String>,
    /// The allow-listed headers, as JSON text, when the request was decoded.
    pub headers: Option<String>,
    /// The sender was not proved (a bad key or signature, or a webhook that checks neither and
    /// failed before planning): counted in the webhook's failure budget, not its rate limit, so
    /// an outsider cannot spend the real sender's deliveries.
    pub anonymous: bool,
    /// The apply batch found the webhook disabled, deleted or changed since the record used was
    /// read: that record is out of date, so it is read again whatever the refresh interval.
    pub stale_record: bool,
}

impl Failure {
    /// A failure the sender may read in full.
    pub fn new(error: ApiError) -> Self {
        Self {
            told: error.clone(),
            error,
            payload: None,
            idempotency_key: None,
            guard: None,
            effects: None,
            headers: None,
            anonymous: false,
            stale_record: false,
        }
    }

    /// A failure of the core's, told to the sender as `Error::for_sender` says.
    pub fn core(error: &hookmap_core::Error) -> Self {
        Self {
            told: error.for_sender().into(),
            ..Self::new(error.clone().into())
        }
    }

    pub fn anonymous(mut self, anonymous: bool) -> Self {
        self.anonymous = anonymous;
        self
    }

    /// The decoded payload's text and the headers that came with it, kept for a replay.
    pub fn with_payload(mut self, payload: String, headers: Option<String>) -> Self {
        self.payload = Some(payload);
        self.headers = headers;
        self
    }

    /// The keys a replay of this delivery is to apply under (see `run::StoredKeys`).
    pub fn with_keys(mut self, (key, guard): (Option<String>, Option<String>)) -> Self {
        self.idempotency_key = key;
        self.guard = guard;
        self
    }
}

impl From<Failure> for Outcome {
    fn from(failure: Failure) -> Self {
        Self::Failed(failure)
    }
}
