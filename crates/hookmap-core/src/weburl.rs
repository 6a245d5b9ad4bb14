//! A strict reader of absolute http(s) URLs: the addresses the platform fetches (subscriber URLs)
//! or shows (the bot's avatar).
//!
//! It accepts only URLs that every WHATWG parser (the runtime's `fetch` among them) reads the same
//! way: ASCII, no credentials, no backslashes, and a host that is a plain DNS name, a dotted-quad
//! IPv4 address or a bracketed IPv6 address. Anything else is refused, not interpreted: a checker
//! that reads a URL differently from the fetcher is how address filters are bypassed
//! (`https://0x7f.1/` is 127.0.0.1 to a browser). Not using the `url` crate also keeps its IDNA
//! tables out of the worker, which is loaded on every cold start.

use std::net::{Ipv4Addr, Ipv6Addr};

/// The parts of a URL that decide where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebUrl {
    /// `http` or `https`, lowercase.
    pub scheme: &'static str,
    pub host: Host,
    pub port: Option<u16>,
}

/// The host, as the fetcher will read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A DNS name, lowercase, as written (a trailing dot kept).
    Domain(String),
    Ipv4(Ipv4Addr),
    Ipv6(Ipv6Addr),
}

/// Reads `text`; the error says, for a human, what is wrong with it.
pub fn parse(text: &str) -> Result<WebUrl, String> {
    if let Some(c) = text.chars().find(|c| !c.is_ascii_graphic()) {
        return Err(format!(
            "contains {c:?}: percent-encode spaces, control and non-ASCII characters, \
             and write international host names in their xn-- form"
        ));
    }
    if text.contains('\\') {
        return Err("contains a backslash".into());
    }
    let (scheme, rest) = text
        .split_once("://")
        .ok_or_else(|| format!("{text:?} is not an absolute URL (scheme://host/path)"))?;
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "http" => "http",
        "https" => "https",
        _ => return Err(format!("the scheme {scheme:?} is not http or https")),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err("credentials in the URL are not allowed".into());
    }
    let (host, port) = split_port(authority)?;
    Ok(WebUrl {
        scheme,
        host: read_host(host)?,
        port,
    })
}

fn split_port(authority: &str) -> Result<(&str, Option<u16>), String> {
    // An IPv6 host has colons of its own: the port can only follow its closing bracket.
    let colon = if authority.starts_with('[') {
        authority
            .find(']')
            .and_then(|end| authority.get(end..)?.find(':').map(|i| i + end))
    } else {
        authority.find(':')
    };
    let Some(colon) = colon else {
        return Ok((authority, None));
    };
    let (host, port) = (
        authority.get(..colon).unwrap_or_default(),
        authority.get(colon + 1..).unwrap_or_default(),
    );
    let number = (port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit()))
        .then(|| port.parse::<u16>().ok())
        .flatten()
        .filter(|&p| p > 0)
        .ok_or_else(|| format!("the port {port:?} is not a number from 1 to 65535"))?;
    Ok((host, Some(number)))
}

fn read_host(host: &str) -> Result<Host, String> {
    if host.is_empty() {
        return Err("the URL has no host".into());
    }
    if let Some(inner) = host.strip_prefix('[') {
        return inner
            .strip_suffix(']')
            .and_then(|ip| ip.parse::<Ipv6Addr>().ok())
            .map(Host::Ipv6)
            .ok_or_else(|| format!("{host:?} is not an IPv6 address"));
    }
    if let Ok(ip) = host.parse::<Ipv4Addr>() {
        return Ok(Host::Ipv4(ip));
    }
    let name = host.to_ascii_lowercase();
    let labels: Vec<&str> = name.strip_suffix('.').unwrap_or(&name).split('.').collect();
    if name.len() > 253 || labels.iter().any(|l| !is_label(l)) {
        return Err(format!(
            "{host:?} is not a host name (letters, digits and hyphens, dot-separated)"
        ));
    }
    // A WHATWG parser reads a name whose last label is a number as an IPv4 address in one of its
    // legacy forms (127.1, 2130706433, 0x7f.1): only the dotted quad is accepted.
    if labels.last().is_some_and(|l| is_number(l)) {
        return Err(format!(
            "{host:?} is read as an IP address: write IPv4 addresses as four decimal numbers"
        ));
    }
    Ok(Host::Domain(name))
}

fn is_label(label: &str) -> bool {
    (1..=63).contains(&label.len())
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

fn is_number(label: &str) -> bool {
    label.bytes().all(|b| b.is_ascii_digit())
        || label
            .strip_prefix("0x")
            .is_some_and(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn host(text: &str) -> Host {
        parse(text).unwrap().host
    }

    #[test]
    fn reads_scheme_host_and_port() {
        let url = parse("HTTPS://Hooks.Example.COM:8443/a/b?c=d#e").unwrap();
        assert_eq!(url.scheme, "https");
        assert_eq!(url.host, Host::Domain("hooks.example.com".into()));
        assert_eq!(url.port, Some(8443));
        assert_eq!(parse("http://example.com").unwrap().port, None);
        assert_eq!(parse("http://example.com?x").unwrap().port, None);
        assert_eq!(
            host("https://93.184.216.34/x"),
            Host::Ipv4([93, 184, 216, 34].into())
        );
        assert_eq!(host("https://[::1]:9000/"), Host::Ipv6(Ipv6Addr::LOCALHOST));
        assert_eq!(
            host("https://localhost./"),
            Host::Domain("localhost.".into())
        );
        assert_eq!(
            host("https://xn--bcher-kva.example/"),
            Host::Domain("xn--bcher-kva.example".into())
        );
    }

    #[test]
    fn refuses_what_parsers_read_differently() {
        for (text, why) in [
            ("https://127.1/", "IP address"),
            ("https://2130706433/", "IP address"),
            ("https://0x7f.0.0.1/", "IP address"),
            ("https://010.0.0.1/", "IP address"),
            ("https://1.2.3.4./", "IP address"),
            ("https://example.0x1/", "IP address"),
            ("https://exa%6dple.com/", "not a host name"),
            ("https://bücher.example/", "xn--"),
            ("https://example.com/a b", "percent-encode"),
            ("https://example.com\\@evil.com/", "backslash"),
            ("https://user:pw@example.com/", "credentials"),
            ("https://example.com@10.0.0.1/", "credentials"),
            ("https://example.com:0/", "port"),
            ("https://example.com:65536/", "port"),
            ("https://example.com:/", "port"),
            ("https://example.com:+80/", "port"),
            ("https://[fe80::1%25eth0]/", "IPv6"),
            ("https://[::1/", "IPv6"),
            ("https:///x", "no host"),
            ("https://-bad.example/", "not a host name"),
            ("https://a..b/", "not a host name"),
            ("javascript://example.com/", "scheme"),
            ("example.com/hooks", "absolute URL"),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains(why), "{text}: {e}");
        }
    }
}
