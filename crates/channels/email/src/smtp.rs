//! The embedded SMTP receiver (RFC 5321): `tawasul serve --smtp-listen ADDR`. It takes mail
//! for the configured mailboxes only (550 for any other recipient), refuses what is larger
//! than the limit (announced with `SIZE`, 552 when exceeded), speaks PIPELINING, 8BITMIME and
//! SMTPUTF8, and answers after the final dot with what became of the mail, so that a mail is
//! either taken in or refused back to its sender: none is lost in between.
//!
//! With a certificate ([`StartTls`], `--smtp-tls-cert` and `--smtp-tls-key`) it offers
//! STARTTLS (RFC 3207); without one it offers none, and is meant to run behind a relay that
//! terminates TLS, or on a trusted network.

use crate::{Delivered, Mailroom, Refused};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// The longest command line taken (RFC 5321 asks for at least 512 octets).
const MAX_COMMAND_LINE: usize = 2048;
/// The longest line inside a message (RFC 5321: 1000 with CRLF); longer ones are taken whole
/// up to this, since some clients do not fold, but the message size still counts them.
const MAX_TEXT_LINE: usize = 64 * 1024;
const MAX_RECIPIENTS: usize = 100;
/// After this many bad commands the session is closed.
const MAX_ERRORS: usize = 10;
/// Sessions at once; one more is told 421 and closed.
const MAX_SESSIONS: usize = 128;
/// An idle client is let go after this (RFC 5321 asks for five minutes or more).
const IDLE: Duration = Duration::from_secs(300);

/// The certificate and key the receiver offers STARTTLS with.
#[derive(Clone)]
pub struct StartTls(tokio_rustls::TlsAcceptor);

/// Why a certificate or key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("reading {}: {error}", path.display())]
    Read { path: PathBuf, error: std::io::Error },
    #[error("{} holds no PEM certificate: {message}", path.display())]
    NoCertificate { path: PathBuf, message: String },
    #[error("{} holds no PEM private key: {message}", path.display())]
    NoKey { path: PathBuf, message: String },
    #[error("the certificate and key do not make a TLS server: {0}")]
    Rejected(#[from] rustls::Error),
}

impl StartTls {
    /// Reads a PEM certificate chain (the server's first) and its PEM private key.
    pub fn from_pem_files(certificate: &Path, key: &Path) -> Result<Self, TlsSetupError> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|error| TlsSetupError::Read {
                path: path.to_owned(),
                error,
            })
        };
        let chain = CertificateDer::pem_slice_iter(&read(certificate)?)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())
            .and_then(|chain| match chain.is_empty() {
                true => Err("no CERTIFICATE section".to_owned()),
                false => Ok(chain),
            })
            .map_err(|message| TlsSetupError::NoCertificate {
                path: certificate.to_owned(),
                message,
            })?;
        let key = PrivateKeyDer::from_pem_slice(&read(key)?).map_err(|e| TlsSetupError::NoKey {
            path: key.to_owned(),
            message: e.to_string(),
        })?;
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;
        Ok(Self(tokio_rustls::TlsAcceptor::from(Arc::new(config))))
    }
}

impl std::fmt::Debug for StartTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StartTls")
    }
}

/// A bound SMTP receiver, not yet serving.
pub struct SmtpReceiver {
    listener: TcpListener,
    mailroom: Mailroom,
}

impl SmtpReceiver {
    pub async fn bind(address: SocketAddr, mailroom: Mailroom) -> std::io::Result<Self> {
        let listener = TcpListener::bind(address).await?;
        Ok(Self { listener, mailroom })
    }

