//! The one number type of expressions: an exact decimal (`rust_decimal`, 96-bit mantissa, up to 28
//! decimal places). Every number an expression sees is read from text, digit by digit, never
//! through binary floating point: `0.1 + 0.2 == 0.3` holds, and `decimal("24.99") * 100` is 2499.

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Number, Value};

/// Most significant digits a JSON number with a fraction may have to be read exactly. serde_json
/// keeps such a number as a binary float; any decimal of at most 15 significant digits comes back
/// unchanged from it (DBL_DIG), so its shortest text is the sender's own. Longer ones are refused
/// rather than silently rounded: the sender can send them as strings, read with `decimal()`.
pub const EXACT_FLOAT_DIGITS: usize = 15;

/// Most decimal places a number may carry (the type's own limit).
pub const MAX_SCALE: u32 = 28;

/// Why a text is not a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotANumber {
    /// Not written as JSON writes numbers (`-?digits[.digits][e[+-]digits]`).
    Syntax,
    /// Too large for the type, or more than [`MAX_SCALE`] decimal places.
    Range,
}

/// Reads `text` as JSON writes numbers ("24.99", "-3", "1e3", "1.5E-2"; not " 5", "+5", "5.",
/// ".5", "0x10" or "NaN"), exactly.
pub fn parse(text: &str) -> Result<Decimal, NotANumber> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa_text, exponent) = match rest.find(['e', 'E']) {
        Some(at) => {
            let (m, e) = rest.split_at(at);
            (m, exponent_of(e.get(1..).unwrap_or(""))?)
        }
        None => (rest, Ok(0)),
    };
    let (whole, fraction) = match mantissa_text.split_once('.') {
        Some((w, f)) if !f.is_empty() => (w, f),
        Some(_) => return Err(NotANumber::Syntax),
        None => (mantissa_text, ""),
    };
    let digits_only = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits_only(whole) || !(fraction.is_empty() || digits_only(fraction)) {
        return Err(NotANumber::Syntax);
    }
    // JSON allows no leading zeros ("007"), so neither do we: it is a typo more often than a number.
    if whole.len() > 1 && whole.starts_with('0') {
        return Err(NotANumber::Syntax);
    }
    // The significant digits alone: zeros in front add nothing, and zeros behind move the
    // exponent, so "1.000…0" and "1000…0e-20" read as the small numbers they are.
    let digits = format!("{whole}{fraction}");
    let significant = digits.trim_start_matches('0');
    let kept = significant.trim_end_matches('0');
    if kept.is_empty() {
        return Ok(Decimal::ZERO);
    }
    let exponent = exponent?;
    let shift = |n: usize| i64::try_from(n).map_err(|_| NotANumber::Range);
    // value = kept * 10^power
    let power = exponent - shift(fraction.len())? + shift(significant.len() - kept.len())?;
    let mut mantissa: i128 = 0;
    for b in kept.bytes() {
        mantissa = mantissa
            .checked_mul(10)
            .and_then(|m| m.checked_add(i128::from(b - b'0')))
            .ok_or(NotANumber::Range)?;
    }
    let (mantissa, scale) = if power > 0 {
        let factor = u32::try_from(power)
            .ok()
            .and_then(|p| 10i128.checked_pow(p))
            .ok_or(NotANumber::Range)?;
        (mantissa.checked_mul(factor).ok_or(NotANumber::Range)?, 0)
    } else {
        let scale = u32::try_from(-power).map_err(|_| NotANumber::Range)?;
        (mantissa, scale)
    };
    if scale > MAX_SCALE {
        return Err(NotANumber::Range);
    }
    let signed = if negative { -mantissa } else { mantissa };
    Decimal::try_from_i128_with_scale(signed, scale).map_err(|_| NotANumber::Range)
}

/// The exponent after `e`: its syntax is checked here, its size only once the number is known
/// not to be zero (`0e99999` is 0).
fn exponent_of(text: &str) -> Result<Result<i64, NotANumber>, NotANumber> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NotANumber::Syntax);
    }
    let value = digits.trim_start_matches('0');
    if value.len() > 6 {
        return Ok(Err(NotANumber::Range));
    }
    let magnitude: i64 = value.parse().unwrap_or(0);
    Ok(Ok(if text.starts_with('-') {
        -magnitude
    } else {
        magnitude
    }))
}

