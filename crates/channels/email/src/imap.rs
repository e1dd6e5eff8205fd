//! IMAP polling of a mailbox into cases: `tawasul serve --imap-url imap://user@host/INBOX`.
//! Each unseen message of the folder is read without marking it (`BODY.PEEK[]`), handed to
//! the [`Mailroom`] as if it had come by SMTP to the mailbox's address, and only after the
//! intake has committed is it marked `\Seen` (or moved to `--imap-move-to`). A crash in
//! between leaves it unseen: it is read again, and the intake's retry key (its Message-ID,
//! or one made from the folder's UIDVALIDITY and its UID when it has none) makes the second
//! reading add nothing. A mail refused for good (a stranger's reply, a file that is not a
//! photo) is marked `\Seen` and `\Flagged` and left in the folder for a person; a mail refused
//! for now (the database busy) stays unseen and is tried again.
//!
//! Where the server offers IDLE (RFC 2177) new mail is taken at once; the folder is searched
//! again every poll interval in any case. A lost connection or a refused login is logged and
//! tried again after a pause that doubles up to five minutes; it never stops the server.

use crate::{Delivered, Mailroom, Refused};
use async_imap::extensions::idle::IdleResponse;
use async_imap::types::{Uid, UnsolicitedResponse};
use futures::TryStreamExt;
use mail_parser::MessageParser;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};

/// A command the server has not answered in this long is taken as a lost connection.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);
/// The first pause after a failure; it doubles up to [`BACKOFF_CAP`].
const BACKOFF_FIRST: Duration = Duration::from_secs(1);
const BACKOFF_CAP: Duration = Duration::from_secs(300);

/// A mailbox to poll and what its mail stands for.
#[derive(Clone)]
pub struct ImapSettings {
    /// `imaps://` (TLS from the start) or `imap://` (plain).
    pub tls: bool,
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    /// The folder read, `INBOX` by default.
    pub folder: String,
    /// Which of the mailboxes ([`crate::MailboxConfig`]) this one receives for: its mail is
    /// routed as mail to that address.
    pub recipient: String,
    /// Processed mail is moved here (created when missing) instead of only marked `\Seen`.
    pub move_to: Option<String>,
    /// How often the folder is searched, with or without IDLE.
    pub poll: Duration,
}

impl fmt::Debug for ImapSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImapSettings")
            .field("server", &self.server())
            .field("user", &self.user)
            .field("folder", &self.folder)
            .field("recipient", &self.recipient)
            .field("move_to", &self.move_to)
            .field("poll", &self.poll)
            .finish_non_exhaustive()
    }
}

/// Why an `--imap-url` cannot be used.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImapUrlError {
    #[error("{0:?} is not a URL: write imap://user@host:port/INBOX or imaps://…")]
    NotAUrl(String),
    #[error("the scheme {0:?} is not imap or imaps")]
    Scheme(String),
    #[error("the URL names no host")]
    NoHost,
    #[error("the URL names no user: write imap://user@host/INBOX")]
    NoUser,
    #[error("the URL holds a password: give it in --imap-password-file or TAWASUL_IMAP_PASSWORD")]
    PasswordInUrl,
}

impl ImapSettings {
    /// The server, user and folder from `imap://user@host[:port][/FOLDER]` (port 143) or
    /// `imaps://…` (993); a user with `@` in it is written `%40`. The rest is as given, with
    /// INBOX for a URL without a folder and a minute between searches.
    pub fn from_url(raw: &str, password: String, recipient: String) -> Result<Self, ImapUrlError> {
        let url = url::Url::parse(raw).map_err(|_| ImapUrlError::NotAUrl(raw.to_owned()))?;
        let tls = match url.scheme() {
            "imap" => false,
            "imaps" => true,
            other => return Err(ImapUrlError::Scheme(other.to_owned())),
        };
        if url.password().is_some() {
            return Err(ImapUrlError::PasswordInUrl);
        }
        let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
        let user = decode(url.username());
        if user.is_empty() {
            return Err(ImapUrlError::NoUser);
        }
        let folder = decode(url.path().trim_matches('/'));
        Ok(Self {
            tls,
            host: url
                .host_str()
                .filter(|h| !h.is_empty())
                .ok_or(ImapUrlError::NoHost)?
                .to_owned(),
            port: url.port().unwrap_or(if tls { 993 } else { 143 }),
            user,
            password,
            folder: if folder.is_empty() { "INBOX".into() } else { folder },
            recipient,
            move_to: None,
            poll: Duration::from_secs(60),
        })
    }