    pub fn address(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves sessions until `shutdown` resolves; sessions under way are left to finish.
    pub async fn run_until(self, shutdown: impl std::future::Future<Output = ()>) {
        let sessions = Arc::new(Semaphore::new(MAX_SESSIONS));
        tokio::pin!(shutdown);
        loop {
            let accepted = tokio::select! {
                _ = &mut shutdown => return,
                accepted = self.listener.accept() => accepted,
            };
            let (socket, peer) = match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "SMTP accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let _ = socket.set_nodelay(true);
            let mailroom = self.mailroom.clone();
            let permit = sessions.clone().try_acquire_owned();
            tokio::spawn(async move {
                let mut socket = socket;
                let Ok(_permit) = permit else {
                    let _ = socket
                        .write_all(b"421 4.3.2 too many sessions; try again later\r\n")
                        .await;
                    return;
                };
                if let Err(e) = session(socket, &mailroom).await {
                    tracing::debug!(%peer, error = %e, "SMTP session ended");
                }
            });
        }
    }
}

/// A line as read: its bytes without the line end, or `TooLong` (the rest of it discarded).
enum Line {
    Text(Vec<u8>),
    TooLong,
    Closed,
}

/// Reads one line of at most `limit` bytes, taking CRLF or a bare LF as its end.
async fn read_line<R: AsyncBufRead + Unpin>(reader: &mut R, limit: usize) -> std::io::Result<Line> {
    let mut line = Vec::new();
    let mut too_long = false;
    loop {
        let buffer = reader.fill_buf().await?;
        if buffer.is_empty() {
            return Ok(if line.is_empty() && !too_long {
                Line::Closed
            } else {
                Line::Text(line)
            });
        }
        let (chunk, done) = match buffer.iter().position(|b| *b == b'\n') {
            Some(i) => (&buffer[..=i], true),
            None => (buffer, false),
        };
        let n = chunk.len();
        if !too_long {
            if line.len() + n > limit + 2 {
                too_long = true;
                line.clear();
            } else {
                line.extend_from_slice(chunk);
            }
        }
        reader.consume(n);
        if done {
            if too_long {
                return Ok(Line::TooLong);
            }
            while matches!(line.last(), Some(b'\n' | b'\r')) {
                line.pop();
            }
            return Ok(Line::Text(line));
        }
    }
}

/// The address inside `FROM:<…>` / `TO:<…>`, and the parameters after it.
fn path_of(argument: &str, keyword: &str) -> Option<(String, Vec<String>)> {
    let rest = argument
        .get(..keyword.len())
        .filter(|k| k.eq_ignore_ascii_case(keyword))?;
    let rest = argument[rest.len()..].trim_start();
    let rest = rest.strip_prefix('<')?;
    let end = rest.find('>')?;
    let address = rest[..end].trim();
    // A source route (`<@a,@b:user@c>`) is ignored, as RFC 5321 allows.
    let address = address.rsplit(':').next().unwrap_or(address).to_owned();
    let parameters = rest[end + 1..].split_whitespace().map(str::to_owned).collect();
    Some((address, parameters))
}

struct Envelope {
    from: Option<String>,
    to: Vec<String>,
}

async fn reply<W: AsyncWrite + Unpin>(write: &mut W, text: &str) -> std::io::Result<()> {
    write.write_all(text.as_bytes()).await?;
    write.write_all(b"\r\n").await?;
    write.flush().await
}

/// Where a session stands with TLS.
#[derive(Clone, Copy)]
enum Tls<'a> {
    /// No certificate is configured.
    Unavailable,
    Offered(&'a StartTls),
    Active,
}

/// How a dialogue ended.
enum Ended {
    Closed,
    /// The client asked for TLS and was told to go ahead.
    StartTls,
}

/// One client's session, on any byte stream (a TCP socket, or a test's duplex pipe).
pub async fn session<S>(stream: S, mailroom: &Mailroom) -> std::io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let settings = mailroom.settings();
    let mut plain = BufReader::new(stream);
    reply(&mut plain, &format!("220 {} ESMTP Tawasul", settings.hostname)).await?;
    let tls = match &settings.starttls {
        Some(starttls) => Tls::Offered(starttls),
        None => Tls::Unavailable,
    };
    if let (Ended::StartTls, Tls::Offered(starttls)) = (dialogue(&mut plain, mailroom, tls).await?, tls) {
        // RFC 3207: what the client sent after STARTTLS, before the handshake, is dropped
        // with the buffer, never read as if it had come over TLS.
        let handshake = starttls.0.accept(plain.into_inner());
        let secured = match tokio::time::timeout(IDLE, handshake).await {
            Err(_) => return Ok(()),
            Ok(secured) => secured?,
        };
        // The client starts again with EHLO; nothing from before the handshake is kept.
        dialogue(&mut BufReader::new(secured), mailroom, Tls::Active).await?;
    }
    Ok(())
}

