//! E-mail over a real SMTP exchange: SmtpSender against the SmtpSink.

use std::time::Duration;

use serde_json::json;
use tawasul_notify::{DeliveryError, Outbound, Rendered, SmtpSecurity, SmtpSender, SmtpSettings, Templates, Transport};
use tawasul_testkit::sinks::SmtpSink;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWriteExt, BufReader};

const WAIT: Duration = Duration::from_secs(10);

fn settings(port: u16) -> SmtpSettings {
    SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        security: SmtpSecurity::None,
        username: None,
        password: None,
        from: "Tawasul <noreply@example.gov>".into(),
        pool_size: 4,
    }
}

fn outbound(id: i64, recipient: &str, rendered: Rendered) -> Outbound {
    Outbound {
        id,
        channel: "email".into(),
        recipient: recipient.into(),
        template: "case_received".into(),
        rendered,
        references: vec![],
        in_session: false,
    }
}

fn case_received(language: &str) -> Rendered {
    let payload = json!({
        "reference": "TW-2026-0000123", "service_ar": "صيانة الطرق", "service_en": "Road maintenance",
        "track_url": "https://tawasul.example.gov/track/Zm9v",
    });
    Templates::embedded()
        .render("case_received", language, &payload)
        .expect("renders")
}

#[tokio::test]
async fn arabic_and_english_mail_arrives_exactly_as_rendered() {
    let sink = SmtpSink::start().await.expect("sink");
    let sender = SmtpSender::new(&settings(sink.port())).expect("sender");
    let sent = [(41, "ar", case_received("ar")), (42, "en", case_received("en"))];
    for (id, _, rendered) in &sent {
        sender
            .deliver(&outbound(*id, "fatima@example.bh", rendered.clone()))
            .await
            .expect("delivered");
    }
    let received = sink.wait_for(2, WAIT).await;
    assert_eq!(received.len(), 2);
    for ((id, language, rendered), mail) in sent.iter().zip(&received) {
        assert_eq!(mail.from, "noreply@example.gov");
        assert_eq!(mail.to, ["fatima@example.bh"]);
        assert_eq!(mail.subject, rendered.subject);
        assert_eq!(mail.body, rendered.body);
        assert_eq!(
            mail.message_id.as_deref(),
            Some(format!("<notification-{id}@tawasul>").as_str())
        );
        assert_eq!(mail.content_language.as_deref(), Some(*language));
        let raw = String::from_utf8_lossy(&mail.raw);
        assert!(raw.contains("Content-Type: text/plain; charset=utf-8"), "{raw}");
        assert!(raw.contains("Auto-Submitted: auto-generated"), "{raw}");
        assert!(raw.contains("From: Tawasul <noreply@example.gov>"), "{raw}");
    }
    assert!(
        received[0].subject.contains("تم استلام بلاغكم"),
        "{}",
        received[0].subject
    );
}

#[tokio::test]
async fn lines_with_dots_survive_the_smtp_data_phase() {
    let sink = SmtpSink::start().await.expect("sink");
    let sender = SmtpSender::new(&settings(sink.port())).expect("sender");
    let body = ".\n..\n.hidden line\nend.\n. leading dot and space".to_owned();
    let rendered = Rendered {
        language: "en".into(),
        subject: "Dots".into(),
        body: body.clone(),
        choices: vec![],
    };
    sender
        .deliver(&outbound(1, "a@example.bh", rendered))
        .await
        .expect("delivered");
    let received = sink.wait_for(1, WAIT).await;
    assert_eq!(received[0].body, body);
}

#[tokio::test]
async fn a_refused_recipient_is_permanent_and_a_deferral_is_transient() {
    let sink = SmtpSink::start().await.expect("sink");
    let sender = SmtpSender::new(&settings(sink.port())).expect("sender");
    sink.reject_recipient("Gone@Example.bh");
    let refused = sender
        .deliver(&outbound(1, "gone@example.bh", case_received("en")))
        .await;
    assert!(
        matches!(&refused, Err(DeliveryError::Permanent(m)) if m.contains("550")),
        "{refused:?}"
    );

    sink.defer_next(1);
    let deferred = sender
        .deliver(&outbound(2, "fatima@example.bh", case_received("en")))
        .await;
    assert!(
        matches!(&deferred, Err(DeliveryError::Transient(m)) if m.contains("451")),
        "{deferred:?}"
    );
    sender
        .deliver(&outbound(2, "fatima@example.bh", case_received("en")))
        .await
        .expect("the retry goes through");
    let received = sink.wait_for(1, WAIT).await;
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].message_id.as_deref(), Some("<notification-2@tawasul>"));
}

