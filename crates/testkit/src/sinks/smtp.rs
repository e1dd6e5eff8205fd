//! An SMTP server that keeps what it receives.

use std::collections::HashSet;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};

/// Beyond this a message is refused with 552; it keeps a runaway client from filling memory.
const MAX_MESSAGE_BYTES: usize = 32 * 1024 * 1024;

/// A mail as the sink received it, decoded.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// The envelope: MAIL FROM and RCPT TO.
    pub from: String,
    pub to: Vec<String>,
    /// The header as sent, angle brackets included.
    pub message_id: Option<String>,
    /// Decoded from RFC 2047 encoded words.
    pub subject: String,
    /// The first text part, decoded from quoted-printable or base64, with `\n` line ends (SMTP
    /// sends CRLF) and without the one that SMTP puts after the last line.
    pub body: String,
    pub content_language: Option<String>,
    /// The message as it came after DATA, dot-unstuffed.
    pub raw: Vec<u8>,
}

struct Envelope {
    from: String,
    to: Vec<String>,
    raw: Vec<u8>,
}

#[derive(Default)]
struct State {
    received: Vec<Envelope>,
    /// Lower-case addresses refused at RCPT TO with 550.
    rejected: HashSet<String>,
    /// How many of the next messages get 451 after DATA.
    deferrals: usize,
    connections: usize,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    arrived: Notify,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        // A panicking test thread cannot leave the lists half-written: recover them.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A real SMTP server on 127.0.0.1, for as long as it is not dropped. It speaks EHLO/HELO, MAIL,
/// RCPT, DATA, RSET, NOOP and QUIT (with PIPELINING, 8BITMIME and SMTPUTF8), to any number of
/// clients at once.
pub struct SmtpSink {
    port: u16,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl SmtpSink {
    pub async fn start() -> io::Result<Self> {
        Self::start_on(0).await
    }

    /// On this port (0: any free one): a server that went away coming back where it was.
    pub async fn start_on(port: u16) -> io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Shared::default());
        let server = tokio::spawn(serve(listener, shared.clone()));
        Ok(Self { port, shared, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Answer 550 to RCPT TO for this address from now on.
    pub fn reject_recipient(&self, address: &str) {
        self.shared.state().rejected.insert(address.to_ascii_lowercase());
    }

    /// Answer 451 after DATA to the next `count` messages, and keep none of them.
    pub fn defer_next(&self, count: usize) {
        self.shared.state().deferrals = count;
    }

    /// How many messages were accepted so far; cheaper than [`SmtpSink::messages`], which parses.
    pub fn count(&self) -> usize {
        self.shared.state().received.len()
    }

    /// How many connections clients opened so far.
    pub fn connections(&self) -> usize {
        self.shared.state().connections
    }

    /// The messages accepted so far, in order.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.shared.state().received.iter().map(parse).collect()
    }

    /// The messages once there are at least `count`, or as many as came within `timeout`.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let arrived = self.shared.arrived.notified();
            if self.count() >= count || tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return self.messages();
            }
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        // Its JoinSet goes with it, and so do the open sessions.
        self.server.abort();
    }
}

async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let mut sessions = JoinSet::new();
    loop {
        while sessions.try_join_next().is_some() {}
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        shared.state().connections += 1;
        sessions.spawn(session(stream, shared.clone()));
    }
}