/// Why a JSON number cannot be read exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inexact {
    /// A fraction with more than [`EXACT_FLOAT_DIGITS`] significant digits, or an integer past
    /// 64 bits: serde_json kept only a binary float of it.
    TooManyDigits,
}

/// A payload's JSON number as an exact decimal: integers of up to 64 bits exactly, fractions of up
/// to [`EXACT_FLOAT_DIGITS`] significant digits exactly (see there), others refused.
pub fn from_json(n: &Number) -> Result<Decimal, Inexact> {
    if let Some(i) = n.as_i64() {
        return Ok(Decimal::from(i));
    }
    if let Some(u) = n.as_u64() {
        return Ok(Decimal::from(u));
    }
    // The shortest text that reads back as the same float (serde_json writes floats that way).
    let text = n.to_string();
    let significant = text
        .split(['e', 'E'])
        .next()
        .unwrap_or("")
        .bytes()
        .filter(u8::is_ascii_digit)
        .skip_while(|&b| b == b'0')
        .count();
    if significant > EXACT_FLOAT_DIGITS {
        return Err(Inexact::TooManyDigits);
    }
    parse(&text).map_err(|_| Inexact::TooManyDigits)
}

/// The decimal as JSON: an integer when it is one (and fits 64 bits), else a float, which is what
/// a number field stores. Currencies never come here: they take integers only.
pub fn to_json(d: Decimal) -> Value {
    let d = d.normalize();
    if d.scale() == 0 {
        if let Ok(i) = i64::try_from(d.mantissa()) {
            return Value::from(i);
        }
    }
    Number::from_f64(to_f64(d)).map_or(Value::Null, Value::Number)
}

/// The float of a decimal: a whole one is the float nearest it; one with a fraction is taken to
/// the 15 significant digits a float holds exactly, so the mantissa is below 2^53 and every power
/// of ten up to 10^22 is exact, and each step rounds once (no float parser, with its tables, is
/// linked for this).
fn to_f64(d: Decimal) -> f64 {
    #[allow(clippy::cast_precision_loss)] // the nearest float, as intended
    if d.scale() == 0 {
        return d.mantissa() as f64;
    }
    // Rounded at the 15th significant digit with the rounding already linked (round_sf is 2 KB).
    let digits = u32::try_from(d.mantissa().unsigned_abs().to_string().len()).unwrap_or(0);
    let d = match digits.checked_sub(15) {
        Some(extra) if extra > 0 => d.round_dp(d.scale().saturating_sub(extra)),
        _ => d,
    }
    .normalize();
    #[allow(clippy::cast_precision_loss)] // below 10^15 < 2^53: exact
    let mantissa = d.mantissa() as f64;
    let scale = i32::try_from(d.scale()).unwrap_or(0);
    if scale <= 22 {
        mantissa / 10f64.powi(scale)
    } else {
        mantissa / 1e22 / 10f64.powi(scale - 22)
    }
}

/// The integer a whole decimal is, when it fits `i64`.
pub fn whole(d: Decimal) -> Option<i64> {
    let d = d.normalize();
    (d.scale() == 0)
        .then(|| i64::try_from(d.mantissa()).ok())
        .flatten()
}

/// How `round`-like functions round: to `places` decimal places.
pub fn round(d: Decimal, places: u32, how: Rounding) -> Decimal {
    let strategy = match how {
        Rounding::Floor => RoundingStrategy::ToNegativeInfinity,
        Rounding::Ceil => RoundingStrategy::ToPositiveInfinity,
        Rounding::HalfUp => RoundingStrategy::MidpointAwayFromZero,
        Rounding::HalfEven => RoundingStrategy::MidpointNearestEven,
    };
    d.round_dp_with_strategy(places, strategy)
}

