//! Who sent a request (`Client::resolve`): the connection's peer, or behind a trusted proxy
//! the nearest `X-Forwarded-For` address that is not one, and whether it came over TLS. The
//! headers are the client's to write: an untrusted peer's are ignored, and no header makes a
//! request look as if it came from a trusted proxy. Input: the first byte chooses the peer,
//! then the X-Forwarded-For headers and X-Forwarded-Proto, NUL-separated.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::net::IpAddr;
use std::sync::OnceLock;
use tawasul_app::identity::limits::{Client, Limits};
use tawasul_fuzz::cut;

const PEERS: [&str; 6] = [
    "10.0.0.7",
    "192.0.2.50",
    "::1",
    "::ffff:10.1.2.3",
    "2001:db8::9",
    "fd00::1",
];

fuzz_target!(|data: &[u8]| {
    static LIMITS: OnceLock<Limits> = OnceLock::new();
    let limits = LIMITS.get_or_init(|| {
        let mut limits = Limits::default();
        limits
            .set("trusted_proxies", "10.0.0.0/8 ::1 fd00::/8")
            .expect("trusted proxies");
        limits
    });
    let Some((first, rest)) = data.split_first() else {
        return;
    };
    let peer: Option<IpAddr> = PEERS
        .get(usize::from(*first) % (PEERS.len() + 1))
        .map(|p| p.parse().expect("an address"));
    let public_tls = first & 0x80 != 0;
    let parts = cut(rest, 4);
    let Ok(texts) = parts
        .iter()
        .map(|p| std::str::from_utf8(p))
        .collect::<Result<Vec<_>, _>>()
    else {
        return;
    };
    let (forwarded_for, proto) = (&texts[..3], texts[3]);
    let proto = (!proto.is_empty()).then_some(proto);
    let client = Client::resolve(limits, public_tls, peer, forwarded_for, proto);
    assert!(client.tls || !public_tls, "the public URL's TLS is never lost");
    let Some(peer) = peer.map(|p| p.to_canonical()) else {
        assert_eq!(
            client,
            Client {
                tls: public_tls,
                ..Client::default()
            }
        );
        return;
    };
    if !limits.trusts(peer) {
        assert_eq!(
            client,
            Client {
                address: peer,
                tls: public_tls
            },
            "an untrusted peer's headers are ignored"
        );
        return;
    }
    // Behind a trusted proxy, the address is the peer or one the headers named; when they
    // named one that is not a proxy, it is not a proxy.
    let named: Vec<IpAddr> = forwarded_for
        .iter()
        .flat_map(|h| h.split(','))
        .filter_map(|a| a.trim().parse::<IpAddr>().ok())
        .map(|a| a.to_canonical())
        .collect();
    assert!(client.address == peer || named.contains(&client.address));
    if named.iter().any(|a| !limits.trusts(*a)) {
        assert!(!limits.trusts(client.address), "{client:?} from {named:?}");
    }
});
