//! Where outgoing webhooks may be sent: https URLs of public hosts. A subscriber must not be able to
//! point the platform at its own network: private, loopback, link-local, metadata and other
//! special-purpose addresses are refused. Plain http is allowed only to loopback, and only when the
//! deployment says so (local development and tests).
//!
//! Host names are checked as written; the edge cannot pin DNS answers, so a public name that
//! resolves to a private address is stopped by the platform's network, not here.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::weburl::{self, Host, WebUrl};

use crate::error::{Error, ErrorKind, Result};

/// Longest subscriber URL.
pub const MAX_URL_LEN: usize = 2000;

/// Checks a subscriber URL; `allow_http_loopback` is the development setting.
pub fn check(text: &str, allow_http_loopback: bool) -> Result<WebUrl> {
    let bad = |why: String| Error::new(ErrorKind::InvalidUrl, format!("url: {why}")).at("url");
    if text.len() > MAX_URL_LEN {
        return Err(bad(format!("longer than {MAX_URL_LEN} characters")));
    }
    let url = weburl::parse(text).map_err(bad)?;
    let loopback = match &url.host {
        Host::Domain(name) => is_local_name(name),
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    };
    match url.scheme {
        "https" if !loopback => {}
        _ if loopback && allow_http_loopback => return Ok(url),
        _ if loopback => return Err(bad("loopback addresses are not allowed".into())),
        _ => {
            return Err(bad(
                "use https (http is allowed only to loopback in development)".into(),
            ))
        }
    }
    match &url.host {
        Host::Domain(name) if is_internal_name(name) => {
            Err(bad(format!("{name:?} is an internal host name")))
        }
        Host::Ipv4(ip) if special_v4(*ip) => Err(bad(format!("{ip} is not a public address"))),
        Host::Ipv6(ip) if special_v6(*ip) => Err(bad(format!("{ip} is not a public address"))),
        _ => Ok(url),
    }
}

fn is_local_name(name: &str) -> bool {
    let name = name.trim_end_matches('.');
    name == "localhost" || name.ends_with(".localhost")
}

fn is_internal_name(name: &str) -> bool {
    let name = name.trim_end_matches('.');
    name == "metadata.google.internal"
        || [".internal", ".local", ".lan", ".home.arpa"]
            .iter()
            .any(|suffix| name.ends_with(suffix))
        || !name.contains('.')
}

fn special_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local() // includes 169.254.169.254, the cloud metadata address
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240 // reserved
}

fn special_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    if let Some(v4) = ip.to_ipv4_mapped() {
        return special_v4(v4);
    }
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || first == 0x2001 && ip.segments()[1] == 0x0db8 // documentation
        || first == 0x0064 && ip.segments()[1] == 0xff9b // NAT64 of any IPv4, private ones included
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn public_https_urls_pass() {
        for url in [
            "https://example.com/hooks",
            "https://hooks.example.com:8443/a?b=c",
            "https://93.184.216.34/x",
            "https://[2606:2800:220:1:248:1893:25c8:1946]/x",
        ] {
            assert!(check(url, false).is_ok(), "{url}");
        }
    }

    #[test]
    fn private_and_special_targets_are_refused() {
        for url in [
            "http://example.com/hooks",
            "ftp://example.com/x",
            "https://user:pw@example.com/",
            "https://10.0.0.5/",
            "https://172.16.3.1/",
            "https://192.168.1.1/",
            "https://169.254.169.254/latest/meta-data",
            "https://metadata.google.internal/computeMetadata/v1/",
            "https://100.64.0.1/",
            "https://0.0.0.0/",
            "https://[::1]/",
            "https://[fd00::1]/",
            "https://[fe80::1]/",
            "https://[::ffff:10.0.0.1]/",
            "https://[64:ff9b::a00:1]/",
            "https://intranet/",
            "https://printer.local/",
            "https://localhost/",
            "http://127.0.0.1:9000/",
            "not a url",
        ] {
            let e = check(url, false).unwrap_err();
            assert_eq!(
                (e.code(), e.location()),
                ("invalid_url", Some("url")),
                "{url}"
            );
        }
    }

    #[test]
    fn loopback_http_only_with_the_development_setting() {
        for url in [
            "http://127.0.0.1:9000/hook",
            "http://localhost:9000/",
            "http://[::1]:9000/",
        ] {
            assert!(check(url, true).is_ok(), "{url}");
            assert!(check(url, false).is_err(), "{url}");
        }
        assert!(check("http://10.0.0.1/", true).is_err());
        assert!(check("http://example.com/", true).is_err());
    }
}
