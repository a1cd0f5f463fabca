//! Which addresses a link found in a feed may reach.
//!
//! An article link is a stranger's choice: a public page can redirect to
//! `http://169.254.169.254/` or `http://127.0.0.1:8080/admin`, and whatever answers would
//! land in the store and in an email. So every hop of a link (the first URL and each
//! redirect) passes [`check_hop`], and every name is resolved through a resolver that
//! keeps only global addresses ([`refused`] is `None`). Only `http` and `https` are
//! fetched.
//!
//! The ranges follow the IANA special-purpose registries: everything that is not
//! globally reachable is refused, including IPv6 forms that carry an IPv4 address
//! (IPv4-mapped and IPv4-compatible always; NAT64 and 6to4 when the IPv4 inside is
//! refused).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::Url;

/// Why `ip` may not be fetched, or `None` when it is a global address.
pub fn refused(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refused_v4(v4),
        IpAddr::V6(v6) => refused_v6(v6),
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
    (u32::from(ip) & mask) == (u32::from(Ipv4Addr::from(net)) & mask)
}

fn refused_v4(ip: Ipv4Addr) -> Option<&'static str> {
    const RANGES: &[([u8; 4], u32, &str)] = &[
        ([0, 0, 0, 0], 8, "\"this network\" (0.0.0.0/8)"),
        ([10, 0, 0, 0], 8, "private (10.0.0.0/8)"),
        ([100, 64, 0, 0], 10, "carrier-grade NAT (100.64.0.0/10)"),
        ([127, 0, 0, 0], 8, "loopback (127.0.0.0/8)"),
        ([169, 254, 0, 0], 16, "link-local (169.254.0.0/16)"),
        ([172, 16, 0, 0], 12, "private (172.16.0.0/12)"),
        (
            [192, 0, 0, 0],
            24,
            "IETF protocol assignments (192.0.0.0/24)",
        ),
        ([192, 0, 2, 0], 24, "documentation (192.0.2.0/24)"),
        ([192, 88, 99, 0], 24, "6to4 relay anycast (192.88.99.0/24)"),
        ([192, 168, 0, 0], 16, "private (192.168.0.0/16)"),
        ([198, 18, 0, 0], 15, "benchmarking (198.18.0.0/15)"),
        ([198, 51, 100, 0], 24, "documentation (198.51.100.0/24)"),
        ([203, 0, 113, 0], 24, "documentation (203.0.113.0/24)"),
        ([224, 0, 0, 0], 4, "multicast (224.0.0.0/4)"),
        ([255, 255, 255, 255], 32, "broadcast (255.255.255.255)"),
        ([240, 0, 0, 0], 4, "reserved (240.0.0.0/4)"),
    ];
    RANGES
        .iter()
        .find(|(net, prefix, _)| in_v4(ip, *net, *prefix))
        .map(|(_, _, why)| *why)
}

fn in_v6(ip: Ipv6Addr, net: [u16; 8], prefix: u32) -> bool {
    let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
    (u128::from(ip) & mask) == (u128::from(Ipv6Addr::from(net)) & mask)
}

