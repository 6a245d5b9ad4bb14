//! Query-string parameters (`?page=2&dry_run=true`), decoded as HTML forms encode them: `+` is a
//! space, `%XX` a byte, and bytes that are not UTF-8 become U+FFFD.

use crate::vocabulary::vocabulary;

vocabulary! {
    /// What `?include=` may add to each item of an incoming delivery history: members the
    /// single-delivery answer carries and the list leaves out to stay light.
    pub enum DeliveryInclude {
        /// `payload`, `payload_truncated`, `payload_text` and `payload_expired`.
        Payload = "payload",
    }
}

/// The first value of `name` in `query` (the text after `?`, without the `#fragment`).
pub fn param(query: &str, name: &str) -> Option<String> {
    raw_pairs(query)
        .find(|(key, _)| decode(key) == name)
        .map(|(_, value)| decode(value))
}

/// Every `key=value` pair of `query`, in order, decoded as [`param`] decodes them (a bare `key`
/// has the value "").
pub fn pairs(query: &str) -> Vec<(String, String)> {
    raw_pairs(query)
        .map(|(key, value)| (decode(key), decode(value)))
        .collect()
}

fn raw_pairs(query: &str) -> impl Iterator<Item = (&str, &str)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
}

fn decode(text: &str) -> String {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        rest = tail;
        match b {
            b'+' => bytes.push(b' '),
            b'%' => match rest.get(..2).and_then(hex_byte) {
                Some(byte) => {
                    bytes.push(byte);
                    rest = rest.get(2..).unwrap_or_default();
                }
                None => bytes.push(b'%'),
            },
            _ => bytes.push(b),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn hex_byte(two: &[u8]) -> Option<u8> {
    std::str::from_utf8(two)
        .ok()
        .and_then(|h| u8::from_str_radix(h, 16).ok())
        .filter(|_| two.iter().all(u8::is_ascii_hexdigit))
}

#[cfg(test)]
mod tests {
    use super::param;

    #[test]
    fn finds_the_first_value_decoded() {
        let q = "page=2&dry_run=true&page=3&q=a+b%20c%2B&empty=&flag&%70er_page=5";
        assert_eq!(param(q, "page").as_deref(), Some("2"));
        assert_eq!(param(q, "dry_run").as_deref(), Some("true"));
        assert_eq!(param(q, "q").as_deref(), Some("a b c+"));
        assert_eq!(param(q, "empty").as_deref(), Some(""));
        assert_eq!(param(q, "flag").as_deref(), Some(""));
        assert_eq!(param(q, "per_page").as_deref(), Some("5"));
        assert_eq!(param(q, "missing"), None);
        assert_eq!(param("", "page"), None);
    }

    #[test]
    fn pairs_are_all_decoded_in_order() {
        let q = "a=1&&b&a=2&c%5Bd%5D=x+y&dry_run=true";
        let got: Vec<(String, String)> = super::pairs(q);
        let want = [
            ("a", "1"),
            ("b", ""),
            ("a", "2"),
            ("c[d]", "x y"),
            ("dry_run", "true"),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        assert_eq!(got, want);
        assert!(super::pairs("").is_empty());
    }

    #[test]
    fn keeps_malformed_escapes_and_replaces_bad_utf8() {
        assert_eq!(param("a=%zz%4", "a").as_deref(), Some("%zz%4"));
        assert_eq!(param("a=%+1", "a").as_deref(), Some("% 1"));
        assert_eq!(param("a=%ff", "a").as_deref(), Some("\u{fffd}"));
        assert_eq!(param("a=%C3%A9", "a").as_deref(), Some("é"));
    }
}
