//! Where the fetcher may go: address classes and the redirect rule.
//!
//! Every address is in one class, ordered from the open internet inwards:
//! [`AddrClass::Public`] < [`AddrClass::Private`] < [`AddrClass::Loopback`].
//! [`AddrClass::LinkLocal`] (169.254.0.0/16, fe80::/10: cloud metadata
//! services, auto-configured links) stands apart.
//!
//! The rule: the officer's URL may be anything. A redirect may not lead to a
//! link-local address, ever, nor (without `--allow-private`) to a class more
//! private than the officer's URL's. A public page can then not make warden
//! fetch an intranet or local page and seal it into disclosed evidence.
//!
//! The class is that of the address warden actually connects to, checked
//! after the name is resolved, just before connecting, on every hop (so a
//! name that resolves elsewhere the second time, "DNS rebinding", is caught).
//! Through a proxy warden never resolves the target's name (the proxy does),
//! so the class comes from the URL's host text: an IP literal is classified
//! by its address, `localhost` and `*.localhost` are loopback, a single-label
//! name (`intranet`) or one under a private-use suffix (`.local`,
//! `.internal`, `.lan`, `.home.arpa`, `.localdomain`, `.corp`) is private,
//! and any other name is public; what the name then leads to is the proxy's
//! policy.

use serde::Serialize;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use url::{Host, Url};

/// How far inside a network an address is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AddrClass {
    /// The open internet (documentation ranges included).
    Public,
    /// RFC 1918, CGNAT 100.64/10, ULA fc00::/7, other non-internet ranges.
    Private,
    /// This computer: 127/8, ::1, the unspecified address.
    Loopback,
    /// 169.254/16, fe80::/10: always refused as a redirect target.
    LinkLocal,
}

impl AddrClass {
    pub fn as_str(self) -> &'static str {
        match self {
            AddrClass::Public => "public",
            AddrClass::Private => "private",
            AddrClass::Loopback => "loopback",
            AddrClass::LinkLocal => "link-local",
        }
    }
}

/// The class of an IP address.
pub fn classify_ip(ip: IpAddr) -> AddrClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> AddrClass {
    let o = ip.octets();
    if ip.is_loopback() || o[0] == 0 {
        // 0.0.0.0/8 "this network": connecting to 0.0.0.0 reaches this host.
        return AddrClass::Loopback;
    }
    if ip.is_link_local() {
        return AddrClass::LinkLocal;
    }
    let private = ip.is_private()
        || (o[0] == 100 && (o[1] & 0xC0) == 64) // 100.64.0.0/10 CGNAT
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // 192.0.0.0/24 protocol assignments
        || (o[0] == 198 && (o[1] & 0xFE) == 18) // 198.18.0.0/15 benchmarking
        || o[0] >= 224; // multicast, reserved, broadcast
    if private {
        AddrClass::Private
    } else {
        AddrClass::Public
    }
}

fn classify_v6(ip: Ipv6Addr) -> AddrClass {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    if ip.is_loopback() || ip.is_unspecified() {
        return AddrClass::Loopback;
    }
    let s = ip.segments();
    // IPv4-compatible ::a.b.c.d (deprecated) and NAT64 64:ff9b::/96 carry an
    // IPv4 address: classify that.
    if (s[..6] == [0; 6]) || (s[..6] == [0x64, 0xff9b, 0, 0, 0, 0]) {
        let v4 = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
        return classify_v4(v4);
    }
    if (s[0] & 0xFFC0) == 0xFE80 {
        return AddrClass::LinkLocal;
    }
    let private = (s[0] & 0xFE00) == 0xFC00 // fc00::/7 unique local
        || (s[0] & 0xFFC0) == 0xFEC0 // fec0::/10 site-local (deprecated)
        || (s[0] & 0xFF00) == 0xFF00; // multicast
    if private {
        AddrClass::Private
    } else {
        AddrClass::Public
    }
}

const PRIVATE_SUFFIXES: &[&str] = &[
    ".local",
    ".internal",
    ".lan",
    ".home.arpa",
    ".localdomain",
    ".corp",
];

/// The class of a URL's host from its text alone (used through a proxy,
/// where warden does not resolve names).
pub fn classify_host(url: &Url) -> AddrClass {
    match url.host() {
        Some(Host::Ipv4(v4)) => classify_v4(v4),
        Some(Host::Ipv6(v6)) => classify_v6(v6),
        Some(Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            if d == "localhost" || d.ends_with(".localhost") {
                AddrClass::Loopback
            } else if !d.contains('.') || PRIVATE_SUFFIXES.iter().any(|s| d.ends_with(s)) {
                AddrClass::Private
            } else {
                AddrClass::Public
            }
        }
        None => AddrClass::Public,
    }
}

