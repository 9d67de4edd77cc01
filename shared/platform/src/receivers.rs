//! Where the system may send outbound requests on a partner's behalf
//! (webhook receivers): an `https://` URL whose host resolves only to
//! public addresses. Loopback, private (RFC 1918, CGNAT, unique-local),
//! link-local, multicast, reserved and cloud metadata addresses
//! (169.254.169.254, fd00:ec2::254) are refused, including when they hide
//! in an IPv4-mapped, IPv4-compatible, IPv4-translated, NAT64 or 6to4 IPv6
//! address; Teredo and local-use NAT64 addresses, whose IPv4 host cannot
//! be told from the address alone, are refused whole. So a partner cannot
//! make the backend call into its own network (SSRF).
//!
//! The dev server alone may allow plain `http://` and loopback receivers
//! (`Config::webhook_local_receivers`), so a developer can receive
//! webhooks on their own machine; every other refusal holds even then.
//!
//! The checks here need no network: [`check_url`] runs when a URL is saved
//! (literal addresses only) and [`refusal`] on every address the host
//! resolves to at delivery time.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::Url;

/// Longest receiver URL accepted.
pub const MAX_URL_CHARS: usize = 2048;

/// Why an address may not receive a request, in words for the delivery log.
pub fn refusal(ip: IpAddr, allow_loopback: bool) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refusal_v4(v4, allow_loopback),
        IpAddr::V6(v6) => refusal_v6(v6, allow_loopback),
    }
}

fn refusal_v4(ip: Ipv4Addr, allow_loopback: bool) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    if ip == Ipv4Addr::new(169, 254, 169, 254) {
        return Some("a cloud metadata address");
    }
    if ip.is_loopback() {
        return (!allow_loopback).then_some("a loopback address");
    }
    if ip.is_link_local() {
        return Some("a link-local address");
    }
    if ip.is_private() || (a == 100 && (64..128).contains(&b)) {
        return Some("a private address");
    }
    if a == 0 || ip.is_broadcast() || ip.is_multicast() || a >= 240 {
        return Some("a reserved address");
    }
    // IETF protocol assignments, documentation, the deprecated 6to4 relay
    // anycast (which forwards into whatever IPv6 host it is given) and
    // benchmarking ranges.
    if (a, b, c) == (192, 0, 0)
        || (a, b, c) == (192, 0, 2)
        || (a, b, c) == (192, 88, 99)
        || (a, b, c) == (198, 51, 100)
        || (a, b, c) == (203, 0, 113)
        || (a == 198 && (b == 18 || b == 19))
    {
        return Some("a reserved address");
    }
    None
}

fn refusal_v6(ip: Ipv6Addr, allow_loopback: bool) -> Option<&'static str> {
    if let Some(v4) = embedded_v4(ip) {
        return refusal_v4(v4, allow_loopback);
    }
    let first = ip.segments()[0];
    if ip == Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x254) {
        return Some("a cloud metadata address");
    }
    if ip.is_loopback() {
        return (!allow_loopback).then_some("a loopback address");
    }
    if ip.is_unspecified() || ip.is_multicast() {
        return Some("a reserved address");
    }
    if first & 0xffc0 == 0xfe80 {
        return Some("a link-local address");
    }
    if first & 0xfe00 == 0xfc00 {
        return Some("a unique-local (private) address");
    }
    // Local-use NAT64 (64:ff9b:1::/48) embeds its IPv4 host wherever the
    // operator's prefix length puts it; Teredo (2001::/32, inside the IETF
    // protocol assignments 2001::/23) hides its client's address
    // obfuscated and reaches it through a relay. Neither is a receiver.
    if ip.segments()[..3] == [0x64, 0xff9b, 1] {
        return Some("a local-use NAT64 address");
    }
    if first == 0x2001 && ip.segments()[1] < 0x0200 {
        return Some("a reserved address (IETF protocol assignment or Teredo)");
    }
    // The discard-only prefix 100::/64.
    if ip.segments()[..4] == [0x100, 0, 0, 0] {
        return Some("a reserved address");
    }
    // Site-local (deprecated) and documentation prefixes.
    if first & 0xffc0 == 0xfec0 || (first == 0x2001 && ip.segments()[1] == 0x0db8) {
        return Some("a reserved address");
    }
    None
}

/// The IPv4 address an IPv6 address carries: IPv4-mapped (`::ffff:a.b.c.d`),
/// IPv4-compatible (`::a.b.c.d`), IPv4-translated (`::ffff:0:a.b.c.d`,
/// SIIT), NAT64 (`64:ff9b::/96`) and 6to4 (`2002:AABB:CCDD::/48`) all
/// reach the IPv4 host.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if s[..5] == [0; 5]
        && (s[5] == 0xffff || (s[5] == 0 && !ip.is_loopback() && !ip.is_unspecified()))
    {
        return Some(low);
    }
    if s[..6] == [0, 0, 0, 0, 0xffff, 0] {
        return Some(low);
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(low);
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        ));
    }
    None
}

/// Whether `host` names this machine whatever DNS says.
fn is_local_name(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost" || host.ends_with(".localhost")
}

