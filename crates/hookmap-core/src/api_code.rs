//! The codes of the error answers the management API and the edge raise themselves. A failure the
//! core reports answers with its [`ErrorKind`](crate::ErrorKind)'s code instead; where both name
//! the same failure (`invalid_field`, `unknown_member` ...) they spell it the same. OpenAPI's
//! `ErrorCode` lists the two sets together (`tests/vocabulary.rs`).

use crate::vocabulary::vocabulary;

vocabulary! {
    /// One error answer's `error.code`, raised by the worker.
    pub enum ApiCode {
        /// A replay of a delivery that already applied.
        AlreadyApplied = "already_applied",
        /// A replay of a delivery its mapping's filter left out.
        AlreadyFiltered = "already_filtered",
        /// The webhook's API key was sent in the URL, where logs keep it.
        ApiKeyInUrl = "api_key_in_url",
        /// xp and coins cannot be deleted.
        BuiltInCurrency = "built_in_currency",
        /// A catalogue event type cannot be registered or deleted by a community.
        BuiltInEventType = "built_in_event_type",
        /// A channel of this name exists.
        ChannelExists = "channel_exists",
        /// The community's data is moving into its own database (or waits to): `Retry-After`
        /// says when to send again.
        CommunityMoving = "community_moving",
        /// A currency of this key exists.
        CurrencyExists = "currency_exists",
        /// A currency members hold or a mapping names cannot be deleted.
        CurrencyInUse = "currency_in_use",
        /// The idempotency key of a delivery that was already received.
        Duplicate = "duplicate",
        /// Another member has this email.
        EmailTaken = "email_taken",
        /// The community registered this event type already.
        EventTypeExists = "event_type_exists",
        /// A subscription lists this event type.
        EventTypeInUse = "event_type_in_use",
        /// A user field of this key exists.
        FieldExists = "field_exists",
        /// A user field a mapping writes cannot be deleted.
        FieldInUse = "field_in_use",
        /// A number field would leave the finite range.
        FieldOutOfRange = "field_out_of_range",
        /// The credentials may not do this.
        Forbidden = "forbidden",
        /// A user field's type cannot change.
        ImmutableType = "immutable_type",
        /// A delivery would take a balance below zero.
        InsufficientBalance = "insufficient_balance",
        /// A fault on the server's side; its cause is logged, not told.
        Internal = "internal",
        /// The webhook's API key is wrong.
        InvalidApiKey = "invalid_api_key",
        /// The body is not a JSON object.
        InvalidBody = "invalid_body",
        /// An event type that is not in the catalogue or the community's.
        InvalidEvent = "invalid_event",
        /// A request member is missing, of the wrong type or out of range.
        InvalidField = "invalid_field",
        /// A mapping that cannot be saved.
        InvalidMapping = "invalid_mapping",
        /// A query parameter is malformed.
        InvalidQuery = "invalid_query",
        /// The management token or API key is wrong.
        InvalidToken = "invalid_token",
        /// The member joined while a replayed delivery was being held.
        MemberJoined = "member_joined",
        /// The path is served under other methods.
        MethodNotAllowed = "method_not_allowed",
        /// The webhook asks for an API key and none was sent.
        MissingApiKey = "missing_api_key",
        /// No management token or API key was sent.
        MissingToken = "missing_token",
        /// No route has this path.
        NoRoute = "no_route",
        /// The resource does not exist, or is another tenant's.
        NotFound = "not_found",
        /// The webhook has caught no delivery yet.
        NothingCaught = "nothing_caught",
        /// No delivery matches the replay's filters.
        NothingToReplay = "nothing_to_replay",
        /// The body is over the limit.
        PayloadTooLarge = "payload_too_large",
        /// A dry run needs the sender's proof (signature or key).
        ProofRequired = "proof_required",
        /// The request would pass one of the community's quotas.
        QuotaExceeded = "quota_exceeded",
        /// The webhook is over its rate limit this minute.
        RateLimited = "rate_limited",
        /// The community has as many currencies as it may.
        TooManyCurrencies = "too_many_currencies",
        /// The community has registered as many event types as it may.
        TooManyEventTypes = "too_many_event_types",
        /// The webhook refused too many unauthenticated requests this minute.
        TooManyFailures = "too_many_failures",
        /// Too many forced resends of one delivery within the hour.
        TooManyResends = "too_many_resends",
        /// The community has as many user fields as it may.
        TooManyUserFields = "too_many_user_fields",
        /// A forum channel's message needs a topic.
        TopicRequired = "topic_required",
        /// The mapped channel does not exist.
        UnknownChannel = "unknown_channel",
        /// A mapped currency was deleted.
        UnknownCurrency = "unknown_currency",
        /// A mapped user field was deleted.
        UnknownField = "unknown_field",
        /// No member has the mapped identifier.
        UnknownMember = "unknown_member",
        /// A signed webhook's query carries parameters its signature does not cover.
        UnsignedParameters = "unsigned_parameters",
        /// Another member has this username.
        UsernameTaken = "username_taken",
        /// The webhook changed while the delivery was processed.
        WebhookChanged = "webhook_changed",
        /// The webhook is disabled.
        WebhookDisabled = "webhook_disabled",
    }
}
