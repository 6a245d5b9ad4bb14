//! The sender's errors for what the apply batch refused, and for requests over a budget.

use hookmap_core::ApiCode;
use hookmap_core::{Plan, StorageRefusal};

use crate::apply::Refusal;
use crate::db;
use crate::error::ApiError;

pub fn refusal_error(refusal: &Refusal, plan: &Plan) -> ApiError {
    let member = plan.member.as_ref();
    let who = member.map_or("the member", |m| m.value.as_str());
    let channel = plan.message.as_ref().map_or("", |m| m.channel.as_str());
    match refusal {
        Refusal::Raised(StorageRefusal::UnknownMember) => ApiError::unprocessable(
            ApiCode::UnknownMember,
            format!(
                "no member of this community has the {} {who:?}",
                member.map_or("identifier", |m| m.by.as_str())
            ),
        ),
        Refusal::Insufficient(Some(currency)) => ApiError::unprocessable(
            ApiCode::InsufficientBalance,
            format!(
                "the delivery would take {who}'s {} below zero",
                currency.as_str()
            ),
        )
        .currency(currency.as_str()),
        Refusal::Insufficient(None) => ApiError::unprocessable(
            ApiCode::InsufficientBalance,
            format!("the delivery would take one of {who}'s balances below zero"),
        ),
        Refusal::Raised(StorageRefusal::UnknownCurrency) => ApiError::unprocessable(
            ApiCode::UnknownCurrency,
            "a mapped currency was deleted; update the mapping",
        ),
        Refusal::Raised(StorageRefusal::WebhookDisabled) => ApiError::forbidden(
            ApiCode::WebhookDisabled,
            "this webhook is disabled; enable it to accept deliveries",
        ),
        Refusal::Raised(StorageRefusal::WebhookGone) => ApiError::not_found("this webhook URL"),
        Refusal::Raised(StorageRefusal::StaleWebhook) => webhook_changed(),
        Refusal::UnknownField => ApiError::unprocessable(
            ApiCode::UnknownField,
            "a mapped user field was deleted; update the mapping",
        ),
        Refusal::Raised(StorageRefusal::FieldOutOfRange) => ApiError::unprocessable(
            ApiCode::FieldOutOfRange,
            "a number field would go past the largest number a field holds (about 1.8e308)",
        ),
        Refusal::Raised(StorageRefusal::UnknownChannel) => ApiError::unprocessable(
            ApiCode::UnknownChannel,
            format!("this community has no channel {channel:?}"),
        )
        .at("message.channel"),
        Refusal::Raised(StorageRefusal::TopicRequired) => ApiError::unprocessable(
            ApiCode::TopicRequired,
            format!("channel {channel:?} is a forum: its messages need a topic (message.topic)"),
        )
        .at("message.topic"),
        Refusal::Duplicate => {
            ApiError::conflict(ApiCode::Duplicate, "this idempotency key was already used")
        }
        Refusal::Raised(StorageRefusal::RateLimited) => rate_limited(),
        Refusal::Raised(StorageRefusal::TooManyFailures) => too_many_failures(),
        // Raised by a resend's batch (the API's `outgoing.rs`), never by a delivery's.
        Refusal::Raised(StorageRefusal::EventsQuota) => {
            ApiError::internal("a delivery's batch was refused for the events quota")
        }
        // Only the identifier not matched on can be another member's: the batch creates no
        // member when one has the matched identifier.
        Refusal::IdentifierTaken(which) => {
            let other = format!("user.create.{which}");
            ApiError::unprocessable(
                if *which == "email" {
                    ApiCode::EmailTaken
                } else {
                    ApiCode::UsernameTaken
                },
                format!(
                    "the new member's {which} belongs to another member already: the member \
                     was not created"
                ),
            )
            .at(&other)
        }
    }
}

/// The answer to a request over its webhook's rate limit. It is not recorded: the refused batch
/// wrote nothing, and a flood cannot fill the history.
pub fn rate_limited() -> ApiError {
    ApiError::until_next_minute(
        ApiCode::RateLimited,
        "this webhook is over its rate limit for this minute",
        db::now().0,
    )
}

/// The answer to an unauthenticated failure beyond the webhook's failure budget, not recorded.
/// The real sender, who authenticates, is not affected.
pub fn too_many_failures() -> ApiError {
    ApiError::until_next_minute(
        ApiCode::TooManyFailures,
        "this webhook refused too many unauthenticated requests this minute",
        db::now().0,
    )
}

/// The webhook changed while the delivery was judged, and the edge could not judge it again.
pub fn webhook_changed() -> ApiError {
    ApiError::conflict(
        ApiCode::WebhookChanged,
        "the webhook changed while this delivery was processed; send it again",
    )
}

/// A replay held a moment ago while the member was being created (the edge runs such a delivery
/// again itself): it did not apply, and a replay now will.
pub fn member_joined() -> ApiError {
    ApiError::conflict(
        ApiCode::MemberJoined,
        "the member joined while this delivery was being held, so it was not held; replay it again",
    )
}
