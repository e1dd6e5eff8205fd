//! The e-mail channel end to end: real SMTP sessions (lettre as the client, and raw sockets
//! for what no well-behaved client sends) against the receiver of the real application, on
//! SQLite and PostgreSQL, in plain text and after STARTTLS with a certificate made for the
//! test; acknowledgements and staff replies read back from the test kit's SMTP sink.

mod common;

use common::{case, corpus, mail, mail_app, mail_app_with, LIMIT, MAILBOX};
use lettre::address::Envelope;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use mail_parser::MessageParser;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tawasul_channels_email::smtp::StartTls;
use tawasul_domain::vocab::{Channel, Language};
use tawasul_testkit::fixtures::PASSWORD;
use tawasul_testkit::{on_both, Backend, TestApp};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

fn client(t: &TestApp) -> AsyncSmtpTransport<Tokio1Executor> {
    let address = t.smtp_in.expect("the application receives mail");
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(address.ip().to_string())
        .port(address.port())
        .build()
}

/// Sends `raw` from `from` (`None`: the null sender `<>`) to `to`; the receiver's answer after
/// the final dot, as text, or the refusal's code and text.
async fn send(t: &TestApp, from: Option<&str>, to: &str, raw: &[u8]) -> Result<String, (u16, String)> {
    let envelope = Envelope::new(
        from.map(|f| f.parse().expect("address")),
        vec![to.parse().expect("address")],
    )
    .expect("envelope");
    match client(t).send_raw(&envelope, raw).await {
        Ok(response) => Ok(response.message().collect::<Vec<_>>().join(" ")),
        Err(e) => Err((e.status().map(u16::from).unwrap_or(0), e.to_string())),
    }
}

fn reference_in(answer: &str) -> String {
    answer
        .split_whitespace()
        .find(|w| w.starts_with("TW-"))
        .unwrap_or_else(|| panic!("no reference in {answer:?}"))
        .to_owned()
}

fn header(raw: &[u8], name: &str) -> Option<String> {
    let message = MessageParser::default().parse(raw).expect("a mail");
    message.header_raw(name).map(|v| v.trim().to_owned())
}

