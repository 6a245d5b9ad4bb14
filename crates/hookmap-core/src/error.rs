//! The one error type of hookmap-core.
//!
//! Every failure has a [`ErrorKind`] (stable, machine readable: its [`ErrorKind::code`] is what the
//! HTTP API puts in `error.code`), a human message naming the cause, and optionally the place in the
//! mapping or payload it concerns (`at`), so the API and the preview page can point at it.

use std::fmt;

use crate::vocabulary::vocabulary;

vocabulary! {
    /// What went wrong. The code of each kind is part of the HTTP contract: never rename one.
    #[non_exhaustive]
    pub enum ErrorKind {
        /// The body (or the envelope's `data`/`iv`) is not valid base64.
        NotBase64 = "not_base64",
        /// Ciphertext or IV has a length the algorithm cannot use.
        BadLength = "bad_length",
        /// CBC padding is invalid after decryption: almost always a wrong key or IV.
        BadPadding = "bad_padding",
        /// The GCM authentication tag does not match: wrong key or IV, or the body was altered.
        TagMismatch = "tag_mismatch",
        /// The `{iv, data}` envelope is malformed.
        BadEnvelope = "bad_envelope",
        /// The (decrypted) payload is not UTF-8 JSON.
        NotJson = "not_json",
        /// A form body or the query string cannot become JSON (see [`crate::form`]): a bad escape,
        /// malformed brackets, or a key given two ways (a value and nested keys, or in both the
        /// body and the query).
        InvalidForm = "invalid_form",
        /// The payload nests deeper than [`crate::payload::MAX_DEPTH`].
        TooDeep = "json_too_deep",
        /// The body exceeds [`crate::inbound::MAX_BODY`].
        TooLarge = "payload_too_large",
        /// An encryption setting (key or IV) is not of the required length.
        InvalidEncryption = "invalid_encryption",
        /// The mapping is malformed: `at` names the offending member.
        InvalidMapping = "invalid_mapping",
        /// A payload path is syntactically invalid.
        InvalidPath = "invalid_path",
        /// A mapped path is absent from the payload.
        MissingPath = "missing_path",
        /// A payload value has the wrong JSON type for its target.
        WrongType = "wrong_type",
        /// A currency amount is not a non-negative integer within range.
        InvalidAmount = "invalid_amount",
        /// A mapping targets a user field the community does not define.
        UnknownField = "unknown_field",
        /// A mapping targets a currency the community does not have.
        UnknownCurrency = "unknown_currency",
        /// The effects would take a currency balance below zero.
        InsufficientBalance = "insufficient_balance",
        /// A message template is malformed; the message gives the character position.
        InvalidTemplate = "invalid_template",
        /// A rendered message (or topic) is longer than allowed.
        MessageTooLong = "message_too_long",
        /// A rendered message is empty or only whitespace.
        EmptyMessage = "empty_message",
        /// An outgoing webhook URL is not an https URL of a public host.
        InvalidUrl = "invalid_url",
        /// An event type is unknown, repeated, malformed, or not one the API may publish.
        InvalidEvent = "invalid_event",
        /// A published event's `data` does not match its type's schema: `at` names the place.
        InvalidEventData = "invalid_event_data",
        /// An event type's schema uses a keyword outside the supported subset, or is malformed
        /// or too large (see [`crate::schema`]).
        InvalidSchema = "invalid_schema",
        /// A signed incoming request's signature or timestamp does not verify.
        InvalidSignature = "invalid_signature",
        /// A setting sent to the API is malformed (a signature profile's part, say): `at` names it.
        InvalidField = "invalid_field",
        /// A CBC body chose its own IV (the `{iv, data}` envelope) on a webhook that does not
        /// authenticate its sender: with a chosen IV, CBC answers are a padding oracle.
        MessageIvRefused = "message_iv_refused",
        /// Two idempotency keys of one delivery disagree (see [`crate::idempotency`]).
        IdempotencyConflict = "idempotency_conflict",
        /// An idempotency key header is empty or too long.
        InvalidIdempotencyKey = "invalid_idempotency_key",
        /// What the sender is told of every decoding failure (see [`Error::for_sender`]).
        Undecodable = "undecodable",
        /// An expression (a row's `value` or `when`, the mapping's `filter`) does not parse, is
        /// over a limit, or may give a currency a fraction: `at` names it, `offset` the character.
        InvalidExpression = "invalid_expression",
        /// An expression failed on the payload: division by zero, a result out of range, a number
        /// that cannot be read exactly.
        ExpressionFailed = "expression_failed",
        /// An expression took more than [`crate::expr::MAX_STEPS`] steps on the payload.
        ExpressionStepLimit = "expression_step_limit",
        /// A currency's value has a fraction: it is never truncated; round it in the expression.
        NonIntegerAmount = "non_integer_amount",
        /// A member to create for a delivery (`on_unknown_member: "create"`) has an invalid or
        /// missing email or username: `at` names its place in the mapping.
        InvalidMember = "invalid_member",
    }
}

