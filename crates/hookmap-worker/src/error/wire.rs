//! An error as it crosses from the worker that decided it to the community's object that records
//! it and back (a delivery's failure, `edge::settle`): every member kept, and each name read back
//! against the closed set it comes from, so a code is never one the contract does not list.

use hookmap_core::quota::Quota;
use hookmap_core::{ApiCode, ErrorKind};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

use super::{ApiError, Extra, QuotaLimit};

#[derive(Serialize, Deserialize)]
struct Wire {
    status: u16,
    code: String,
    message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    extra: Option<WireExtra>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum WireExtra {
    Allow(Vec<String>),
    RetryAfter {
        seconds: u64,
        quota: Option<(String, i64)>,
        limit: Option<i64>,
    },
    Quota(String, i64),
    Currency(String),
    Offset(usize),
}

/// The methods a route may allow: `Allow`'s names are static.
const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// The code named `text`: the worker's own or a core failure's.
pub fn code_named(text: &str) -> Option<&'static str> {
    ApiCode::parse(text)
        .map(ApiCode::as_str)
        .or_else(|| ErrorKind::parse(text).map(ErrorKind::code))
}

fn code<E: de::Error>(text: &str) -> Result<&'static str, E> {
    code_named(text).ok_or_else(|| E::custom(format!("no error has the code {text:?}")))
}

fn quota<E: de::Error>((name, limit): (String, i64)) -> Result<QuotaLimit, E> {
    let quota = Quota::parse(&name).ok_or_else(|| E::custom(format!("no quota {name:?}")))?;
    Ok(QuotaLimit {
        name: quota.as_str(),
        limit,
    })
}

fn method<E: de::Error>(name: String) -> Result<&'static str, E> {
    METHODS
        .into_iter()
        .find(|m| *m == name)
        .ok_or_else(|| E::custom(format!("no method {name:?}")))
}

impl Serialize for ApiError {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let pair = |q: &QuotaLimit| (q.name.to_owned(), q.limit);
        let extra = self.extra.as_ref().map(|extra| match extra {
            Extra::Allow(methods) => {
                WireExtra::Allow(methods.iter().map(|m| (*m).into()).collect())
            }
            Extra::RetryAfter {
                seconds,
                quota,
                limit,
            } => WireExtra::RetryAfter {
                seconds: *seconds,
                quota: quota.as_ref().map(pair),
                limit: *limit,
            },
            Extra::Quota(q) => {
                let (name, limit) = pair(q);
                WireExtra::Quota(name, limit)
            }
            Extra::Currency(currency) => WireExtra::Currency(currency.clone()),
            Extra::Offset(offset) => WireExtra::Offset(*offset),
        });
        Wire {
            status: self.status,
            code: self.code.to_owned(),
            message: self.message.clone(),
            at: self.at.clone(),
            extra,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for ApiError {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let wire = Wire::deserialize(d)?;
        let extra = match wire.extra {
            None => None,
            Some(WireExtra::Allow(methods)) => Some(Extra::Allow(
                methods.into_iter().map(method).collect::<Result<_, _>>()?,
            )),
            Some(WireExtra::RetryAfter {
                seconds,
                quota: q,
                limit,
            }) => Some(Extra::RetryAfter {
                seconds,
                quota: q.map(quota).transpose()?,
                limit,
            }),
            Some(WireExtra::Quota(name, limit)) => Some(Extra::Quota(quota((name, limit))?)),
            Some(WireExtra::Currency(currency)) => Some(Extra::Currency(currency)),
            Some(WireExtra::Offset(offset)) => Some(Extra::Offset(offset)),
        };
        Ok(Self {
            status: wire.status,
            code: code(&wire.code)?,
            message: wire.message,
            at: wire.at,
            extra,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn round_trip(error: &ApiError) -> ApiError {
        serde_json::from_str(&serde_json::to_string(error).unwrap()).unwrap()
    }

    #[test]
    fn every_kind_of_detail_reads_back() {
        let errors = [
            ApiError::method_not_allowed(&["GET", "POST"]),
            ApiError::retry_in(ApiCode::RateLimited, "slow down", 7).limit(3),
            ApiError::retry_in(ApiCode::QuotaExceeded, "full", 2)
                .quota(Quota::EventsPerMinute.as_str(), 600),
            ApiError::unprocessable(ApiCode::QuotaExceeded, "over").quota("held_deliveries", 5),
            ApiError::unprocessable(ApiCode::InsufficientBalance, "short").currency("coins"),
            ApiError::from(
                hookmap_core::Error::new(ErrorKind::ExpressionFailed, "no").at("fields[0]"),
            ),
            ApiError::not_found("this webhook URL"),
        ];
        for error in &errors {
            assert_eq!(&round_trip(error), error);
        }
    }

    #[test]
    fn a_code_or_name_outside_its_set_is_refused() {
        let wire = |code: &str, extra: &str| {
            format!(r#"{{"status":422,"code":"{code}","message":"m"{extra}}}"#)
        };
        assert!(serde_json::from_str::<ApiError>(&wire("made_up", "")).is_err());
        let quota = r#","extra":{"quota":["no_such_quota",1]}"#;
        assert!(serde_json::from_str::<ApiError>(&wire("quota_exceeded", quota)).is_err());
        let allow = r#","extra":{"allow":["BREW"]}"#;
        assert!(serde_json::from_str::<ApiError>(&wire("method_not_allowed", allow)).is_err());
    }
}
