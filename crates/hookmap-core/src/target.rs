//! Where outgoing webhooks may be sent: https URLs of public hosts. A subscriber must not be able to
//! point the platform at its own network: private, loopback, link-local, metadata and other
//! special-purpose addresses are refused, and so are ports other than https's (443 and 8443). Plain
//! http is allowed only to loopback, and only when the deployment says so (local development and
//! tests), which also frees the port.
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
    // Only the https ports, so that a public host cannot be made to talk to its other services
    // (mail, databases, admin consoles) with our signed requests. Development (loopback receivers
    // on any port) is exempt, and so are the end-to-end tests, which run with that setting.
    if let Some(port) = url
        .port
        .filter(|p| !allow_http_loopback && !matches!(p, 443 | 8443))
    {
        return Err(bad(format!(
            "the port {port} is not allowed; use 443 or 8443 (or no port)"
        )));
    }
    match &url.host {
        Host::Domain(name) if is_internal_name(name) => {
            Err(bad(format!("{name:?} is an internal host name")))
        }
        Host::Ipv4(ip) if special_v4(*ip) => Err(bad(format!("{ip} is not a public address"))),
        Host::Ipv6(ip) if special_v6(*ip) => Err(bad(format!("{ip} is not a public address"))),
        Host::Domain(_) | Host::Ipv4(_) | Host::Ipv6(_) => Ok(url),
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
    if let Some(v4) = ip.to_ipv4_mapped() {
        return special_v4(v4);
    }
    let [a, b, ..] = ip.segments();
    // Public hosts live only in global unicast, 2000::/3. Outside it are the forms that embed an
    // IPv4 address (the deprecated IPv4-compatible ::/96, SIIT's ::ffff:0:0/96, NAT64's
    // 64:ff9b::/96 and 64:ff9b:1::/48, each of which reaches private addresses as well as public
    // ones), unique local, site-local, link-local, multicast, loopback and unspecified: a list of
    // ranges to refuse would miss the next one.
    (a & 0xe000) != 0x2000
        // IETF protocol assignments, Teredo's 2001::/32 first: a Teredo address carries its
        // client's IPv4 address, and the relay it goes through is not ours to choose.
        || (a == 0x2001 && b < 0x0200)
        || a == 0x2002 // 6to4: the next 32 bits are any IPv4 address, private ones included
        || (a == 0x2001 && b == 0x0db8) // documentation
        || (a & 0xfff0) == 0x3ff0 // documentation, 3fff::/20
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
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

    /// IPv6 forms that carry an IPv4 address or are not global unicast. Each range has an address
    /// inside it that embeds a private or public IPv4 address (the whole range is refused either
    /// way), and, where the neighbouring space is public, one just outside that passes.
    #[test]
    fn ipv6_ranges_that_embed_ipv4_or_are_not_global_are_refused() {
        let refused = [
            ("::a00:1", "IPv4-compatible ::10.0.0.1 (deprecated ::/96)"),
            ("::7f00:1", "::127.0.0.1"),
            ("::5db8:d822", "::93.184.216.34: public, still refused"),
            ("::ffff:0:a9fe:a9fe", "SIIT ::ffff:0:169.254.169.254"),
            ("::ffff:0:5db8:d822", "SIIT of a public address"),
            ("2002:a00:1::", "6to4 of 10.0.0.1"),
            ("2002:a9fe:a9fe::1", "6to4 of the metadata address"),
            (
                "2002:5db8:d822::1",
                "6to4 of a public address: the relay decides",
            ),
            (
                "2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                "last of 2002::/16",
            ),
            ("2001::1", "Teredo 2001::/32"),
            (
                "2001:0:4136:e378:8000:63bf:3fff:fdd2",
                "a Teredo address (its client hidden)",
            ),
            ("2001:0:ffff:ffff:ffff:ffff:ffff:ffff", "last of 2001::/32"),
            ("fec0::1", "site-local fec0::/10"),
            ("feff:ffff::1", "last of fec0::/10"),
            ("2001:2::1", "benchmarking, also in 2001::/23"),
            (
                "2001:1ff:ffff::1",
                "last of 2001::/23, the IETF protocol assignments",
            ),
            ("64:ff9b:1::a00:1", "local-use NAT64 64:ff9b:1::/48"),
            ("100::1", "discard-only 100::/64"),
            ("3fff::1", "documentation 3fff::/20"),
            ("4000::1", "not yet allocated: global unicast is 2000::/3"),
        ];
        for (ip, why) in refused {
            let url = format!("https://[{ip}]/x");
            let e = check(&url, false).expect_err(why);
            assert_eq!(
                (e.code(), e.location()),
                ("invalid_url", Some("url")),
                "{url}: {why}"
            );
            assert!(e.message().contains("not a public address"), "{url}: {e}");
        }
        for (ip, why) in [
            (
                "2001:200::1",
                "just past 2001::/23 (Teredo's /32 is its first part)",
            ),
            ("2001:4860:4860::8888", "a public 2001:: address"),
            ("2003::1", "just past 6to4"),
            ("2001:ffff::1", "just before 6to4"),
            (
                "::ffff:5db8:d822",
                "IPv4-mapped public: the mapped address decides",
            ),
        ] {
            let url = format!("https://[{ip}]/x");
            assert!(check(&url, false).is_ok(), "{url}: {why}");
        }
    }

    #[test]
    fn production_allows_only_the_https_ports() {
        for url in [
            "https://example.com/x",
            "https://example.com:443/x",
            "https://example.com:8443/x",
        ] {
            assert!(check(url, false).is_ok(), "{url}");
        }
        for url in [
            "https://example.com:80/x",
            "https://example.com:22/x",
            "https://example.com:6379/x",
            "https://93.184.216.34:8080/x",
            "https://[2606:2800:220:1:248:1893:25c8:1946]:444/x",
        ] {
            let e = check(url, false).unwrap_err();
            assert_eq!(
                (e.code(), e.location()),
                ("invalid_url", Some("url")),
                "{url}"
            );
            assert!(e.message().contains("443 or 8443"), "{url}: {e}");
            // Development (loopback receivers on any port) leaves the port free.
            assert!(check(url, true).is_ok(), "{url}");
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