    fn server(&self) -> String {
        let scheme = if self.tls { "imaps" } else { "imap" };
        format!("{scheme}://{}:{}", self.host, self.port)
    }
}

/// Why a round with the mailbox failed; each names the server.
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    #[error("{server}: cannot connect: {error}")]
    Connect { server: String, error: std::io::Error },
    #[error("{server} refused the login of {user:?}: {reason}")]
    Login {
        server: String,
        user: String,
        reason: String,
    },
    #[error("{server}: the folder {folder:?} cannot be opened: {reason}")]
    Folder {
        server: String,
        folder: String,
        reason: String,
    },
    #[error("{server} does not offer MOVE (RFC 6851), which --imap-move-to needs")]
    NoMove { server: String },
    #[error("{server}: {error}")]
    Protocol {
        server: String,
        error: async_imap::error::Error,
    },
    #[error("{server}: no answer in {seconds} s", seconds = COMMAND_TIMEOUT.as_secs())]
    Timeout { server: String },
}

/// What became of one unseen message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taken {
    pub uid: Uid,
    pub outcome: Result<Delivered, Refused>,
}

/// Any byte stream to the server, plain or TLS.
trait Connection: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug> Connection for T {}
type Session = async_imap::Session<Box<dyn Connection>>;

/// A logged-in session with the folder selected.
struct Opened {
    session: Session,
    /// Whether the server offers IDLE.
    idle: bool,
    uid_validity: Option<u32>,
}

/// Reads one mailbox into cases.
pub struct ImapPoller {
    mailroom: Mailroom,
    settings: ImapSettings,
    tls: Option<tokio_rustls::TlsConnector>,
}

impl ImapPoller {
    /// Refuses a recipient that is none of the mailroom's mailboxes.
    pub fn new(mailroom: Mailroom, mut settings: ImapSettings) -> anyhow::Result<Self> {
        let Some(mailbox) = mailroom.mailbox(&settings.recipient) else {
            anyhow::bail!(
                "--imap-recipient {:?} is none of the --mail-recipient addresses",
                settings.recipient
            );
        };
        settings.recipient = mailbox.address.clone();
        let tls = settings.tls.then(|| {
            let mut roots = rustls::RootCertStore::empty();
            let found = rustls_native_certs::load_native_certs();
            for error in &found.errors {
                tracing::warn!(%error, "a system certificate could not be read");
            }
            let (added, _) = roots.add_parsable_certificates(found.certs);
            tracing::debug!(added, "system certificates trusted for IMAP");
            tokio_rustls::TlsConnector::from(Arc::new(
                rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                    .with_safe_default_protocol_versions()
                    .map(|b| b.with_root_certificates(roots).with_no_client_auth())
                    .expect("ring offers the default protocol versions"),
            ))
        });
        Ok(Self {
            mailroom,
            settings,
            tls,
        })
    }

    /// Connects, takes in every unseen message once, and logs out: one round of polling.
    pub async fn poll_once(&self) -> Result<Vec<Taken>, ImapError> {
        let Opened {
            mut session,
            uid_validity,
            ..
        } = self.connect().await?;
        let taken = self.take_unseen(&mut session, uid_validity).await?;
        let _ = self.within(session.logout()).await;
        Ok(taken)
    }