/// A receiver URL as saved: `https://` (or `http://` when local receivers
/// are allowed), a host, no credentials, at most [`MAX_URL_CHARS`], and no
/// literal address (or `localhost`) that could never receive. Names are
/// checked again, resolved, at every delivery.
pub fn check_url(text: &str, allow_local: bool) -> Result<Url, String> {
    let text = text.trim();
    if text.len() > MAX_URL_CHARS {
        return Err(format!("must be at most {MAX_URL_CHARS} characters"));
    }
    let url = Url::parse(text).map_err(|e| format!("is not a URL: {e}"))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_local => {}
        "http" => return Err("must be an https:// URL".into()),
        _ => return Err("must be an https:// URL".into()),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry credentials".into());
    }
    match url.host() {
        None => Err("must name a host".into()),
        Some(url::Host::Domain(name)) if is_local_name(name) && !allow_local => {
            Err("must not point at this machine (localhost)".into())
        }
        Some(url::Host::Domain(_)) => Ok(url),
        Some(url::Host::Ipv4(ip)) => literal(IpAddr::V4(ip), allow_local).map(|()| url),
        Some(url::Host::Ipv6(ip)) => literal(IpAddr::V6(ip), allow_local).map(|()| url),
    }
}

fn literal(ip: IpAddr, allow_local: bool) -> Result<(), String> {
    match refusal(ip, allow_local) {
        Some(why) => Err(format!("must not point at {why} ({ip})")),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str, allow_loopback: bool) -> bool {
        refusal(text.parse().unwrap(), allow_loopback).is_some()
    }

    #[test]
    fn private_loopback_link_local_and_metadata_v4_addresses_are_refused() {
        for ip in [
            "127.0.0.1",
            "127.9.9.9",
            "10.0.0.5",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "169.254.169.254",
            "169.254.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "240.0.0.1",
        ] {
            assert!(refused(ip, false), "{ip} must be refused");
        }
        for ip in ["8.8.8.8", "172.32.0.1", "100.128.0.1", "93.184.216.34"] {
            assert!(!refused(ip, false), "{ip} is public");
        }
    }

    #[test]
    fn v6_loopback_unique_local_link_local_and_metadata_are_refused() {
        for ip in [
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "fd00:ec2::254",
            "ff02::1",
        ] {
            assert!(refused(ip, false), "{ip} must be refused");
        }
        assert!(!refused("2606:4700:4700::1111", false));
        assert_eq!(
            refusal("fd00:ec2::254".parse().unwrap(), true),
            Some("a cloud metadata address")
        );
    }

    #[test]
    fn v4_hidden_in_v6_is_judged_as_v4() {
        for ip in [
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::10.0.0.1",
            "64:ff9b::a00:1",
            "64:ff9b::7f00:1",
            "::ffff:0:10.0.0.1",
            "::ffff:0:127.0.0.1",
            "::ffff:0:169.254.169.254",
            "2002:a00:1::1",
            "2002:c0a8:101::1",
            "2002:a9fe:a9fe::1",
        ] {
            assert!(refused(ip, false), "{ip} must be refused");
        }
        for ip in [
            "::ffff:8.8.8.8",
            "::ffff:0:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert!(!refused(ip, false), "{ip} carries a public IPv4 host");
        }
    }

    /// One row per special-purpose range: an address inside it is refused
    /// with the reason given, and the first address after it is not.
    #[test]
    fn each_special_range_is_refused_and_its_neighbour_is_not() {
        let table = [
            (
                "64:ff9b:1::a00:1",
                "a local-use NAT64 address",
                "64:ff9b:2::1",
            ),
            (
                "64:ff9b:1:ffff::1",
                "a local-use NAT64 address",
                "64:ff9b:2::1",
            ),
            (
                "2001::1",
                "a reserved address (IETF protocol assignment or Teredo)",
                "2001:200::1",
            ),
            (
                "2001:0:4136:e378:8000:63bf:f5ff:fffe",
                "a reserved address (IETF protocol assignment or Teredo)",
                "2001:200::1",
            ),
            ("100::1", "a reserved address", "100:0:0:1::1"),
            ("192.88.99.1", "a reserved address", "192.88.100.1"),
            (
                "::ffff:0:192.168.0.1",
                "a private address",
                "::ffff:0:8.8.4.4",
            ),
            ("2002:c058:6301::1", "a reserved address", "2002:808:404::1"),
        ];
        for (inside, why, outside) in table {
            assert_eq!(
                refusal(inside.parse().unwrap(), false),
                Some(why),
                "{inside}"
            );
            assert_eq!(refusal(outside.parse().unwrap(), false), None, "{outside}");
        }
        // The local allowance opens none of them.
        assert!(refused("64:ff9b:1::7f00:1", true));
        assert!(refused("2001::7f00:1", true));
    }

    #[test]
    fn the_local_allowance_opens_loopback_only() {
        assert!(!refused("127.0.0.1", true));
        assert!(!refused("::1", true));
        assert!(!refused("::ffff:127.0.0.1", true));
        for ip in ["10.0.0.1", "169.254.169.254", "192.168.0.1", "fd00::1"] {
            assert!(refused(ip, true), "{ip} stays refused");
        }
    }

    #[test]
    fn saved_urls_need_https_and_no_literal_local_address() {
        assert!(check_url("https://hooks.example.com/pc", false).is_ok());
        assert!(check_url("http://hooks.example.com/pc", false).is_err());
        assert!(check_url("ftp://hooks.example.com", false).is_err());
        assert!(check_url("https://user:pw@hooks.example.com", false).is_err());
        assert!(check_url("https://127.0.0.1/hook", false).is_err());
        assert!(check_url("https://[::1]/hook", false).is_err());
        assert!(check_url("https://169.254.169.254/latest", true).is_err());
        assert!(check_url("https://localhost/hook", false).is_err());
        assert!(check_url("http://127.0.0.1:4000/hook", true).is_ok());
        assert!(check_url("http://localhost:4000/hook", true).is_ok());
        assert!(check_url("not a url", true).is_err());
    }
}