impl ErrorKind {
    /// The stable snake_case code used in API error bodies and delivery histories.
    pub const fn code(self) -> &'static str {
        self.as_str()
    }

    /// Where in a delivery's path this failure arises: each kind named once, so that a new kind
    /// must say.
    pub fn stage(self) -> Stage {
        match self {
            Self::NotBase64
            | Self::BadLength
            | Self::BadPadding
            | Self::TagMismatch
            | Self::BadEnvelope
            | Self::NotJson
            | Self::InvalidForm
            | Self::TooDeep
            | Self::MessageIvRefused
            | Self::Undecodable => Stage::Decoding,
            Self::InvalidMapping
            | Self::InvalidPath
            | Self::MissingPath
            | Self::WrongType
            | Self::InvalidAmount
            | Self::UnknownField
            | Self::UnknownCurrency
            | Self::InvalidTemplate
            | Self::MessageTooLong
            | Self::EmptyMessage
            | Self::InvalidExpression
            | Self::ExpressionFailed
            | Self::ExpressionStepLimit
            | Self::NonIntegerAmount => Stage::Planning,
            Self::TooLarge
            | Self::InvalidEncryption
            | Self::InsufficientBalance
            | Self::InvalidUrl
            | Self::InvalidEvent
            | Self::InvalidEventData
            | Self::InvalidSchema
            | Self::InvalidSignature
            | Self::InvalidField
            | Self::IdempotencyConflict
            | Self::InvalidIdempotencyKey
            | Self::InvalidMember => Stage::Other,
        }
    }

    /// True for failures of the envelope or payload decoding (HTTP 400 at the edge); the others are
    /// mapping failures (HTTP 422).
    pub fn is_decoding(self) -> bool {
        self.stage() == Stage::Decoding
    }

    /// True for the failures a mapping decides: [`crate::Mapping::parse`] and [`crate::plan()`]
    /// fail with these and no others. A delivery that failed with another code got past planning
    /// (storage refused it, or its keys disagreed) or never reached it (decoding), so another
    /// mapping alone does not change its fate (see [`crate::shadow`]).
    pub fn is_planning(self) -> bool {
        self.stage() == Stage::Planning
    }
}

/// Where a failure arises ([`ErrorKind::stage`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The envelope or the payload could not be read.
    Decoding,
    /// The mapping decided: another mapping may decide otherwise.
    Planning,
    /// Anywhere else: a setting, storage, a key, a signature.
    Other,
}

/// A hookmap-core failure: a kind, a message for humans, and where it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    at: Option<String>,
    /// The character of an expression the error points at.
    offset: Option<usize>,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            at: None,
            offset: None,
        }
    }

    /// Names the place the error concerns, e.g. `fields[2].path` in a mapping.
    pub fn at(mut self, at: impl Into<String>) -> Self {
        self.at = Some(at.into());
        self
    }

    /// Points at a character of the expression at `at`.
    pub fn offset(mut self, offset: usize) -> Self {
        self.offset = Some(offset);
        self
    }

    pub fn character(&self) -> Option<usize> {
        self.offset
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn code(&self) -> &'static str {
        self.kind.code()
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn location(&self) -> Option<&str> {
        self.at.as_deref()
    }

    /// The error as the sender of a body is told it. Every decoding failure reads the same: which
    /// step failed (base64, length, padding, tag, UTF-8, JSON) is exactly what an oracle attack
    /// needs, so only the delivery history, which an admin reads, keeps the precise cause.
    pub fn for_sender(&self) -> Self {
        if !self.kind.is_decoding() {
            return self.clone();
        }
        Self::new(
            ErrorKind::Undecodable,
            "the body could not be decrypted and read as JSON; the webhook's delivery history \
             names the cause",
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.at {
            Some(at) => write!(f, "{} (at {at})", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `{"code", "message", "at"?, "offset"?}`: the shape the API's error bodies and the preview page use.
impl serde::Serialize for Error {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = s.serialize_struct("Error", 4)?;
        out.serialize_field("code", self.code())?;
        out.serialize_field("message", &self.message)?;
        match &self.at {
            Some(at) => out.serialize_field("at", at)?,
            None => out.skip_field("at")?,
        }
        match self.offset {
            Some(offset) => out.serialize_field("offset", &offset)?,
            None => out.skip_field("offset")?,
        }
        out.end()
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn a_sender_learns_one_thing_of_any_decoding_failure() {
        let kinds = [
            ErrorKind::NotBase64,
            ErrorKind::BadLength,
            ErrorKind::BadPadding,
            ErrorKind::TagMismatch,
            ErrorKind::BadEnvelope,
            ErrorKind::NotJson,
            ErrorKind::InvalidForm,
            ErrorKind::TooDeep,
            ErrorKind::MessageIvRefused,
        ];
        let told: Vec<Error> = kinds
            .iter()
            .map(|&k| Error::new(k, format!("precise {k:?}")).at("x").for_sender())
            .collect();
        assert!(told.windows(2).all(|w| w[0] == w[1]), "{told:?}");
        assert_eq!(told[0].code(), "undecodable");
        assert!(!told[0].message().contains("precise"));
        let mapping = Error::new(ErrorKind::MissingPath, "no e").at("user.path");
        assert_eq!(mapping.for_sender(), mapping);
    }
}