/// Commands and answers until the client leaves, or asks for TLS where it is offered.
async fn dialogue<S>(stream: &mut BufReader<S>, mailroom: &Mailroom, tls: Tls<'_>) -> std::io::Result<Ended>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let settings = mailroom.settings();
    let max = settings.max_message_bytes;
    let mut greeted = false;
    let mut envelope = Envelope { from: None, to: vec![] };
    let mut errors = 0;
    loop {
        let line = match tokio::time::timeout(IDLE, read_line(stream, MAX_COMMAND_LINE)).await {
            Err(_) => {
                reply(stream, "421 4.4.2 idle for too long; closing").await?;
                return Ok(Ended::Closed);
            }
            Ok(line) => line?,
        };
        let line = match line {
            Line::Closed => return Ok(Ended::Closed),
            Line::TooLong => {
                errors += 1;
                reply(stream, "500 5.5.2 line too long").await?;
                if errors >= MAX_ERRORS {
                    reply(stream, "421 4.7.0 too many errors; closing").await?;
                    return Ok(Ended::Closed);
                }
                continue;
            }
            // Control characters (a bare CR, found by the smtp_session fuzz target) become
            // spaces: replies echo the client's words and must stay one line each.
            Line::Text(line) => one_line(&String::from_utf8_lossy(&line)),
        };
        let (verb, argument) = match line.split_once(' ') {
            Some((v, a)) => (v.to_ascii_uppercase(), a.trim().to_owned()),
            None => (line.trim().to_ascii_uppercase(), String::new()),
        };
        let answer: String = match verb.as_str() {
            "EHLO" | "HELO" if argument.is_empty() => "501 5.5.4 say who you are".into(),
            "EHLO" => {
                greeted = true;
                envelope = Envelope { from: None, to: vec![] };
                let starttls = match tls {
                    Tls::Offered(_) => "250-STARTTLS\r\n",
                    Tls::Unavailable | Tls::Active => "",
                };
                format!(
                    "250-{} greets {argument}\r\n250-PIPELINING\r\n250-SIZE {max}\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n{starttls}250-ENHANCEDSTATUSCODES\r\n250 HELP",
                    settings.hostname
                )
            }
            "HELO" => {
                greeted = true;
                envelope = Envelope { from: None, to: vec![] };
                format!("250 {}", settings.hostname)
            }
            "MAIL" if !greeted => "503 5.5.1 say EHLO first".into(),
            "MAIL" if envelope.from.is_some() => "503 5.5.1 a mail is already under way; RSET first".into(),
            "MAIL" => match path_of(&argument, "FROM:") {
                None => "501 5.5.4 write MAIL FROM:<address>".into(),
                Some((from, parameters)) => {
                    let size = parameters
                        .iter()
                        .find_map(|p| p.get(..5).filter(|k| k.eq_ignore_ascii_case("SIZE=")).map(|_| &p[5..]))
                        .map(|n| n.parse::<usize>());
                    match size {
                        Some(Err(_)) => "501 5.5.4 SIZE takes a number".into(),
                        Some(Ok(n)) if n > max => format!("552 5.3.4 the message is larger than {max} bytes"),
                        _ => {
                            envelope.from = Some(from);
                            "250 2.1.0 OK".into()
                        }
                    }
                }
            },
            "RCPT" if envelope.from.is_none() => "503 5.5.1 MAIL FROM first".into(),
            "RCPT" => match path_of(&argument, "TO:") {
                None => "501 5.5.4 write RCPT TO:<address>".into(),
                Some(_) if envelope.to.len() >= MAX_RECIPIENTS => "452 4.5.3 too many recipients".into(),
                Some((to, _)) => match mailroom.mailbox(&to) {
                    Some(mailbox) => {
                        let address = mailbox.address.clone();
                        if !envelope.to.contains(&address) {
                            envelope.to.push(address);
                        }
                        "250 2.1.5 OK".into()
                    }
                    None => format!("550 5.1.1 <{to}>: no such mailbox here"),
                },
            },
            "DATA" if envelope.from.is_none() => "503 5.5.1 MAIL FROM first".into(),
            "DATA" if envelope.to.is_empty() => "554 5.5.1 no valid recipients".into(),
            "DATA" if !argument.is_empty() => "501 5.5.4 DATA takes no argument".into(),
            "DATA" => {
                reply(stream, "354 end the message with a line holding a single dot").await?;
                let Some(raw) = read_data(stream, max).await? else {
                    return Ok(Ended::Closed);
                };
                let from = envelope.from.take();
                let to = std::mem::take(&mut envelope.to);
                match raw {
                    None => format!("552 5.3.4 the message is larger than {max} bytes"),
                    Some(raw) => match mailroom.deliver(&raw, from.as_deref(), &to).await {
                        Ok(Delivered::Case { reference, .. }) => format!("250 2.0.0 OK case {reference}"),
                        Ok(Delivered::Comment { reference }) => format!("250 2.0.0 OK added to case {reference}"),
                        Ok(Delivered::Ignored { why }) => format!("250 2.0.0 OK ({why}, not acted on)"),
                        Err(Refused::Permanent(why)) => format!("554 {}", one_line(&why)),
                        Err(Refused::Temporary(why)) => format!("451 {}", one_line(&why)),
                    },
                }
            }
            "RSET" => {
                envelope = Envelope { from: None, to: vec![] };
                "250 2.0.0 OK".into()
            }
            "NOOP" => "250 2.0.0 OK".into(),
            "VRFY" => "252 2.5.0 cannot verify; send the mail and see".into(),
            "HELP" => "214 2.0.0 EHLO MAIL RCPT DATA RSET NOOP QUIT".into(),
            "QUIT" => {
                reply(stream, "221 2.0.0 goodbye").await?;
                return Ok(Ended::Closed);
            }
            "STARTTLS" => match tls {
                Tls::Unavailable => "502 5.5.1 STARTTLS is not offered here".into(),
                Tls::Active => "503 5.5.1 TLS is already active".into(),
                Tls::Offered(_) if !argument.is_empty() => "501 5.5.4 STARTTLS takes no argument".into(),
                Tls::Offered(_) if !greeted => "503 5.5.1 say EHLO first".into(),
                Tls::Offered(_) => {
                    reply(stream, "220 2.0.0 ready to start TLS").await?;
                    return Ok(Ended::StartTls);
                }
            },
            "BDAT" | "AUTH" | "ETRN" | "EXPN" | "TURN" => "502 5.5.1 not implemented".into(),
            _ => "500 5.5.2 unknown command".into(),
        };
        if answer.starts_with('5')
            && !answer.starts_with("550")
            && !answer.starts_with("552")
            && !answer.starts_with("554")
        {
            errors += 1;
        }
        reply(stream, &answer).await?;
        if errors >= MAX_ERRORS {
            reply(stream, "421 4.7.0 too many errors; closing").await?;
            return Ok(Ended::Closed);
        }
    }
}