on_both! { mail_app;

    async fn arabic_mail_in_windows_1256_and_utf8_becomes_a_case_acknowledged_in_arabic(t: &TestApp) {
        let outlook = send(t, Some("fatima.ali@company.com.bh"), MAILBOX, &corpus("02_outlook_ar_cp1256_pothole_inline.eml")).await;
        let outlook = reference_in(&outlook.expect("accepted"));
        let (row, events) = case(t, &outlook).await;
        assert_eq!(row.channel, Channel::Email);
        assert_eq!(row.service_code, "pothole", "guessed from the Arabic words");
        assert_eq!(row.language, Language::Ar);
        assert_eq!(row.reporter_email.as_deref(), Some("fatima.ali@company.com.bh"));
        assert_eq!(row.reporter_name.as_deref(), Some("فاطمة علي"));
        assert!(row.description.starts_with("حفرة في الطريق قرب المدرسة\n\nمساء الخير،"), "{}", row.description);
        let attachments = t.store.attachments(row.id).await.expect("attachments");
        assert_eq!(attachments.len(), 1, "the inline image is kept");
        assert_eq!(attachments[0].mime, "image/png");
        assert!(events.iter().any(|e| e.action == "received"));

        let gmail = send(t, Some("ahmed.bh@gmail.com"), MAILBOX, &corpus("01_gmail_ar_utf8_water_leak.eml")).await;
        let gmail = reference_in(&gmail.expect("accepted"));
        let (row, _) = case(t, &gmail).await;
        assert_eq!(row.service_code, "water-leak");

        t.work().await;
        let acks = t.inbox("ahmed.bh@gmail.com", 1).await;
        let [ack] = acks.as_slice() else { panic!("one acknowledgement: {acks:?}") };
        assert!(ack.subject.contains(&gmail), "{}", ack.subject);
        assert!(ack.subject.starts_with("تم استلام بلاغكم"), "in Arabic: {}", ack.subject);
        assert!(ack.body.contains("الرد على هذه الرسالة"), "says how to add to the case: {}", ack.body);
        assert_eq!(
            header(&ack.raw, "In-Reply-To").as_deref(),
            Some("<CAJx9Kq1r0+Vd3vB=fYw1@mail.gmail.com>"),
            "the acknowledgement answers the reporter's mail"
        );
        let html = MessageParser::default().parse(&ack.raw).expect("mail").body_html(0).expect("an HTML part").into_owned();
        assert!(html.contains(r#"dir="rtl""#), "{html}");
        assert_eq!(header(&ack.raw, "Auto-Submitted").as_deref(), Some("auto-generated"));
    }

    async fn a_reply_threads_back_by_its_headers_or_its_subject_and_only_from_the_reporter(t: &TestApp) {
        let made = send(t, Some("ahmed.bh@gmail.com"), MAILBOX, &corpus("01_gmail_ar_utf8_water_leak.eml")).await;
        let reference = reference_in(&made.expect("accepted"));
        t.work().await;
        let ack = t.inbox("ahmed.bh@gmail.com", 1).await.pop().expect("the acknowledgement");
        let ack_id = ack.message_id.clone().expect("a Message-ID");
        let cases_before = t.case_count().await;

        let reply = mail(
            "Ahmed <Ahmed.BH@gmail.com>",
            &format!("Re: {}", ack.subject),
            &format!("Message-ID: <reply-1@gmail.com>\r\nIn-Reply-To: {ack_id}\r\nReferences: <CAJx9Kq1r0+Vd3vB=fYw1@mail.gmail.com> {ack_id}\r\n"),
            "ما زال التسرب مستمرا.\r\n\r\nOn Sun, 22 Nov 2026 at 20:15, Tawasul <noreply@tawasul.example> wrote:\r\n> quoted",
        );
        let answer = send(t, Some("ahmed.bh@gmail.com"), MAILBOX, &reply).await.expect("accepted");
        assert!(answer.contains(&format!("added to case {reference}")), "{answer}");
        let (_, events) = case(t, &reference).await;
        let comments: Vec<_> = events.iter().filter(|e| e.action == "reporter_comment").collect();
        assert_eq!(comments.len(), 1);
        assert_eq!(comments[0].body.as_deref(), Some("ما زال التسرب مستمرا."), "the quoted history is left out");

        // The same reply delivered again adds nothing.
        let again = send(t, Some("ahmed.bh@gmail.com"), MAILBOX, &reply).await.expect("accepted");
        assert!(again.contains("repeated"), "{again}");

        // A reply that lost its headers threads by the reference in its subject.
        let by_subject = mail("ahmed.bh@gmail.com", &format!("بخصوص {reference}"), "Message-ID: <reply-2@gmail.com>\r\n", "صورة إضافية لاحقا");
        let answer = send(t, Some("ahmed.bh@gmail.com"), MAILBOX, &by_subject).await.expect("accepted");
        assert!(answer.contains(&reference), "{answer}");

        // Reply-all by someone else: refused back to them, and no case for it.
        let stranger = mail(
            "neighbour@example.com",
            &format!("Re: {}", ack.subject),
            &format!("Message-ID: <reply-3@example.com>\r\nIn-Reply-To: {ack_id}\r\n"),
            "I see it too",
        );
        let refused = send(t, Some("neighbour@example.com"), MAILBOX, &stranger).await;
        let (code, text) = refused.expect_err("a stranger's reply is refused");
        assert_eq!(code, 554, "{text}");
        assert!(text.contains("only from the address"), "{text}");

        // A stranger quoting the reference in a new mail opens a case of their own.
        let quoting = mail("neighbour@example.com", &format!("Same problem as {reference}"), "Message-ID: <new-1@example.com>\r\n", "Water leaking on our street too.");
        let answer = send(t, Some("neighbour@example.com"), MAILBOX, &quoting).await.expect("accepted");
        let theirs = reference_in(&answer);
        assert_ne!(theirs, reference);

        let (_, events) = case(t, &reference).await;
        assert_eq!(events.iter().filter(|e| e.action == "reporter_comment").count(), 2, "the reporter's two replies only");
        assert_eq!(t.case_count().await, cases_before + 1, "only the stranger's new mail made a case");

        // A reply to a mail we do not know is no new case either.
        let unknown = mail("ahmed.bh@gmail.com", "Re: something else", "Message-ID: <reply-4@gmail.com>\r\nIn-Reply-To: <elsewhere@example.com>\r\n", "?");
        let (code, _) = send(t, Some("ahmed.bh@gmail.com"), MAILBOX, &unknown).await.expect_err("refused");
        assert_eq!(code, 554);
        assert_eq!(t.case_count().await, cases_before + 1);
    }

    async fn bounces_auto_replies_list_mail_and_copies_make_no_case_and_no_mail(t: &TestApp) {
        let made = send(t, Some("sara.ahmed@outlook.com"), MAILBOX, &corpus("05_outlook_en_parking.eml")).await;
        reference_in(&made.expect("accepted"));
        t.work().await;
        let sent_before = t.smtp.as_ref().expect("sink").count();
        let cases_before = t.case_count().await;
        for (file, from) in [
            ("22_bounce_dsn_postfix.eml", None),
            ("23_bounce_exchange_ndr.eml", Some("postmaster@company.com.bh")),
            ("20_outlook_auto_reply_en.eml", Some("sara.ahmed@outlook.com")),
            ("21_auto_reply_ar_x_autoreply.eml", Some("khalid@batelco.com.bh")),
            ("24_list_newsletter.eml", Some("bounces@shop.example")),
            ("25_list_google_group.eml", Some("residents+bncs@googlegroups.com")),
        ] {
            let answer = send(t, from, MAILBOX, &corpus(file)).await.unwrap_or_else(|e| panic!("{file}: {e:?}"));
            assert!(answer.contains("not acted on"), "{file}: {answer}");
        }
        let copied = b"From: a@example.com\r\nTo: friend@example.com\r\nCc: complaints@localhost\r\nSubject: the road\r\nMessage-ID: <cc-1@example.com>\r\n\r\nFYI the road is broken\r\n";
        let answer = send(t, Some("a@example.com"), MAILBOX, copied).await.expect("accepted");
        assert!(answer.contains("copied"), "{answer}");
        // A personal mail sent with the null sender is a bounce too: nothing answers it.
        let null_sender = mail("someone@example.com", "pothole", "Message-ID: <null-1@example.com>\r\n", "a pothole");
        let answer = send(t, None, MAILBOX, &null_sender).await.expect("accepted");
        assert!(answer.contains("bounce"), "{answer}");
        assert_eq!(t.case_count().await, cases_before, "no case");
        t.work().await;
        assert_eq!(t.smtp.as_ref().expect("sink").count(), sent_before, "and nothing sent back");
    }

    async fn malformed_oversized_unknown_and_repeated_mail_get_clear_answers(t: &TestApp) {
        let cases_before = t.case_count().await;
        let (code, text) = send(t, Some("x@example.com"), "nobody@localhost", b"Subject: x\r\n\r\nx\r\n").await.expect_err("refused");
        assert_eq!(code, 550, "{text}");
        let (code, text) = send(t, Some("x@example.com"), MAILBOX, &corpus("26_not_a_message.eml")).await.expect_err("refused");
        assert_eq!(code, 554, "{text}");
        let big = mail("x@example.com", "big", "", &"ب".repeat(LIMIT));
        let (code, text) = send(t, Some("x@example.com"), MAILBOX, &big).await.expect_err("refused");
        assert_eq!(code, 552, "{text}");
        let long = mail("x@example.com", "long", "Message-ID: <long@example.com>\r\n", &"كلام ".repeat(2_000));
        let (code, text) = send(t, Some("x@example.com"), MAILBOX, &long).await.expect_err("refused");
        assert_eq!(code, 554, "{text}");
        assert!(text.contains("description"), "says what is wrong: {text}");
        let exe = "From: x@example.com\r\nTo: complaints@localhost\r\nSubject: photo\r\nMessage-ID: <exe@example.com>\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee the photo\r\n--b\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment; filename=photo.jpg\r\nContent-Transfer-Encoding: base64\r\n\r\nTVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAA\r\n--b--\r\n";
        let (code, text) = send(t, Some("x@example.com"), MAILBOX, exe.as_bytes()).await.expect_err("refused");
        assert_eq!(code, 554, "{text}");
        assert!(text.contains("files") || text.contains("photos"), "{text}");
        assert_eq!(t.case_count().await, cases_before, "nothing refused left a case");

        // Hostile text is kept as text: markup and header injection go nowhere.
        let hostile = "From: =?UTF-8?B?PHNjcmlwdD4=?= <h@example.com>\r\nTo: complaints@localhost\r\nSubject: =?UTF-8?Q?x=0D=0ABcc:_victim@example.com?=\r\nMessage-ID: <hostile@example.com>\r\nContent-Type: text/html\r\n\r\n<script>alert(1)</script><p>pothole <b>here</b></p>\r\n";
        let answer = send(t, Some("h@example.com"), MAILBOX, hostile.as_bytes()).await.expect("accepted");
        let reference = reference_in(&answer);
        let (row, _) = case(t, &reference).await;
        assert!(!row.description.contains("<script>") && !row.description.contains("<b>"), "{}", row.description);
        t.work().await;
        let ack = t.inbox("h@example.com", 1).await.pop().expect("acknowledged");
        assert!(header(&ack.raw, "Bcc").is_none(), "no header was injected");
        assert!(!t.smtp.as_ref().expect("sink").messages().iter().any(|m| m.to.iter().any(|to| to == "victim@example.com")));

        // The same mail delivered twice is one case.
        let once = mail("r@example.com", "pothole", "Message-ID: <twice@example.com>\r\n", "a deep pothole");
        let first = reference_in(&send(t, Some("r@example.com"), MAILBOX, &once).await.expect("accepted"));
        let second = send(t, Some("r@example.com"), MAILBOX, &once).await.expect("accepted");
        assert!(second.contains("repeated"), "{second}");
        assert_eq!(t.case_count().await, cases_before + 2, "{first}: hostile and the repeated one");
    }

    async fn a_staff_reply_goes_out_threaded_in_text_and_html(t: &TestApp) {
        let made = send(t, Some("fatima.ali@company.com.bh"), MAILBOX, &corpus("02_outlook_ar_cp1256_pothole_inline.eml")).await;
        let reference = reference_in(&made.expect("accepted"));
        t.work().await;
        let ack = t.inbox("fatima.ali@company.com.bh", 1).await.pop().expect("the acknowledgement");
        let reply = mail(
            "fatima.ali@company.com.bh",
            &format!("Re: {}", ack.subject),
            &format!("Message-ID: <fatima-2@company.com.bh>\r\nIn-Reply-To: {}\r\n", ack.message_id.clone().expect("id")),
            "الحفرة تتسع",
        );
        send(t, Some("fatima.ali@company.com.bh"), MAILBOX, &reply).await.expect("threaded");
        let token = t.login("cap.supervisor", PASSWORD).await;
        let (status, body) = t
            .api_post(
                &format!("/api/v1/cases/{reference}/comments"),
                Some(&token),
                json!({"body": "سيصل الفريق غدًا صباحًا", "visibility": "public"}),
            )
            .await;
        assert!(status.is_success(), "{status}: {body}");
        t.work().await;
        let mails = t.inbox("fatima.ali@company.com.bh", 2).await;
        let staff = mails.last().expect("the staff reply");
        assert!(staff.body.contains("سيصل الفريق غدًا صباحًا"), "{}", staff.body);
        assert_eq!(header(&staff.raw, "In-Reply-To").as_deref(), Some("<fatima-2@company.com.bh>"), "answers the reporter's latest mail");
        let references = header(&staff.raw, "References").expect("References");
        let original = "<DB9PR01MB7354A1B2C3D4E5F6A7B8C9D0E1F2A3B4@DB9PR01MB7354.eurprd01.prod.exchangelabs.com>";
        assert!(references.starts_with(original), "the thread's root first: {references}");
        assert!(references.contains(ack.message_id.as_deref().expect("id")), "{references}");
        let parsed = MessageParser::default().parse(&staff.raw).expect("mail");
        assert!(parsed.body_html(0).expect("HTML").contains(r#"dir="rtl""#));
        assert!(parsed.body_text(0).expect("text").contains("سيصل الفريق"));
    }
}

/// Raw sessions, for what lettre never sends: pipelined commands, nonsense, bad order.
async fn session(t: &TestApp, script: &str, replies: usize) -> Vec<String> {
    let stream = tokio::net::TcpStream::connect(t.smtp_in.expect("receiver"))
        .await
        .expect("connect");
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    write.write_all(script.as_bytes()).await.expect("write");
    let mut lines = vec![];
    while lines.len() < replies {
        let mut line = String::new();
        if read.read_line(&mut line).await.expect("read") == 0 {
            break;
        }
        if line.as_bytes().get(3) == Some(&b'-') {
            continue;
        }
        lines.push(line.trim_end().to_owned());
    }
    lines
}

on_both! { mail_app;
    async fn pipelined_commands_and_bad_ones_are_answered_in_order(t: &TestApp) {
        let script = "EHLO client.example\r\nMAIL FROM:<p@example.com> SIZE=100\r\nRCPT TO:<nobody@localhost>\r\nRCPT TO:<Complaints@LOCALHOST>\r\nDATA\r\nFrom: p@example.com\r\nTo: complaints@localhost\r\nSubject: pothole\r\nMessage-ID: <pipelined@example.com>\r\n\r\n..a deep pothole\r\n.\r\nQUIT\r\n";
        let replies = session(t, script, 8).await;
        let codes: Vec<&str> = replies.iter().map(|r| &r[..3]).collect();
        assert_eq!(codes, ["220", "250", "250", "550", "250", "354", "250", "221"], "{replies:#?}");
        let reference = reference_in(&replies[6]);
        let (row, _) = case(t, &reference).await;
        assert!(row.description.contains(".a deep pothole"), "dot-unstuffed: {}", row.description);

        let script = "MAIL FROM:<x@y.z>\r\nEHLO c\r\nRCPT TO:<complaints@localhost>\r\nDATA\r\nMAIL FROM:<x@y.z> SIZE=999999999\r\nMAIL FROM:x@y.z\r\nBOGUS\r\nSTARTTLS\r\n".to_owned()
            + &"Z".repeat(5000) + "\r\nNOOP\r\nQUIT\r\n";
        let replies = session(t, &script, 12).await;
        let codes: Vec<&str> = replies.iter().map(|r| &r[..3]).collect();
        assert_eq!(codes, ["220", "503", "250", "503", "503", "552", "501", "500", "502", "500", "250", "221"], "{replies:#?}");

        let script = "EHLO c\r\n".to_owned() + &"BOGUS\r\n".repeat(12);
        let replies = session(t, &script, 13).await;
        assert_eq!(replies.last().map(|r| &r[..3]), Some("421"), "too many errors close the session: {replies:#?}");

        // A client's bare CR (found by the smtp_session fuzz target) is never echoed in a reply,
        // in the refusal of an address or in the greeting: a reply is one line.
        let script = "EHLO a\rb\r\nMAIL FROM:<p@example.com>\r\nRCPT TO:<complaints@example.go\rv>\r\nQUIT\r\n";
        let replies = session(t, script, 5).await;
        assert!(replies[3].starts_with("550 ") && !replies[3].contains('\r'), "{replies:#?}");
        let mut stream = tokio::net::TcpStream::connect(t.smtp_in.expect("receiver")).await.expect("connect");
        stream.write_all(b"EHLO a\rb\r\nQUIT\r\n").await.expect("write");
        let mut raw = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut stream, &mut raw).await.expect("read to the close");
        assert!(raw.contains("greets a b\r\n"), "{raw:?}");
        assert!(raw.split("\r\n").all(|line| !line.contains('\r')), "every reply line is whole: {raw:?}");
    }
}

/// Runs tests/send_mail.py against the receiver (over STARTTLS when given the certificate to
/// trust); the case its mail became.
async fn python_smtplib(t: &TestApp, trusting: Option<&Path>) -> String {
    let address = t.smtp_in.expect("receiver");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/send_mail.py");
    let output = tokio::process::Command::new("python3")
        .arg(script)
        .arg(address.to_string())
        .args(trusting)
        .output()
        .await
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let reference = stdout
        .lines()
        .find_map(|l| l.strip_prefix("case "))
        .expect("a case reference")
        .trim()
        .to_owned();
    let (row, _) = case(t, &reference).await;
    assert_eq!(row.service_code, "pothole");
    assert_eq!(row.language, Language::Ar);
    assert!(row.description.contains("حفرة عميقة"), "{}", row.description);
    reference
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_smtplib_sends_arabic_mail_that_becomes_a_case() {
    let t = mail_app(Backend::Sqlite).await;
    python_smtplib(&t, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_smtplib_sends_arabic_mail_after_starttls() {
    let tls = tls_app(Backend::Sqlite).await;
    python_smtplib(&tls.t, Some(&tls.certificate)).await;
}

/// The application receiving mail with STARTTLS offered, and the PEM file of its
/// self-signed certificate (for `localhost` and 127.0.0.1), made for the test.
struct TlsApp {
    t: TestApp,
    certificate: PathBuf,
    _files: tempfile::TempDir,
}

async fn tls_app(backend: Backend) -> TlsApp {
    let files = tempfile::tempdir().expect("tempdir");
    let made = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).expect("a certificate");
    let certificate = files.path().join("cert.pem");
    let key = files.path().join("key.pem");
    std::fs::write(&certificate, made.cert.pem()).expect("write");
    std::fs::write(&key, made.key_pair.serialize_pem()).expect("write");
    let starttls = StartTls::from_pem_files(&certificate, &key).expect("the certificate is taken");
    TlsApp {
        t: mail_app_with(backend, Some(starttls), None).await,
        certificate,
        _files: files,
    }
}

/// One reply (its last line, for a multi-line one), and all its lines.
async fn read_reply<R: tokio::io::AsyncBufRead + Unpin>(read: &mut R) -> (String, Vec<String>) {
    let mut lines = vec![];
    loop {
        let mut line = String::new();
        assert!(
            read.read_line(&mut line).await.expect("read") > 0,
            "the receiver closed: {lines:?}"
        );
        let line = line.trim_end().to_owned();
        let last = line.as_bytes().get(3) != Some(&b'-');
        lines.push(line.clone());
        if last {
            return (line, lines);
        }
    }
}

/// Sends one command line, and reads its reply.
async fn say<S>(stream: &mut BufReader<S>, command: &str) -> (String, Vec<String>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    stream
        .write_all(format!("{command}\r\n").as_bytes())
        .await
        .expect("write");
    read_reply(stream).await
}

on_both! { tls_app;

    async fn mail_after_starttls_becomes_a_case_just_like_plain(tls: &TlsApp) {
        let t = &tls.t;
        let address = t.smtp_in.expect("receiver");
        let pem = std::fs::read(&tls.certificate).expect("read");
        let parameters = TlsParameters::builder("localhost".into())
            .add_root_certificate(Certificate::from_pem(&pem).expect("PEM"))
            .build_rustls()
            .expect("TLS parameters");
        // Required: lettre gives up rather than send in plain text when STARTTLS is not offered.
        let client = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(address.ip().to_string())
            .port(address.port())
            .tls(Tls::Required(parameters))
            .build();
        let envelope = Envelope::new(
            Some("fatima.ali@company.com.bh".parse().expect("address")),
            vec![MAILBOX.parse().expect("address")],
        )
        .expect("envelope");
        let answer = client
            .send_raw(&envelope, &corpus("02_outlook_ar_cp1256_pothole_inline.eml"))
            .await
            .expect("accepted over TLS");
        let reference = reference_in(&answer.message().collect::<Vec<_>>().join(" "));
        let (row, _) = case(t, &reference).await;
        assert_eq!(row.channel, Channel::Email);
        assert_eq!(row.service_code, "pothole");
        assert_eq!(row.reporter_name.as_deref(), Some("فاطمة علي"));

        // The plain path still works beside it.
        let plain = send(t, Some("ahmed.bh@gmail.com"), MAILBOX, &corpus("01_gmail_ar_utf8_water_leak.eml")).await;
        reference_in(&plain.expect("accepted without TLS"));
    }

    async fn commands_pipelined_after_starttls_are_dropped_and_a_second_starttls_refused(tls: &TlsApp) {
        let t = &tls.t;
        let cases_before = t.case_count().await;
        let stream = tokio::net::TcpStream::connect(t.smtp_in.expect("receiver")).await.expect("connect");
        let mut plain = BufReader::new(stream);
        assert!(read_reply(&mut plain).await.0.starts_with("220"));
        // One packet: STARTTLS, then what an attacker in the middle would inject before the
        // handshake (RFC 3207 §5: the server must discard it).
        plain
            .write_all(b"EHLO client.example\r\nSTARTTLS\r\nEHLO injected.example\r\nMAIL FROM:<injected@example.com>\r\n")
            .await
            .expect("write");
        let (_, offered) = read_reply(&mut plain).await;
        assert!(offered.iter().any(|l| l == "250-STARTTLS"), "{offered:?}");
        let (go, _) = read_reply(&mut plain).await;
        assert!(go.starts_with("220 "), "{go}");
        assert!(plain.buffer().is_empty(), "nothing may come before the handshake");

        let pem = std::fs::read(&tls.certificate).expect("read");
        let mut roots = rustls::RootCertStore::empty();
        for certificate in rustls::pki_types::pem::PemObject::pem_slice_iter(&pem) {
            roots.add(certificate.expect("PEM")).expect("a root");
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        let secured = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect("localhost".try_into().expect("a name"), plain.into_inner())
            .await
            .expect("the TLS handshake");
        let mut secured = BufReader::new(secured);
        // Had the injected EHLO and MAIL FROM been run, this recipient would be taken.
        let (answer, _) = say(&mut secured, "RCPT TO:<complaints@localhost>").await;
        assert!(answer.starts_with("503"), "the session starts afresh after the handshake: {answer}");
        let (answer, _) = say(&mut secured, "MAIL FROM:<a@example.com>").await;
        assert!(answer.starts_with("503"), "EHLO again first: {answer}");
        let (_, features) = say(&mut secured, "EHLO client.example").await;
        assert!(!features.iter().any(|l| l.contains("STARTTLS")), "not offered twice: {features:?}");
        let (answer, _) = say(&mut secured, "STARTTLS").await;
        assert!(answer.starts_with("503") && answer.contains("already"), "{answer}");
        assert!(say(&mut secured, "MAIL FROM:<a@example.com>").await.0.starts_with("250"));
        assert!(say(&mut secured, "RCPT TO:<complaints@localhost>").await.0.starts_with("250"));
        assert!(say(&mut secured, "DATA").await.0.starts_with("354"));
        let (answer, _) = say(&mut secured, "From: a@example.com\r\nTo: complaints@localhost\r\nSubject: pothole\r\nMessage-ID: <tls-1@example.com>\r\n\r\na deep pothole\r\n.").await;
        let reference = reference_in(&answer);
        let (row, _) = case(t, &reference).await;
        assert_eq!(row.reporter_email.as_deref(), Some("a@example.com"), "not the injected sender");
        assert!(say(&mut secured, "QUIT").await.0.starts_with("221"));
        assert_eq!(t.case_count().await, cases_before + 1);
    }

    async fn starttls_out_of_turn_or_with_an_argument_is_refused(tls: &TlsApp) {
        let replies = session(&tls.t, "STARTTLS\r\nEHLO c\r\nSTARTTLS now\r\nQUIT\r\n", 4).await;
        let codes: Vec<&str> = replies.iter().map(|r| &r[..3]).collect();
        assert_eq!(codes, ["220", "503", "250", "501"], "{replies:#?}");
    }
}

#[test]
fn a_certificate_or_key_that_cannot_be_used_is_named_in_the_error() {
    let files = tempfile::tempdir().expect("tempdir");
    let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).expect("a certificate");
    let certificate = files.path().join("cert.pem");
    let key = files.path().join("key.pem");
    let garbage = files.path().join("garbage.pem");
    std::fs::write(&certificate, made.cert.pem()).expect("write");
    std::fs::write(&key, made.key_pair.serialize_pem()).expect("write");
    std::fs::write(&garbage, "not PEM at all").expect("write");
    let other_key = rcgen::KeyPair::generate().expect("a key").serialize_pem();
    let mismatched = files.path().join("other-key.pem");
    std::fs::write(&mismatched, other_key).expect("write");
    let missing = files.path().join("missing.pem");

    let error = |c: &Path, k: &Path| StartTls::from_pem_files(c, k).expect_err("refused").to_string();
    assert!(error(&missing, &key).contains("missing.pem"));
    assert!(error(&garbage, &key).contains("no PEM certificate"));
    assert!(error(&certificate, &garbage).contains("no PEM private key"));
    assert!(
        error(&key, &key).contains("no PEM certificate"),
        "a key is not a certificate"
    );
    assert!(error(&certificate, &mismatched).contains("do not make a TLS server"));
    assert!(StartTls::from_pem_files(&certificate, &key).is_ok());
}