/// The rounding functions' rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    Floor,
    Ceil,
    /// Half away from zero: 2.5 -> 3, -2.5 -> -3 (what a shop's receipt does).
    HalfUp,
    /// Half to even (banker's): 2.5 -> 2, 3.5 -> 4.
    HalfEven,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        parse(text).unwrap()
    }

    #[test]
    fn reads_json_number_text_exactly() {
        for (text, shown) in [
            ("24.99", "24.99"),
            ("-3", "-3"),
            ("1e3", "1000"),
            ("1.5E-2", "0.015"),
            ("0", "0"),
            ("10.00", "10"),
            ("0.1", "0.1"),
            (
                "79228162514264337593543950335",
                "79228162514264337593543950335",
            ),
            (
                "0.0000000000000000000000000001",
                "0.0000000000000000000000000001",
            ),
        ] {
            assert_eq!(d(text).to_string(), shown, "{text}");
        }
        assert_eq!(d("0.1") + d("0.2"), d("0.3"));
        assert_eq!(d("24.99") * d("100"), d("2499"));
    }

    #[test]
    fn refuses_what_json_would_not_write() {
        for text in [
            "", " 5", "5 ", "+5", "0x10", "5.", ".5", "NaN", "1e", "1e+", "007", "--1", "1.2.3",
        ] {
            assert_eq!(parse(text), Err(NotANumber::Syntax), "{text:?}");
        }
        for text in [
            "1e999",
            "79228162514264337593543950336",
            "1e-29",
            "1e9999999",
        ] {
            assert_eq!(parse(text), Err(NotANumber::Range), "{text:?}");
        }
        // Zeros in front or behind are no digits: these fit.
        for (text, value) in [
            ("1.00000000000000000000000000000000000000000", "1"),
            (
                "10000000000000000000000000000000000000000e-20",
                "100000000000000000000",
            ),
            ("0e9999", "0"),
            ("-0.000", "0"),
            ("1e00005", "100000"),
            (
                "0.00000000000000000000000000010",
                "0.0000000000000000000000000001",
            ),
        ] {
            assert_eq!(
                parse(text).map(|d| d.to_string()),
                Ok(value.to_owned()),
                "{text}"
            );
        }
    }

    #[test]
    fn json_numbers_are_exact_or_refused() {
        let n = |v: Value| match v {
            Value::Number(n) => n,
            Value::Null
            | Value::Bool(_)
            | Value::String(_)
            | Value::Array(_)
            | Value::Object(_) => unreachable!(),
        };
        let read = |text: &str| from_json(&n(serde_json::from_str(text).unwrap()));
        assert_eq!(read("24.99"), Ok(d("24.99")));
        assert_eq!(read("0.29"), Ok(d("0.29")));
        assert_eq!(read("18446744073709551615"), Ok(d("18446744073709551615")));
        assert_eq!(read("-9223372036854775808"), Ok(d("-9223372036854775808")));
        assert_eq!(read("123456789012.345"), Ok(d("123456789012.345")));
        assert_eq!(read("0.1234567890123456"), Err(Inexact::TooManyDigits));
        assert_eq!(read("18446744073709551616"), Err(Inexact::TooManyDigits));
    }

    #[test]
    fn rounds_as_named() {
        let cases = [
            ("2.5", Rounding::HalfUp, "3"),
            ("-2.5", Rounding::HalfUp, "-3"),
            ("2.5", Rounding::HalfEven, "2"),
            ("3.5", Rounding::HalfEven, "4"),
            ("2.1", Rounding::Ceil, "3"),
            ("-2.1", Rounding::Floor, "-3"),
            ("249.9", Rounding::HalfUp, "250"),
        ];
        for (x, how, out) in cases {
            assert_eq!(round(d(x), 0, how), d(out), "{x} {how:?}");
        }
        assert_eq!(round(d("1.005"), 2, Rounding::HalfUp), d("1.01"));
    }

    #[test]
    fn writes_integers_as_integers() {
        assert_eq!(to_json(d("2499.00")), Value::from(2499));
        assert_eq!(to_json(d("24.5")), serde_json::json!(24.5));
        // A fraction becomes the float of its first 15 significant digits; a whole number the
        // float nearest it.
        assert_eq!(
            to_json(d("1") / d("3")),
            serde_json::json!(0.333333333333333)
        );
        assert_eq!(
            to_json(d("2") / d("3") * d("1000")),
            serde_json::json!(666.666666666667)
        );
        assert_eq!(
            to_json(d("18446744073709551616")),
            serde_json::json!(18446744073709551616.0)
        );
        assert_eq!(whole(d("250.0")), Some(250));
        assert_eq!(whole(d("249.9")), None);
    }
}