/// What a hop may connect to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HopPolicy {
    /// The officer's own URL: anything.
    Officer,
    /// A redirect: never link-local; nothing more private than `limit`
    /// unless `allow_private`.
    Redirect {
        limit: AddrClass,
        allow_private: bool,
    },
}

impl HopPolicy {
    /// Whether an address of class `class` may be used, and if not, why.
    pub fn check(self, class: AddrClass) -> Result<(), PolicyRefusal> {
        match self {
            HopPolicy::Officer => Ok(()),
            HopPolicy::Redirect { .. } if class == AddrClass::LinkLocal => {
                Err(PolicyRefusal::LinkLocal)
            }
            HopPolicy::Redirect {
                limit,
                allow_private,
            } => {
                if allow_private || class <= limit {
                    Ok(())
                } else {
                    Err(PolicyRefusal::MorePrivate { limit })
                }
            }
        }
    }
}

/// Why the network policy refused a redirect target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PolicyRefusal {
    #[error(
        "link-local addresses (169.254.0.0/16, fe80::/10, where cloud metadata services live) are never followed as a redirect target"
    )]
    LinkLocal,
    #[error(
        "the URL you gave is {}, and a redirect may not lead further into a private network (add --allow-private to follow it)",
        .limit.as_str()
    )]
    MorePrivate { limit: AddrClass },
}

/// A connection that the policy refused, as recorded in `capture.json`.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Refusal {
    /// The address (or, through a proxy, the host) that was refused.
    pub address: String,
    pub class: AddrClass,
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> AddrClass {
        classify_ip(s.parse().unwrap())
    }

    #[test]
    fn classes() {
        for p in ["198.51.100.7", "8.8.8.8", "2001:db8::1", "100.128.0.1"] {
            assert_eq!(c(p), AddrClass::Public, "{p}");
        }
        for p in [
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "100.64.0.1",
            "100.127.255.255",
            "fc00::1",
            "fd12::1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
        ] {
            assert_eq!(c(p), AddrClass::Private, "{p}");
        }
        for p in [
            "127.0.0.1",
            "127.9.9.9",
            "::1",
            "0.0.0.0",
            "::",
            "::ffff:127.0.0.1",
        ] {
            assert_eq!(c(p), AddrClass::Loopback, "{p}");
        }
        for p in ["169.254.169.254", "fe80::1", "::ffff:169.254.1.1"] {
            assert_eq!(c(p), AddrClass::LinkLocal, "{p}");
        }
    }

    #[test]
    fn names_through_a_proxy() {
        let h = |s: &str| classify_host(&Url::parse(s).unwrap());
        assert_eq!(h("http://localhost:8/"), AddrClass::Loopback);
        assert_eq!(h("http://a.localhost/"), AddrClass::Loopback);
        assert_eq!(h("http://intranet/"), AddrClass::Private);
        assert_eq!(h("http://files.corp/"), AddrClass::Private);
        assert_eq!(h("http://[fe80::1]/"), AddrClass::LinkLocal);
        assert_eq!(h("https://marketplace.example/"), AddrClass::Public);
    }

    #[test]
    fn redirect_rule() {
        let r = |limit, allow_private| HopPolicy::Redirect {
            limit,
            allow_private,
        };
        assert!(r(AddrClass::Public, false).check(AddrClass::Public).is_ok());
        assert!(
            r(AddrClass::Public, false)
                .check(AddrClass::Private)
                .is_err()
        );
        assert!(
            r(AddrClass::Public, false)
                .check(AddrClass::Loopback)
                .is_err()
        );
        assert!(
            r(AddrClass::Private, false)
                .check(AddrClass::Loopback)
                .is_err()
        );
        assert!(
            r(AddrClass::Loopback, false)
                .check(AddrClass::Private)
                .is_ok()
        );
        assert!(
            r(AddrClass::Public, true)
                .check(AddrClass::Loopback)
                .is_ok()
        );
        assert!(
            r(AddrClass::Loopback, true)
                .check(AddrClass::LinkLocal)
                .is_err()
        );
        assert!(HopPolicy::Officer.check(AddrClass::LinkLocal).is_ok());
    }
}