/// A reply is one line: whatever the reason says, its line ends become spaces.
fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// The message after DATA, dot-unstuffed, with CRLF line ends: `Some(None)` when it grew
/// larger than `max` (read to its end and dropped), `None` when the client went away.
async fn read_data<R: AsyncBufRead + Unpin>(read: &mut R, max: usize) -> std::io::Result<Option<Option<Vec<u8>>>> {
    let mut message = Vec::new();
    let mut oversized = false;
    loop {
        let line = match tokio::time::timeout(IDLE, read_line(read, MAX_TEXT_LINE)).await {
            Err(_) => return Ok(None),
            Ok(line) => line?,
        };
        let line = match line {
            Line::Closed => return Ok(None),
            Line::TooLong => {
                oversized = true;
                continue;
            }
            Line::Text(line) => line,
        };
        if line == b"." {
            return Ok(Some((!oversized).then_some(message)));
        }
        let line = line.strip_prefix(b".").unwrap_or(&line);
        if message.len() + line.len() + 2 > max {
            oversized = true;
            message = Vec::new();
        }
        if !oversized {
            message.extend_from_slice(line);
            message.extend_from_slice(b"\r\n");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_read_with_their_parameters_and_bad_ones_refused() {
        assert_eq!(
            path_of("FROM:<a@b.c> SIZE=100 BODY=8BITMIME", "FROM:"),
            Some(("a@b.c".into(), vec!["SIZE=100".into(), "BODY=8BITMIME".into()]))
        );
        assert_eq!(path_of("from: <>", "FROM:"), Some((String::new(), vec![])));
        assert_eq!(path_of("TO:<@relay:x@y.z>", "TO:"), Some(("x@y.z".into(), vec![])));
        assert_eq!(path_of("TO:x@y.z", "TO:"), None);
        assert_eq!(path_of("FRO", "FROM:"), None);
        assert_eq!(path_of("TO:<unterminated", "TO:"), None);
    }

    #[tokio::test]
    async fn lines_end_at_lf_or_crlf_and_long_ones_are_discarded_whole() {
        let input = b"one\r\ntwo\nxxxxxxxxxxxxxxxxxxxx\r\nthree".to_vec();
        let mut reader = BufReader::with_capacity(4, &input[..]);
        let mut lines = vec![];
        loop {
            match read_line(&mut reader, 10).await.expect("reads") {
                Line::Text(l) => lines.push(String::from_utf8(l).expect("utf-8")),
                Line::TooLong => lines.push("<too long>".into()),
                Line::Closed => break,
            }
        }
        assert_eq!(lines, ["one", "two", "<too long>", "three"]);
    }

    #[tokio::test]
    async fn data_is_unstuffed_and_an_oversized_message_is_read_to_its_end() {
        let input = b"Subject: x\r\n\r\n..dot\r\nbody\r\n.\r\nNEXT\r\n".to_vec();
        let mut reader = BufReader::new(&input[..]);
        let message = read_data(&mut reader, 1000).await.expect("reads").expect("not closed");
        assert_eq!(message.as_deref(), Some(&b"Subject: x\r\n\r\n.dot\r\nbody\r\n"[..]));
        let mut rest = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut reader, &mut rest)
            .await
            .expect("rest");
        assert_eq!(rest, "NEXT\r\n", "the next command is left for the session");
        let mut reader = BufReader::new(&input[..]);
        let message = read_data(&mut reader, 10).await.expect("reads").expect("not closed");
        assert_eq!(message, None, "too large for 10 bytes");
        let mut reader = BufReader::new(&b"unterminated\r\n"[..]);
        assert!(
            read_data(&mut reader, 1000).await.expect("reads").is_none(),
            "the client went away"
        );
    }
}