    /// Polls until `shutdown` resolves, over one connection kept open (IDLE between rounds
    /// where offered), connecting again after a pause when it fails.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut pause = BACKOFF_FIRST;
        loop {
            let failure = tokio::select! {
                _ = &mut shutdown => return,
                failure = self.serve(&mut pause) => failure,
            };
            tracing::error!(error = %failure, retry_in_seconds = pause.as_secs(), "reading the IMAP mailbox failed");
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tokio::time::sleep(pause) => {}
            }
            pause = (pause * 2).min(BACKOFF_CAP);
        }
    }

    /// One connection's life: rounds of taking unseen mail, with IDLE or a pause between
    /// them, until it fails. A working login resets `pause`.
    async fn serve(&self, pause: &mut Duration) -> ImapError {
        let Opened {
            mut session,
            idle,
            uid_validity,
        } = match self.connect().await {
            Ok(opened) => opened,
            Err(e) => return e,
        };
        *pause = BACKOFF_FIRST;
        tracing::info!(server = %self.settings.server(), folder = %self.settings.folder, idle, "reading the IMAP mailbox");
        loop {
            // Notices of new mail that came with earlier answers are covered by this search.
            while session.unsolicited_responses.try_recv().is_ok() {}
            if let Err(e) = self.take_unseen(&mut session, uid_validity).await {
                return e;
            }
            // Mail that came while taking was announced to this session, not to IDLE after it.
            let arrived = std::iter::from_fn(|| session.unsolicited_responses.try_recv().ok())
                .any(|notice| matches!(notice, UnsolicitedResponse::Exists(_) | UnsolicitedResponse::Recent(_)));
            if arrived {
                continue;
            }
            if !idle {
                tokio::time::sleep(self.settings.poll).await;
                continue;
            }
            let mut handle = session.idle();
            if let Err(e) = self.within(handle.init()).await {
                return e;
            }
            let (wait, _interrupt) = handle.wait_with_timeout(self.settings.poll);
            match wait.await {
                Ok(IdleResponse::NewData(_) | IdleResponse::Timeout | IdleResponse::ManualInterrupt) => {}
                Err(error) => return self.protocol(error),
            }
            session = match self.within(handle.done()).await {
                Ok(session) => session,
                Err(e) => return e,
            };
        }
    }

    fn protocol(&self, error: async_imap::error::Error) -> ImapError {
        ImapError::Protocol {
            server: self.settings.server(),
            error,
        }
    }

    /// One IMAP command, given [`COMMAND_TIMEOUT`] to answer.
    async fn within<T>(&self, command: impl Future<Output = async_imap::error::Result<T>>) -> Result<T, ImapError> {
        match tokio::time::timeout(COMMAND_TIMEOUT, command).await {
            Err(_) => Err(ImapError::Timeout {
                server: self.settings.server(),
            }),
            Ok(result) => result.map_err(|error| self.protocol(error)),
        }
    }

    /// A logged-in session with the folder selected.
    async fn connect(&self) -> Result<Opened, ImapError> {
        let settings = &self.settings;
        let server = settings.server();
        let connect_error = |error| ImapError::Connect {
            server: server.clone(),
            error,
        };
        let timed_out = || connect_error(std::io::ErrorKind::TimedOut.into());
        let tcp = tokio::time::timeout(
            COMMAND_TIMEOUT,
            tokio::net::TcpStream::connect((settings.host.as_str(), settings.port)),
        )
        .await
        .map_err(|_| timed_out())?
        .map_err(connect_error)?;
        let stream: Box<dyn Connection> = match &self.tls {
            None => Box::new(tcp),
            Some(connector) => {
                let name = rustls::pki_types::ServerName::try_from(settings.host.clone())
                    .map_err(|e| connect_error(std::io::Error::new(std::io::ErrorKind::InvalidInput, e)))?;
                let handshake = connector.connect(name, tcp);
                Box::new(
                    tokio::time::timeout(COMMAND_TIMEOUT, handshake)
                        .await
                        .map_err(|_| timed_out())?
                        .map_err(connect_error)?,
                )
            }
        };
        let mut client = async_imap::Client::new(stream);
        match tokio::time::timeout(COMMAND_TIMEOUT, client.read_response()).await {
            Err(_) => return Err(timed_out()),
            Ok(Err(e)) => return Err(connect_error(e)),
            Ok(Ok(None)) => return Err(connect_error(std::io::ErrorKind::UnexpectedEof.into())),
            Ok(Ok(Some(_greeting))) => {}
        }
        let login = tokio::time::timeout(COMMAND_TIMEOUT, client.login(&settings.user, &settings.password)).await;
        let mut session = match login {
            Err(_) => return Err(timed_out()),
            Ok(Ok(session)) => session,
            Ok(Err((e, _))) => {
                return Err(ImapError::Login {
                    server,
                    user: settings.user.clone(),
                    reason: match e {
                        async_imap::error::Error::No(reason) | async_imap::error::Error::Bad(reason) => reason,
                        other => other.to_string(),
                    },
                })
            }
        };
        let capabilities = self.within(session.capabilities()).await?;
        if let Some(target) = &settings.move_to {
            if !capabilities.has_str("MOVE") {
                return Err(ImapError::NoMove { server });
            }
            let existing: Vec<_> = self
                .within(async { session.list(None, Some(target)).await?.try_collect().await })
                .await?;
            if existing.is_empty() {
                self.within(session.create(target)).await?;
            }
        }
        let folder = match self.within(session.select(&settings.folder)).await {
            Err(ImapError::Protocol { error, .. }) => {
                return Err(ImapError::Folder {
                    server,
                    folder: settings.folder.clone(),
                    reason: error.to_string(),
                })
            }
            other => other?,
        };
        Ok(Opened {
            session,
            idle: capabilities.has_str("IDLE"),
            uid_validity: folder.uid_validity,
        })
    }

    /// The mail as read, with a Message-ID made of where it lies (the folder's UIDVALIDITY
    /// and its UID) when it has none, so that reading it twice is still one case.
    fn with_message_id(&self, raw: Vec<u8>, uid_validity: Option<u32>, uid: Uid) -> Vec<u8> {
        let has_one = MessageParser::default()
            .parse_headers(&raw)
            .is_some_and(|headers| headers.message_id().is_some());
        match uid_validity {
            Some(validity) if !has_one => {
                let mut stamped =
                    format!("Message-ID: <{validity}.{uid}.imap@{}>\r\n", self.settings.host).into_bytes();
                stamped.extend_from_slice(&raw);
                stamped
            }
            _ => raw,
        }
    }

    /// Takes in the folder's unseen messages, oldest first.
    async fn take_unseen(&self, session: &mut Session, uid_validity: Option<u32>) -> Result<Vec<Taken>, ImapError> {
        let mut unseen: Vec<Uid> = self.within(session.uid_search("UNSEEN")).await?.into_iter().collect();
        unseen.sort_unstable();
        let mut taken = Vec::with_capacity(unseen.len());
        for uid in unseen {
            let outcome = self.take(session, uid_validity, uid).await?;
            taken.push(Taken { uid, outcome });
        }
        Ok(taken)
    }

    /// Reads one message, delivers it, and marks it as the outcome says.
    async fn take(
        &self,
        session: &mut Session,
        uid_validity: Option<u32>,
        uid: Uid,
    ) -> Result<Result<Delivered, Refused>, ImapError> {
        let max = self.mailroom.settings().max_message_bytes;
        let size = self
            .fetch(session, uid, "(UID RFC822.SIZE)")
            .await?
            .and_then(|(size, _)| size);
        let outcome = match size {
            // Gone meanwhile (another reader moved it): nothing to do.
            None => return Ok(Err(Refused::Temporary("the message is gone".into()))),
            Some(size) if size as usize > max => Err(Refused::Permanent(format!(
                "5.3.4 the message is larger than {max} bytes"
            ))),
            Some(_) => match self.fetch(session, uid, "(UID BODY.PEEK[])").await? {
                Some((_, Some(raw))) => {
                    let raw = self.with_message_id(raw, uid_validity, uid);
                    let recipients = [self.settings.recipient.clone()];
                    self.mailroom.deliver(&raw, None, &recipients).await
                }
                _ => return Ok(Err(Refused::Temporary("the message is gone".into()))),
            },
        };
        let set = uid.to_string();
        match &outcome {
            Ok(delivered) => {
                tracing::info!(uid, ?delivered, "a mail from the IMAP mailbox was taken in");
                match &self.settings.move_to {
                    Some(target) => {
                        self.store(session, &set, "+FLAGS.SILENT (\\Seen)").await?;
                        self.within(session.uid_mv(&set, target)).await?;
                    }
                    None => self.store(session, &set, "+FLAGS.SILENT (\\Seen)").await?,
                }
            }
            Err(Refused::Permanent(why)) => {
                tracing::warn!(uid, reason = %why, "a mail in the IMAP mailbox was refused; it is flagged for a person");
                self.store(session, &set, "+FLAGS.SILENT (\\Seen \\Flagged)").await?;
            }
            Err(Refused::Temporary(why)) => {
                tracing::warn!(uid, reason = %why, "a mail in the IMAP mailbox could not be taken in now; it is tried again");
            }
        }
        Ok(outcome)
    }

    /// The message's size and bytes as asked for; `None` when it is no longer there.
    async fn fetch(
        &self,
        session: &mut Session,
        uid: Uid,
        query: &str,
    ) -> Result<Option<(Option<u32>, Option<Vec<u8>>)>, ImapError> {
        let fetched: Vec<_> = self
            .within(async { session.uid_fetch(uid.to_string(), query).await?.try_collect().await })
            .await?;
        Ok(fetched
            .iter()
            .find(|f| f.uid == Some(uid))
            .map(|f| (f.size, f.body().map(<[u8]>::to_vec))))
    }

    async fn store(&self, session: &mut Session, set: &str, flags: &str) -> Result<(), ImapError> {
        self.within(async { session.uid_store(set, flags).await?.try_collect::<Vec<_>>().await })
            .await
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> Result<ImapSettings, ImapUrlError> {
        ImapSettings::from_url(url, "pw".into(), "complaints@example.gov".into())
    }

    #[test]
    fn urls_name_the_server_user_and_folder() {
        let plain = parse("imap://intake@mail.example.gov/INBOX").expect("a URL");
        assert_eq!(
            (
                plain.tls,
                plain.host.as_str(),
                plain.port,
                plain.user.as_str(),
                plain.folder.as_str()
            ),
            (false, "mail.example.gov", 143, "intake", "INBOX")
        );
        let tls = parse("imaps://intake%40example.gov@mail.example.gov:1993/Cases%20In").expect("a URL");
        assert_eq!(
            (tls.tls, tls.port, tls.user.as_str(), tls.folder.as_str()),
            (true, 1993, "intake@example.gov", "Cases In")
        );
        assert_eq!(parse("imaps://u@h").expect("a URL").folder, "INBOX");
        assert_eq!(parse("imaps://u@h").expect("a URL").port, 993);
    }

    #[test]
    fn bad_urls_and_passwords_in_them_are_refused() {
        assert_eq!(
            parse("imap://u:secret@h/INBOX").err(),
            Some(ImapUrlError::PasswordInUrl)
        );
        assert_eq!(parse("imap://h/INBOX").err(), Some(ImapUrlError::NoUser));
        assert_eq!(parse("pop3://u@h").err(), Some(ImapUrlError::Scheme("pop3".into())));
        assert!(matches!(parse("mail.example.gov"), Err(ImapUrlError::NotAUrl(_))));
        assert!(matches!(
            parse("imap://u@:143/INBOX"),
            Err(ImapUrlError::NotAUrl(_) | ImapUrlError::NoHost)
        ));
    }

    #[test]
    fn the_password_is_never_shown() {
        let settings =
            ImapSettings::from_url("imap://u@h/INBOX", "hunter2-secret".into(), "a@b".into()).expect("a URL");
        let shown = format!("{settings:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("imap://h:143"), "{shown}");
    }
}