#[tokio::test]
async fn an_invalid_address_is_permanent() {
    let sink = SmtpSink::start().await.expect("sink");
    let sender = SmtpSender::new(&settings(sink.port())).expect("sender");
    for address in ["not an address", "", "a@b@c", "fatima@example.bh\r\nBcc: x@example.com"] {
        let result = sender.deliver(&outbound(1, address, case_received("en"))).await;
        assert!(
            matches!(result, Err(DeliveryError::Permanent(_))),
            "{address:?}: {result:?}"
        );
    }
    assert_eq!(sink.count(), 0);
}

#[tokio::test]
async fn a_relay_that_is_not_there_is_transient() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("address").port()
    };
    let sender = SmtpSender::new(&settings(port)).expect("sender");
    let result = sender
        .deliver(&outbound(1, "fatima@example.bh", case_received("ar")))
        .await;
    assert!(matches!(result, Err(DeliveryError::Transient(_))), "{result:?}");
}

#[tokio::test]
async fn many_messages_at_once_share_the_pool() {
    let sink = SmtpSink::start().await.expect("sink");
    let sender = std::sync::Arc::new(SmtpSender::new(&settings(sink.port())).expect("sender"));
    let rendered = case_received("ar");
    let mut tasks = tokio::task::JoinSet::new();
    for id in 0..40 {
        let (sender, rendered) = (sender.clone(), rendered.clone());
        tasks.spawn(async move { sender.deliver(&outbound(id, "fatima@example.bh", rendered)).await });
    }
    while let Some(result) = tasks.join_next().await {
        result.expect("joined").expect("delivered");
    }
    let mut ids: Vec<String> = sink
        .wait_for(40, WAIT)
        .await
        .into_iter()
        .filter_map(|m| m.message_id)
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 40);
    assert!(
        sink.connections() <= 4,
        "at most pool_size connections: {}",
        sink.connections()
    );
}

#[test]
fn settings_are_checked_when_the_sender_is_built() {
    let mut bad_from = settings(25);
    bad_from.from = "Tawasul".into();
    assert!(SmtpSender::new(&bad_from).is_err());
    let mut half_credentials = settings(25);
    half_credentials.username = Some("tawasul".into());
    assert!(SmtpSender::new(&half_credentials).is_err());
    assert_eq!(
        "STARTTLS".parse::<SmtpSecurity>().expect("valid"),
        SmtpSecurity::StartTls
    );
    assert!("ssl".parse::<SmtpSecurity>().is_err());
    let mut secret = settings(25);
    secret.password = Some("hunter2".into());
    assert!(!format!("{secret:?}").contains("hunter2"));
}

/// One reply, which ends with the line whose code is followed by a space, as `line|line`.
async fn read_reply(reader: &mut (impl AsyncBufRead + Unpin)) -> String {
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).await.expect("reads");
        let last = line.as_bytes().get(3) != Some(&b'-');
        lines.push(line.trim_end().to_owned());
        if last {
            return lines.join("|");
        }
    }
}

/// The sink as any client sees it: the replies of RFC 5321, pipelined commands, unknown ones.
#[tokio::test]
async fn the_sink_speaks_smtp() {
    let sink = SmtpSink::start().await.expect("sink");
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", sink.port()))
        .await
        .expect("connects");
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    let mut replies = Vec::new();
    replies.push(read_reply(&mut reader).await);
    let script = "EHLO client\r\nMAIL FROM:<a@example.bh>\r\nDATA\r\nRCPT TO:<b@example.bh>\r\nNOOP\r\nRSET\r\n\
                  RCPT TO:<b@example.bh>\r\nHELO client\r\nVRFY b\r\nMAIL FROM:<> BODY=8BITMIME\r\n\
                  RCPT TO:<b@example.bh>\r\nDATA\r\n";
    writer.write_all(script.as_bytes()).await.expect("writes");
    for _ in 0..12 {
        replies.push(read_reply(&mut reader).await);
    }
    writer
        .write_all(b"Subject: hi\r\n\r\n..dot\r\n.\r\nQUIT\r\n")
        .await
        .expect("writes");
    replies.push(read_reply(&mut reader).await);
    replies.push(read_reply(&mut reader).await);
    let codes: Vec<&str> = replies.iter().map(|r| &r[..3]).collect();
    assert_eq!(
        codes,
        ["220", "250", "250", "503", "250", "250", "250", "503", "250", "500", "250", "250", "354", "250", "221"],
        "{replies:#?}"
    );
    assert!(
        replies[1].contains("PIPELINING") && replies[1].contains("SMTPUTF8"),
        "{}",
        replies[1]
    );
    let mail = sink.wait_for(1, WAIT).await.remove(0);
    assert_eq!(
        (mail.from.as_str(), mail.to.as_slice(), mail.body.as_str()),
        ("", &["b@example.bh".to_owned()][..], ".dot")
    );
}