async fn session(stream: TcpStream, shared: Arc<Shared>) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    reply(&mut writer, "220 tawasul-sink ESMTP ready\r\n").await?;
    let mut greeted = false;
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        let (verb, argument) = text.split_once(' ').unwrap_or((text, ""));
        let answer = match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                greeted = true;
                (from, to) = (None, Vec::new());
                format!(
                    "250-tawasul-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE {MAX_MESSAGE_BYTES}\r\n"
                )
            }
            "HELO" => {
                greeted = true;
                (from, to) = (None, Vec::new());
                "250 tawasul-sink\r\n".to_owned()
            }
            "MAIL" if !greeted => "503 5.5.1 say EHLO first\r\n".to_owned(),
            "MAIL" => match path(argument, "FROM:") {
                Some(sender) => {
                    (from, to) = (Some(sender), Vec::new());
                    "250 2.1.0 ok\r\n".to_owned()
                }
                None => "501 5.5.4 syntax: MAIL FROM:<address>\r\n".to_owned(),
            },
            "RCPT" if from.is_none() => "503 5.5.1 MAIL first\r\n".to_owned(),
            "RCPT" => match path(argument, "TO:") {
                Some(recipient) if shared.state().rejected.contains(&recipient.to_ascii_lowercase()) => {
                    "550 5.1.1 mailbox unavailable\r\n".to_owned()
                }
                Some(recipient) => {
                    to.push(recipient);
                    "250 2.1.5 ok\r\n".to_owned()
                }
                None => "501 5.5.4 syntax: RCPT TO:<address>\r\n".to_owned(),
            },
            "DATA" if to.is_empty() => "503 5.5.1 RCPT first\r\n".to_owned(),
            "DATA" => {
                reply(&mut writer, "354 end with <CRLF>.<CRLF>\r\n").await?;
                let (sender, recipients) = (from.take().unwrap_or_default(), std::mem::take(&mut to));
                match read_data(&mut reader).await? {
                    Some(raw) => accept(
                        &shared,
                        Envelope {
                            from: sender,
                            to: recipients,
                            raw,
                        },
                    )
                    .to_owned(),
                    None => "552 5.3.4 message too large\r\n".to_owned(),
                }
            }
            "RSET" => {
                (from, to) = (None, Vec::new());
                "250 2.0.0 ok\r\n".to_owned()
            }
            "NOOP" => "250 2.0.0 ok\r\n".to_owned(),
            "QUIT" => {
                reply(&mut writer, "221 2.0.0 bye\r\n").await?;
                return Ok(());
            }
            _ => "500 5.5.2 command not recognized\r\n".to_owned(),
        };
        reply(&mut writer, &answer).await?;
    }
}

/// The message after DATA, up to the line with a single dot, with the leading dot that the
/// client doubled removed from each line. None when it was too large.
async fn read_data(reader: &mut (impl AsyncBufReadExt + AsyncRead + Unpin)) -> io::Result<Option<Vec<u8>>> {
    let mut raw = Vec::new();
    let mut line = Vec::new();
    let mut too_large = false;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).await? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok((!too_large).then_some(raw));
        }
        let content = line.strip_prefix(b".").unwrap_or(&line);
        too_large |= raw.len() + content.len() > MAX_MESSAGE_BYTES;
        if !too_large {
            raw.extend_from_slice(content);
        }
    }
}

/// Keeps the message, unless it is one of those to defer.
fn accept(shared: &Shared, envelope: Envelope) -> &'static str {
    let mut state = shared.state();
    if state.deferrals > 0 {
        state.deferrals -= 1;
        return "451 4.3.0 try again later\r\n";
    }
    state.received.push(envelope);
    drop(state);
    shared.arrived.notify_waiters();
    "250 2.0.0 queued\r\n"
}

async fn reply(writer: &mut (impl AsyncWrite + Unpin), text: &str) -> io::Result<()> {
    writer.write_all(text.as_bytes()).await
}

/// The address of `FROM:<a@b> BODY=8BITMIME` or `TO:<a@b>`; the null sender `<>` is "".
fn path(argument: &str, prefix: &str) -> Option<String> {
    let head = argument.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = argument[prefix.len()..].trim_start();
    let address = match rest.strip_prefix('<') {
        Some(inner) => inner.split_once('>')?.0,
        None => rest.split(' ').next()?,
    };
    Some(address.to_owned())
}

fn parse(envelope: &Envelope) -> ReceivedMail {
    let message = mail_parser::MessageParser::default().parse(&envelope.raw);
    let header = |name: &str| {
        message
            .as_ref()
            .and_then(|m| m.header_raw(name))
            .map(|value| value.trim().to_owned())
    };
    ReceivedMail {
        from: envelope.from.clone(),
        to: envelope.to.clone(),
        message_id: header("Message-ID"),
        subject: message
            .as_ref()
            .and_then(|m| m.subject())
            .unwrap_or_default()
            .to_owned(),
        body: message
            .as_ref()
            .and_then(|m| m.body_text(0))
            .map(|b| text(&b))
            .unwrap_or_default(),
        content_language: header("Content-Language"),
        raw: envelope.raw.clone(),
    }
}

fn text(body: &str) -> String {
    let body = body.replace("\r\n", "\n");
    body.strip_suffix('\n').map(str::to_owned).unwrap_or(body)
}
