//! A file named by a URL from outside (a caller's recording, a Messenger photo, an Open311
//! `media_url`) before anything is fetched (`tawasul_channels_fetch::fetch`): only http(s),
//! no credentials, an allowed host, never a private address. Every allowed host here is
//! private (or a name for one) and private addresses are not allowed, so no URL may get as far
//! as a connection: any answer but a refusal before it is a way past the checks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use std::time::Duration;
use tawasul_channels_fetch::{fetch, Refused, Rules};

fuzz_target!(|data: &[u8]| {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    static HOSTS: OnceLock<Vec<String>> = OnceLock::new();
    let runtime = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
    });
    let hosts = HOSTS.get_or_init(|| {
        [
            "127.0.0.1",
            "[::1]",
            "10.1.2.3",
            "169.254.169.254",
            "[::ffff:192.168.0.1]",
            "[fd00::1]",
            "0.0.0.0",
        ]
        .map(str::to_owned)
        .to_vec()
    });
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    let rules = Rules {
        hosts: Some(hosts),
        private_addresses: false,
        timeout: Duration::from_secs(1),
        max_bytes: 1024,
    };
    let answer = runtime.block_on(fetch(rules, raw));
    assert!(
        matches!(
            answer,
            Err(Refused::NotAUrl
                | Refused::Scheme
                | Refused::Credentials
                | Refused::Host(_)
                | Refused::Unresolved
                | Refused::PrivateAddress)
        ),
        "{raw:?} got past the checks: {answer:?}"
    );
});
