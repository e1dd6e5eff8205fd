//! IMAP polling end to end, against a real Dovecot that each test starts on a free port with
//! its own configuration (a maildir under a temporary directory, one user with a plain
//! password, no TLS), on SQLite and PostgreSQL. Messages are put in with a client (APPEND),
//! and what the poller left behind is read back the same way.

mod common;

use async_imap::types::Uid;
use common::{case, corpus, mail, mail_app, mail_app_with, mail_settings, MAILBOX};
use futures::TryStreamExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::PathBuf;
use std::time::Duration;
use tawasul_channels_email::imap::{ImapError, ImapPoller, ImapSettings, Taken};
use tawasul_channels_email::{Delivered, Mailroom, Refused};
use tawasul_domain::vocab::{Channel, Language};
use tawasul_testkit::{on_both, Backend, TestApp};

const USER: &str = "tawasul";
const PASSWORD: &str = "s3cret-of-the-mailbox";

/// A Dovecot of the test's own, stopped when dropped.
struct Dovecot {
    dir: tempfile::TempDir,
    port: u16,
    _master: tokio::process::Child,
}

/// `(name, uid, gid)` of the first /etc/passwd entry that `matches`.
fn account(matches: impl Fn(&str, u32) -> bool) -> Option<(String, u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").expect("/etc/passwd");
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        let (name, uid, gid) = (
            fields.first()?,
            fields.get(2)?.parse().ok()?,
            fields.get(3)?.parse().ok()?,
        );
        matches(name, uid).then(|| (name.to_string(), uid, gid))
    })
}

