//! Instants as storage holds them: RFC 3339 in UTC with milliseconds (`2026-11-29T22:00:00.123Z`,
//! what JavaScript's `toISOString` writes). Stored times compare as text, so a time a caller sends
//! (`?since=`) is first brought to that exact form; otherwise `...00Z` would sort after
//! `...00.123Z`.

/// `text` as a stored instant, or `None` when it is not `YYYY-MM-DD` or
/// `YYYY-MM-DDTHH:MM:SS[.fraction]Z`. A date alone is its midnight; a fraction is cut to
/// milliseconds.
pub fn canonical(text: &str) -> Option<String> {
    let (date, time) = match text.split_once('T') {
        Some((date, time)) => (date, Some(time)),
        None => (text, None),
    };
    let date = fields(date, '-', &[(4, 0, 9999), (2, 1, 12), (2, 1, 31)])?;
    let (clock, millis) = match time {
        None => ("00:00:00".to_owned(), "000".to_owned()),
        Some(time) => {
            let time = time.strip_suffix('Z')?;
            let (clock, fraction) = match time.split_once('.') {
                Some((clock, fraction)) => (clock, fraction),
                None => (time, ""),
            };
            let digits = fraction.len() <= 9 && fraction.bytes().all(|b| b.is_ascii_digit());
            if !digits || (time.contains('.') && fraction.is_empty()) {
                return None;
            }
            let millis = format!("{fraction:0<3}").chars().take(3).collect();
            (
                fields(clock, ':', &[(2, 0, 23), (2, 0, 59), (2, 0, 59)])?,
                millis,
            )
        }
    };
    Some(format!("{date}T{clock}.{millis}Z"))
}

/// `text` as `sep`-separated numbers of the given widths and ranges, unchanged when it is.
fn fields(text: &str, sep: char, spec: &[(usize, u32, u32)]) -> Option<String> {
    let parts: Vec<&str> = text.split(sep).collect();
    let valid = parts.len() == spec.len()
        && parts.iter().zip(spec).all(|(part, &(width, low, high))| {
            part.len() == width
                && part.bytes().all(|b| b.is_ascii_digit())
                && part.parse::<u32>().is_ok_and(|n| (low..=high).contains(&n))
        });
    valid.then(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_accepted_form_becomes_the_stored_one() {
        for (sent, stored) in [
            ("2026-11-29", "2026-11-29T00:00:00.000Z"),
            ("2026-11-29T22:00:00Z", "2026-11-29T22:00:00.000Z"),
            ("2026-11-29T22:00:00.1Z", "2026-11-29T22:00:00.100Z"),
            ("2026-11-29T22:00:00.123456Z", "2026-11-29T22:00:00.123Z"),
        ] {
            assert_eq!(canonical(sent).as_deref(), Some(stored), "{sent}");
        }
        // The stored form sorts where the instant is: text comparison is time comparison.
        assert!(canonical("2026-11-29T22:00:00Z") < Some("2026-11-29T22:00:00.123Z".to_owned()));
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            "",
            "yesterday",
            "2026-13-01",
            "2026-11-32",
            "2026-11-29T24:00:00Z",
            "2026-11-29T22:00:00",
            "2026-11-29T22:00:00+01:00",
            "2026-11-29T22:00:00.Z",
            "2026-11-29T22:00Z",
            "26-11-29",
            "2026-11-29T22:00:00.1234567890Z",
            "２０２６-11-29",
        ] {
            assert_eq!(canonical(bad), None, "{bad}");
        }
    }
}