fn refused_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let bits = u128::from(ip);
    if ip.is_unspecified() {
        return Some("unspecified (::)");
    }
    if ip.is_loopback() {
        return Some("loopback (::1)");
    }
    // The low 32 bits as IPv4, for the forms that embed one there.
    let low_v4 = Ipv4Addr::from((bits & 0xffff_ffff) as u32);
    if in_v6(ip, [0, 0, 0, 0, 0, 0xffff, 0, 0], 96) {
        return Some("IPv4-mapped (::ffff:0:0/96)");
    }
    if in_v6(ip, [0; 8], 96) {
        return Some("IPv4-compatible (::/96)");
    }
    if in_v6(ip, [0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96) {
        return refused_v4(low_v4).map(|_| "NAT64 (64:ff9b::/96) of a non-global IPv4 address");
    }
    if in_v6(ip, [0x2002, 0, 0, 0, 0, 0, 0, 0], 16) {
        let v4 = Ipv4Addr::from(((bits >> 80) & 0xffff_ffff) as u32);
        return refused_v4(v4).map(|_| "6to4 (2002::/16) of a non-global IPv4 address");
    }
    const RANGES: &[([u16; 8], u32, &str)] = &[
        (
            [0x64, 0xff9b, 1, 0, 0, 0, 0, 0],
            48,
            "local-use NAT64 (64:ff9b:1::/48)",
        ),
        ([0x100, 0, 0, 0, 0, 0, 0, 0], 64, "discard-only (100::/64)"),
        ([0x2001, 0, 0, 0, 0, 0, 0, 0], 32, "Teredo (2001::/32)"),
        (
            [0x2001, 2, 0, 0, 0, 0, 0, 0],
            48,
            "benchmarking (2001:2::/48)",
        ),
        (
            [0x2001, 0xdb8, 0, 0, 0, 0, 0, 0],
            32,
            "documentation (2001:db8::/32)",
        ),
        (
            [0x3fff, 0, 0, 0, 0, 0, 0, 0],
            20,
            "documentation (3fff::/20)",
        ),
        ([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7, "unique-local (fc00::/7)"),
        ([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10, "link-local (fe80::/10)"),
        ([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10, "site-local (fec0::/10)"),
        ([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, "multicast (ff00::/8)"),
    ];
    RANGES
        .iter()
        .find(|(net, prefix, _)| in_v6(ip, *net, *prefix))
        .map(|(_, _, why)| *why)
}

/// Why one hop of a link may not be fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HopError {
    #[error("refused {url}: only http and https links are fetched")]
    Scheme { url: String },
    #[error("refused {url}: {host} is a {why} address (set http.allow_private = true to allow)")]
    Address {
        url: String,
        host: String,
        why: &'static str,
    },
    #[error("refused {url}: it has no host")]
    NoHost { url: String },
}

/// Checks one hop before it is requested: the scheme, an IP-literal host, and the
/// `localhost` names that never leave the machine. Other names are checked when they
/// are resolved (see [`PublicOnly`](super::PublicOnly)).
pub fn check_hop(url: &Url) -> Result<(), HopError> {
    check_scheme(url)?;
    let address = |host: String, why| HopError::Address {
        url: url.to_string(),
        host,
        why,
    };
    match url.host() {
        Some(url::Host::Ipv4(ip)) => match refused_v4(ip) {
            Some(why) => Err(address(ip.to_string(), why)),
            None => Ok(()),
        },
        Some(url::Host::Ipv6(ip)) => match refused_v6(ip) {
            Some(why) => Err(address(ip.to_string(), why)),
            None => Ok(()),
        },
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            if d == "localhost" || d.ends_with(".localhost") {
                Err(address(d, "loopback (localhost)"))
            } else {
                Ok(())
            }
        }
        None => Err(HopError::NoHost {
            url: url.to_string(),
        }),
    }
}

/// Only `http` and `https`, for every hop, trusted or not.
pub fn check_scheme(url: &Url) -> Result<(), HopError> {
    match url.scheme() {
        "http" | "https" => Ok(()),
        _ => Err(HopError::Scheme {
            url: url.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    /// One address from each refused range, with the word its reason must contain.
    pub const REFUSED: &[(&str, &str)] = &[
        ("0.1.2.3", "this network"),
        ("0.0.0.0", "this network"),
        ("10.1.2.3", "private"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("100.127.255.254", "carrier-grade NAT"),
        ("127.0.0.1", "loopback"),
        ("127.255.255.254", "loopback"),
        ("169.254.169.254", "link-local"),
        ("172.16.0.1", "private"),
        ("172.31.255.255", "private"),
        ("192.0.0.170", "IETF"),
        ("192.0.2.1", "documentation"),
        ("192.88.99.1", "6to4 relay"),
        ("192.168.1.1", "private"),
        ("198.18.0.1", "benchmarking"),
        ("198.19.255.255", "benchmarking"),
        ("198.51.100.7", "documentation"),
        ("203.0.113.9", "documentation"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "broadcast"),
        ("::", "unspecified"),
        ("::1", "loopback"),
        ("fc00::1", "unique-local"),
        ("fd12:3456::1", "unique-local"),
        ("fe80::1", "link-local"),
        ("febf::1", "link-local"),
        ("fec0::1", "site-local"),
        ("ff02::1", "multicast"),
        ("2001:db8::1", "documentation"),
        ("3fff::1", "documentation"),
        ("::ffff:127.0.0.1", "IPv4-mapped"),
        ("::ffff:8.8.8.8", "IPv4-mapped"),
        ("::127.0.0.1", "IPv4-compatible"),
        ("::10.0.0.1", "IPv4-compatible"),
        ("64:ff9b::7f00:1", "NAT64"),
        ("64:ff9b::a9fe:a9fe", "NAT64"),
        ("64:ff9b:1::1", "local-use NAT64"),
        ("2002:7f00:1::", "6to4"),
        ("2002:a00:1::1", "6to4"),
        ("2002:c0a8:101::1", "6to4"),
        ("100::1", "discard"),
        ("2001::1", "Teredo"),
        ("2001:2::1", "benchmarking"),
    ];

    #[test]
    fn every_non_global_range_is_refused() {
        for (addr, word) in REFUSED {
            let why = refused(ip(addr)).unwrap_or_else(|| panic!("{addr} must be refused"));
            assert!(why.contains(word), "{addr}: {why:?} should say {word:?}");
        }
    }

    #[test]
    fn global_addresses_pass() {
        for addr in [
            "8.8.8.8",
            "1.1.1.1",
            "11.0.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "151.101.1.1",
            "172.15.255.255",
            "172.32.0.1",
            "192.0.1.1",
            "198.17.255.255",
            "198.20.0.1",
            "223.255.255.255",
            "2a00:1450::1",
            "2606:4700::1111",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert_eq!(refused(ip(addr)), None, "{addr} is global");
        }
    }

    #[test]
    fn hops_are_checked_by_scheme_literal_and_name() {
        let hop = |s: &str| check_hop(&Url::parse(s).expect("url"));
        for (addr, word) in REFUSED {
            let host = if addr.contains(':') {
                format!("[{addr}]")
            } else {
                addr.to_string()
            };
            let e = hop(&format!("http://{host}:8080/x")).expect_err(addr);
            assert!(e.to_string().contains(word), "{addr}: {e}");
            assert!(e.to_string().contains("http.allow_private"), "{e}");
        }
        // Other spellings of an IPv4 literal are normalised by the URL parser first.
        for odd in [
            "http://2130706433/",
            "http://0x7f.1/",
            "http://017700000001/",
            "http://127.1/",
        ] {
            let e = hop(odd).expect_err(odd);
            assert!(e.to_string().contains("loopback"), "{odd}: {e}");
        }
        assert!(hop("http://localhost:9/").is_err());
        assert!(hop("http://a.b.localhost./").is_err());
        assert!(matches!(
            hop("file:///etc/passwd"),
            Err(HopError::Scheme { .. })
        ));
        assert!(matches!(
            hop("ftp://example.org/x"),
            Err(HopError::Scheme { .. })
        ));
        assert!(hop("https://example.org/a").is_ok());
        assert!(hop("http://11.0.0.1:8080/a").is_ok());
        assert!(hop("http://[2a00:1450::1]/a").is_ok());
    }
}