impl Dovecot {
    async fn start(password: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        // Dovecot runs as the current user; as root it may not (its login and mail processes
        // refuse uid 0), so there it runs as the users Debian's package made for it.
        let me = std::fs::metadata(root).expect("stat").uid();
        let (internal, login, (mail_uid, mail_gid)) = if me == 0 {
            let (_, uid, gid) = account(|name, _| name == "dovecot").expect("the dovecot user");
            ("dovecot".to_owned(), "dovenull".to_owned(), (uid, gid))
        } else {
            let (name, uid, gid) = account(|_, uid| uid == me).expect("the current user");
            (name.clone(), name, (uid, gid))
        };
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        for sub in ["mail", "home", "run", "state"] {
            std::fs::create_dir(root.join(sub)).expect("mkdir");
        }
        if me == 0 {
            for sub in ["mail", "home"] {
                std::os::unix::fs::chown(root.join(sub), Some(mail_uid), Some(mail_gid)).expect("chown");
            }
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let r = root.display();
        let config = format!(
            "base_dir = {r}/run\nstate_dir = {r}/state\nlog_path = {r}/dovecot.log\n\
             protocols = imap\nlisten = 127.0.0.1\nssl = no\ndisable_plaintext_auth = no\n\
             auth_mechanisms = plain login\nauth_failure_delay = 0\n\
             mail_location = maildir:{r}/mail/%u\nfirst_valid_uid = {mail_uid}\n\
             default_internal_user = {internal}\ndefault_login_user = {login}\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN {r}/passwd\n}}\n\
             userdb {{\n  driver = static\n  args = uid={mail_uid} gid={mail_gid} home={r}/home/%u\n}}\n\
             service imap-login {{\n  inet_listener imap {{\n    port = {port}\n  }}\n  inet_listener imaps {{\n    port = 0\n  }}\n}}\n"
        );
        std::fs::write(root.join("dovecot.conf"), config).expect("write");
        let dovecot = Dovecot {
            _master: tokio::process::Command::new("dovecot")
                .arg("-F")
                .arg("-c")
                .arg(root.join("dovecot.conf"))
                .kill_on_drop(true)
                .spawn()
                .expect("dovecot runs (scripts/test installs dovecot-imapd)"),
            dir,
            port,
        };
        dovecot.set_password(password);
        for _ in 0..200 {
            if let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
                let mut greeting = [0; 4];
                if tokio::io::AsyncReadExt::read_exact(&mut stream, &mut greeting)
                    .await
                    .is_ok()
                    && &greeting == b"* OK"
                {
                    return dovecot;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("dovecot did not start:\n{}", dovecot.log());
    }

    /// Dovecot reads the password file again when it changes.
    fn set_password(&self, password: &str) {
        let file = self.dir.path().join("passwd");
        let next = file.with_extension("new");
        std::fs::write(&next, format!("{USER}:{{PLAIN}}{password}\n")).expect("write");
        std::fs::rename(next, file).expect("rename");
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    fn url(&self) -> String {
        format!("imap://{USER}@127.0.0.1:{}/INBOX", self.port)
    }

    fn settings(&self, password: &str) -> ImapSettings {
        ImapSettings::from_url(&self.url(), password.into(), MAILBOX.to_uppercase()).expect("the URL")
    }

    async fn client(&self) -> async_imap::Session<tokio::net::TcpStream> {
        let stream = tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .expect("connect");
        let mut client = async_imap::Client::new(stream);
        client.read_response().await.expect("greeting");
        client.login(USER, PASSWORD).await.map_err(|(e, _)| e).expect("login")
    }

    /// Puts a message in `folder`, unseen, as a mail client or a delivery agent would.
    async fn append(&self, folder: &str, raw: &[u8]) {
        let mut client = self.client().await;
        client
            .append(folder, None, None, raw)
            .await
            .unwrap_or_else(|e| panic!("APPEND: {e}\n{}", self.log()));
        client.logout().await.expect("logout");
    }

    /// The UIDs in `folder` that match an IMAP search, e.g. `UNSEEN` or `FLAGGED`.
    async fn search(&self, folder: &str, query: &str) -> Vec<Uid> {
        let mut client = self.client().await;
        client.select(folder).await.expect("SELECT");
        let mut uids: Vec<Uid> = client.uid_search(query).await.expect("SEARCH").into_iter().collect();
        client.logout().await.expect("logout");
        uids.sort_unstable();
        uids
    }

    /// Marks a message unseen again: what a crash between the intake and `\Seen` leaves.
    async fn unsee(&self, uid: Uid) {
        let mut client = self.client().await;
        client.select("INBOX").await.expect("SELECT");
        let _: Vec<_> = client
            .uid_store(uid.to_string(), "-FLAGS (\\Seen)")
            .await
            .expect("STORE")
            .try_collect()
            .await
            .expect("STORE");
        client.logout().await.expect("logout");
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("dovecot.conf")
    }
}

impl Drop for Dovecot {
    /// The master's children go with it when it is stopped; a kill alone would leave them.
    fn drop(&mut self) {
        let _ = std::process::Command::new("dovecot")
            .arg("-c")
            .arg(self.config())
            .arg("stop")
            .status();
    }
}

/// The application and a Dovecot holding its mailbox.
struct ImapApp {
    t: TestApp,
    dovecot: Dovecot,
}

async fn imap_app(backend: Backend) -> ImapApp {
    ImapApp {
        t: mail_app(backend).await,
        dovecot: Dovecot::start(PASSWORD).await,
    }
}

impl ImapApp {
    fn poller(&self, settings: ImapSettings) -> ImapPoller {
        ImapPoller::new(Mailroom::new(self.t.app.clone(), mail_settings(None)), settings).expect("a poller")
    }

    async fn poll(&self) -> Vec<Taken> {
        self.poller(self.dovecot.settings(PASSWORD))
            .poll_once()
            .await
            .expect("a round of polling")
    }
}

fn reference(taken: &Taken) -> String {
    match &taken.outcome {
        Ok(Delivered::Case { reference, .. } | Delivered::Comment { reference }) => reference.clone(),
        other => panic!("not a case: {other:?}"),
    }
}

/// Waits, a bounded number of times, for `done` to hold.
async fn eventually<F: std::future::Future<Output = bool>>(what: &str, mut done: impl FnMut() -> F) {
    for _ in 0..600 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never happened: {what}");
}

on_both! { imap_app;

    async fn new_arabic_mail_becomes_cases_and_robots_none_but_all_are_marked_seen(x: &ImapApp) {
        let (t, dovecot) = (&x.t, &x.dovecot);
        for file in [
            "02_outlook_ar_cp1256_pothole_inline.eml",
            "01_gmail_ar_utf8_water_leak.eml",
            "22_bounce_dsn_postfix.eml",
            "20_outlook_auto_reply_en.eml",
        ] {
            dovecot.append("INBOX", &corpus(file)).await;
        }
        assert_eq!(dovecot.search("INBOX", "UNSEEN").await.len(), 4);
        let taken = x.poll().await;
        assert_eq!(taken.len(), 4, "{taken:#?}");
        let (outlook, _) = case(t, &reference(&taken[0])).await;
        assert_eq!(outlook.channel, Channel::Email);
        assert_eq!(outlook.service_code, "pothole", "windows-1256 read and guessed from");
        assert_eq!(outlook.language, Language::Ar);
        assert_eq!(outlook.reporter_email.as_deref(), Some("fatima.ali@company.com.bh"));
        assert_eq!(outlook.reporter_name.as_deref(), Some("فاطمة علي"));
        assert_eq!(t.store.attachments(outlook.id).await.expect("attachments").len(), 1);
        let (gmail, _) = case(t, &reference(&taken[1])).await;
        assert_eq!(gmail.service_code, "water-leak");
        assert_eq!(taken[2].outcome, Ok(Delivered::Ignored { why: "bounce" }));
        assert_eq!(taken[3].outcome, Ok(Delivered::Ignored { why: "auto_reply" }));
        assert_eq!(t.case_count().await, 2, "the bounce and the auto-reply made none");
        assert!(dovecot.search("INBOX", "UNSEEN").await.is_empty(), "all four marked seen");
        assert!(dovecot.search("INBOX", "FLAGGED").await.is_empty(), "none refused");

        // The reporter is acknowledged as from SMTP; the next round finds nothing to do.
        t.work().await;
        let ack = t.inbox("ahmed.bh@gmail.com", 1).await.pop().expect("acknowledged");
        assert!(ack.subject.contains(&gmail.reference), "{}", ack.subject);
        assert!(x.poll().await.is_empty());
        assert_eq!(t.case_count().await, 2);
    }

    async fn a_reply_threads_into_its_case_and_a_strangers_is_flagged_for_a_person(x: &ImapApp) {
        let (t, dovecot) = (&x.t, &x.dovecot);
        dovecot.append("INBOX", &corpus("01_gmail_ar_utf8_water_leak.eml")).await;
        let made = reference(&x.poll().await[0]);
        t.work().await;
        let ack = t.inbox("ahmed.bh@gmail.com", 1).await.pop().expect("acknowledged");
        let ack_id = ack.message_id.clone().expect("a Message-ID");
        let reply = mail(
            "Ahmed <ahmed.bh@gmail.com>",
            &format!("Re: {}", ack.subject),
            &format!("Message-ID: <imap-reply-1@gmail.com>\r\nIn-Reply-To: {ack_id}\r\n"),
            "ما زال التسرب مستمرا.",
        );
        let stranger = mail(
            "neighbour@example.com",
            &format!("Re: {}", ack.subject),
            &format!("Message-ID: <imap-reply-2@example.com>\r\nIn-Reply-To: {ack_id}\r\n"),
            "I see it too",
        );
        dovecot.append("INBOX", &reply).await;
        dovecot.append("INBOX", &stranger).await;
        let taken = x.poll().await;
        assert_eq!(taken[0].outcome, Ok(Delivered::Comment { reference: made.clone() }));
        let (_, events) = case(t, &made).await;
        let comments: Vec<_> = events.iter().filter(|e| e.action == "reporter_comment").collect();
        assert_eq!(comments.len(), 1);
        assert_eq!(comments[0].body.as_deref(), Some("ما زال التسرب مستمرا."));
        assert!(matches!(&taken[1].outcome, Err(Refused::Permanent(why)) if why.contains("only from the address")), "{taken:#?}");
        assert_eq!(t.case_count().await, 1, "a reply is never a new case");
        assert_eq!(dovecot.search("INBOX", "FLAGGED").await, [taken[1].uid], "the stranger's is left for a person");
        assert!(dovecot.search("INBOX", "UNSEEN").await.is_empty());
    }

    async fn a_message_read_twice_makes_one_case_and_bad_ones_are_flagged(x: &ImapApp) {
        let (t, dovecot) = (&x.t, &x.dovecot);
        let with_id = mail("r@example.com", "pothole", "Message-ID: <imap-twice@example.com>\r\n", "a deep pothole");
        let without_id = mail("s@example.com", "حفرة", "", "حفرة عميقة أمام البيت");
        dovecot.append("INBOX", &with_id).await;
        dovecot.append("INBOX", &without_id).await;

        // While the mailbox cannot take cases (its service is missing), mail is left unseen.
        let mut unready = mail_settings(None);
        unready.mailboxes[0].service = "no-such-service".into();
        let deferred = ImapPoller::new(Mailroom::new(t.app.clone(), unready), dovecot.settings(PASSWORD))
            .expect("a poller")
            .poll_once()
            .await
            .expect("a round of polling");
        assert_eq!(deferred.len(), 2, "{deferred:#?}");
        assert!(deferred.iter().all(|d| matches!(d.outcome, Err(Refused::Temporary(_)))), "{deferred:#?}");
        assert_eq!(dovecot.search("INBOX", "UNSEEN").await.len(), 2, "reading did not mark them");
        assert!(dovecot.search("INBOX", "FLAGGED").await.is_empty());
        assert_eq!(t.case_count().await, 0);

        let first = x.poll().await;
        let references: Vec<String> = first.iter().map(reference).collect();
        assert_eq!(t.case_count().await, 2);

        // A crash after the intake committed and before \Seen: both are read again.
        for taken in &first {
            dovecot.unsee(taken.uid).await;
        }
        let again = x.poll().await;
        assert_eq!(again.len(), 2, "{again:#?}");
        for (taken, reference) in again.iter().zip(&references) {
            match &taken.outcome {
                Ok(Delivered::Ignored { why: "repeated" }) => {}
                Ok(Delivered::Case { reference: same, replayed: true, .. }) => assert_eq!(same, reference),
                other => panic!("read twice, taken twice: {other:?}"),
            }
        }
        assert_eq!(t.case_count().await, 2, "still one case each");
        assert!(dovecot.search("INBOX", "UNSEEN").await.is_empty());

        // Malformed, oversized and hostile mail: refused, flagged, no case, not read again.
        let oversized = mail("o@example.com", "big", "Message-ID: <imap-big@example.com>\r\n", &"ب".repeat(common::LIMIT));
        let hostile = "From: x@example.com\r\nTo: complaints@localhost\r\nSubject: photo\r\nMessage-ID: <imap-exe@example.com>\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee the photo\r\n--b\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment; filename=photo.jpg\r\nContent-Transfer-Encoding: base64\r\n\r\nTVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAA\r\n--b--\r\n";
        dovecot.append("INBOX", &corpus("26_not_a_message.eml")).await;
        dovecot.append("INBOX", &oversized).await;
        dovecot.append("INBOX", hostile.as_bytes()).await;
        let refused = x.poll().await;
        assert_eq!(refused.len(), 3, "{refused:#?}");
        for taken in &refused {
            assert!(matches!(taken.outcome, Err(Refused::Permanent(_))), "{taken:?}");
        }
        assert!(matches!(&refused[1].outcome, Err(Refused::Permanent(why)) if why.starts_with("5.3.4")), "{refused:#?}");
        assert_eq!(dovecot.search("INBOX", "FLAGGED").await, refused.iter().map(|r| r.uid).collect::<Vec<_>>());
        assert_eq!(t.case_count().await, 2);
        assert!(x.poll().await.is_empty(), "refused mail is not read again");
    }

    async fn processed_mail_is_moved_when_asked_and_refused_mail_stays(x: &ImapApp) {
        let (t, dovecot) = (&x.t, &x.dovecot);
        dovecot.append("INBOX", &corpus("05_outlook_en_parking.eml")).await;
        dovecot.append("INBOX", &corpus("24_list_newsletter.eml")).await;
        dovecot.append("INBOX", &corpus("26_not_a_message.eml")).await;
        let mut settings = dovecot.settings(PASSWORD);
        settings.move_to = Some("Processed".into());
        let taken = x.poller(settings).poll_once().await.expect("a round of polling");
        assert_eq!(taken.len(), 3, "{taken:#?}");
        reference(&taken[0]);
        assert_eq!(taken[1].outcome, Ok(Delivered::Ignored { why: "list" }));
        assert_eq!(t.case_count().await, 1);
        assert_eq!(dovecot.search("INBOX", "ALL").await, [taken[2].uid], "only the refused one is left");
        assert_eq!(dovecot.search("INBOX", "FLAGGED").await, [taken[2].uid]);
        assert_eq!(dovecot.search("Processed", "SEEN").await.len(), 2, "the folder was made and both moved, seen");

        let mut elsewhere = dovecot.settings(PASSWORD);
        elsewhere.folder = "No such folder".into();
        match x.poller(elsewhere).poll_once().await {
            Err(e @ ImapError::Folder { .. }) => assert!(e.to_string().contains("\"No such folder\" cannot be opened"), "{e}"),
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_reads_the_mailbox_with_idle_and_outlives_a_bad_password() {
    let dovecot = Dovecot::start("an-old-password").await;

    // Nobody listening, and a refused login: each a clear error naming the server.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let nowhere = format!(
        "imap://{USER}@127.0.0.1:{}/INBOX",
        closed.local_addr().expect("address").port()
    );
    drop(closed);
    let t = mail_app(Backend::Sqlite).await;
    let poller =
        |settings| ImapPoller::new(Mailroom::new(t.app.clone(), mail_settings(None)), settings).expect("a poller");
    let unreachable = ImapSettings::from_url(&nowhere, PASSWORD.into(), MAILBOX.into()).expect("URL");
    match poller(unreachable).poll_once().await {
        Err(e @ ImapError::Connect { .. }) => assert!(e.to_string().contains("cannot connect"), "{e}"),
        other => panic!("{other:?}"),
    }
    match poller(dovecot.settings(PASSWORD)).poll_once().await {
        Err(e @ ImapError::Login { .. }) => {
            let e = e.to_string();
            assert!(e.contains("refused the login of \"tawasul\""), "{e}");
            assert!(e.contains("Authentication failed"), "the server's reason: {e}");
            assert!(!e.contains(PASSWORD), "{e}");
        }
        other => panic!("{other:?}"),
    }
    drop(t);

    // The server keeps trying through refused logins; once the password is right, mail
    // comes in. A search only every hour: the second mail can come only by IDLE.
    let mut settings = dovecot.settings(PASSWORD);
    settings.poll = Duration::from_secs(3600);
    let t = mail_app_with(Backend::Sqlite, None, Some(settings)).await;
    let failures = || dovecot.log().matches("auth failed").count();
    eventually("the server's login is refused", || async { failures() >= 2 }).await;
    let (status, _) = t.api_get("/healthz", None).await;
    assert!(status.is_success(), "the server serves on: {status}");
    dovecot.set_password(PASSWORD);
    dovecot
        .append("INBOX", &corpus("01_gmail_ar_utf8_water_leak.eml"))
        .await;
    eventually("the first mail becomes a case", || async { t.case_count().await == 1 }).await;
    dovecot
        .append("INBOX", &corpus("02_outlook_ar_cp1256_pothole_inline.eml"))
        .await;
    eventually("the second mail becomes a case", || async { t.case_count().await == 2 }).await;
    eventually("both are marked seen", || async {
        dovecot.search("INBOX", "UNSEEN").await.is_empty()
    })
    .await;
}
