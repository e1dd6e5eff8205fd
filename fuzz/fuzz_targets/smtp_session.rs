//! The embedded SMTP receiver's session (`smtp::session`: command lines, envelopes, DATA with
//! its dot-stuffing, limits) on any bytes a client sends, against the real application on
//! SQLite with the demo's catalogue, so that a mail that gets through becomes a case. The
//! client's bytes are written, then the connection closes; the session must end, and every
//! line it answers is an SMTP reply.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use std::time::Duration;
use tawasul_channels_email::{smtp, MailSettings, MailboxConfig, Mailroom};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct World {
    runtime: tokio::runtime::Runtime,
    mailroom: Mailroom,
}

fn world() -> World {
    let (runtime, app) = tawasul_fuzz::demo_app();
    let settings = MailSettings {
        mailboxes: vec!["complaints@example.gov=cap-feedback"
            .parse::<MailboxConfig>()
            .expect("a mailbox")],
        // Small, so that the limit is reached by what the fuzzer writes.
        max_message_bytes: 4096,
        hostname: "mx.example.gov".into(),
        starttls: None,
    };
    World {
        runtime,
        mailroom: Mailroom::new(app, settings),
    }
}

fuzz_target!(|data: &[u8]| {
    static WORLD: OnceLock<World> = OnceLock::new();
    let world = WORLD.get_or_init(world);
    let answer = world.runtime.block_on(async {
        let (client, server) = tokio::io::duplex(64 * 1024);
        let mailroom = world.mailroom.clone();
        let session = tokio::spawn(async move { smtp::session(server, &mailroom).await });
        let (mut read, mut write) = tokio::io::split(client);
        let input = data.to_vec();
        let writer = tokio::spawn(async move {
            // The session may stop reading (QUIT, too many errors): the rest is not taken.
            let _ = write.write_all(&input).await;
            let _ = write.shutdown().await;
        });
        let mut answer = Vec::new();
        tokio::time::timeout(Duration::from_secs(20), read.read_to_end(&mut answer))
            .await
            .expect("the session ends when the client has gone")
            .expect("the answer reads");
        let _ = session.await.expect("the session does not panic");
        writer.await.expect("the writer ends");
        answer
    });
    let text = String::from_utf8(answer).expect("replies are UTF-8");
    assert!(text.starts_with("220 mx.example.gov ESMTP"));
    assert!(text.ends_with("\r\n"));
    for line in text.split_terminator("\r\n") {
        let code = line.get(..3).unwrap_or("");
        assert!(
            code.bytes().all(|b| b.is_ascii_digit()) && matches!(line.as_bytes().get(3), Some(b' ' | b'-')),
            "not an SMTP reply: {line:?}"
        );
        assert!(!line.contains(['\r', '\n']) && line.len() <= 2_100, "{line:?}");
    }
    // One reply (of one or more lines) per command at most, beside the greeting and a close.
    let replies = text
        .split_terminator("\r\n")
        .filter(|l| l.as_bytes()[3] == b' ')
        .count();
    let lines = data.split(|b| *b == b'\n').count();
    assert!(replies <= lines + 2, "{replies} replies to {lines} lines");
});
