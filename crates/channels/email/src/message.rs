//! A mail as it arrived, parsed (by `mail-parser`) into what the channel acts on: who sent it,
//! what it says as plain text, what it answers, its files, and what kind of mail it is.

use mail_parser::{HeaderValue, MessageParser, MimeHeaders, PartType};
pub use tawasul_domain::text::{language_of, reference_in};

/// The most files one mail brings; the intake refuses more, as it does for uploads.
const MAX_PARTS: usize = 64;

/// What kind of mail this is. Only a person's mail may open a case or add to one; the others
/// are answered by nobody, so that two robots never talk to each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailClass {
    Personal,
    /// Out-of-office and other automatic answers (`Auto-Submitted`, `Precedence: auto_reply`,
    /// `X-Autoreply`, Outlook's "Automatic reply:").
    AutoReply,
    /// A delivery status notification (`multipart/report`), or anything sent with an empty
    /// return path (`MAIL FROM:<>`, `Return-Path: <>`), or from a mailer daemon.
    Bounce,
    /// Mailing-list and bulk mail (`List-Id`, `List-Unsubscribe`, `Precedence: bulk|list|junk`).
    List,
}

impl MailClass {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Personal => "personal",
            Self::AutoReply => "auto_reply",
            Self::Bounce => "bounce",
            Self::List => "list",
        }
    }
}

/// A file that came with the mail, attachment or inline image alike.
#[derive(Debug, Clone)]
pub struct MailFile {
    pub bytes: Vec<u8>,
    pub content_type: Option<String>,
    pub filename: Option<String>,
    pub inline: bool,
}

/// A parsed mail.
#[derive(Debug, Clone)]
pub struct InboundMail {
    /// The From address, lower-cased.
    pub from: Option<String>,
    pub from_name: Option<String>,
    /// The To and Cc addresses, lower-cased.
    pub to: Vec<String>,
    pub cc: Vec<String>,
    /// Decoded from RFC 2047 words; empty when there is none.
    pub subject: String,
    /// The first text part, or the first HTML part turned into text (a forward keeps what it
    /// forwards; [`InboundMail::reply_text`] is a reply's own words).
    pub text: String,
    /// Without angle brackets.
    pub message_id: Option<String>,
    /// `In-Reply-To` then `References` (newest first), without angle brackets or repeats.
    pub replies_to: Vec<String>,
    pub files: Vec<MailFile>,
    pub class: MailClass,
    /// `Content-Language`, when the sender's client said.
    pub content_language: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    #[error("this is not an e-mail message (no header could be read)")]
    NotAMessage,
    #[error("the message has more than {MAX_PARTS} parts")]
    TooManyParts,
}

/// The message identifiers a header holds, without brackets: `<a@b> <c@d>` and the list
/// mail-parser makes of them alike.
fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    let raw: Vec<String> = match value {
        HeaderValue::Text(t) => vec![t.to_string()],
        HeaderValue::TextList(list) => list.iter().map(|t| t.to_string()).collect(),
        _ => vec![],
    };
    raw.iter()
        .flat_map(|r| {
            r.split(|c: char| c.is_whitespace() || c == ',')
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .map(|id| id.trim().trim_start_matches('<').trim_end_matches('>').to_owned())
        .filter(|id| !id.is_empty() && id.len() <= 500)
        .collect()
}

fn addresses(address: Option<&mail_parser::Address<'_>>) -> Vec<String> {
    address
        .map(|a| {
            a.iter()
                .filter_map(|a| a.address())
                .map(|a| a.trim().to_lowercase())
                .collect()
        })
        .unwrap_or_default()
}

fn header_text(message: &mail_parser::Message<'_>, name: &str) -> Option<String> {
    message
        .header_raw(name)
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| !v.is_empty())
        .or_else(|| {
            message
                .header(name)
                .and_then(|v| v.as_text())
                .map(|v| v.trim().to_ascii_lowercase())
        })
}

impl InboundMail {
    /// Parses what came after DATA (or from the mailbox). `envelope_from` is SMTP's MAIL FROM,
    /// `Some("")` for the null reverse path of bounces; `None` when there was no envelope.
    pub fn parse(raw: &[u8], envelope_from: Option<&str>) -> Result<Self, ParseError> {
        let message = MessageParser::default().parse(raw).ok_or(ParseError::NotAMessage)?;
        // Garbage parses as a header-less body: a message has at least one of the headers
        // that every mail client writes.
        let known = [
            "From",
            "To",
            "Subject",
            "Date",
            "Message-ID",
            "Content-Type",
            "MIME-Version",
        ];
        if !known.iter().any(|h| message.header_raw(*h).is_some()) {
            return Err(ParseError::NotAMessage);
        }
        if message.parts.len() > MAX_PARTS {
            return Err(ParseError::TooManyParts);
        }
        let class = classify(&message, envelope_from);
        let from = message.from().and_then(|a| a.first());
        let mut replies_to = ids(message.in_reply_to());
        let mut references = ids(message.references());
        references.reverse();
        for id in references {
            if !replies_to.contains(&id) {
                replies_to.push(id);
            }
        }
        let text = message.body_text(0).map(|t| readable(&t)).unwrap_or_default();
        let files = message
            .attachments()
            .filter(|part| !matches!(part.body, PartType::Message(_) | PartType::Multipart(_)))
            .filter(|part| !part.contents().is_empty())
            .map(|part| MailFile {
                bytes: part.contents().to_vec(),
                content_type: part.content_type().map(|ct| match ct.subtype() {
                    Some(sub) => format!("{}/{}", ct.ctype(), sub).to_ascii_lowercase(),
                    None => ct.ctype().to_ascii_lowercase(),
                }),
                filename: part.attachment_name().map(str::to_owned),
                inline: part.content_disposition().is_none_or(|d| d.is_inline()),
            })
            .collect();
        let content_language = match message.header("Content-Language") {
            Some(HeaderValue::Text(t)) => Some(t.to_string()),
            Some(HeaderValue::TextList(l)) => l.first().map(|t| t.to_string()),
            _ => None,
        };
        Ok(Self {
            from: from.and_then(|a| a.address()).map(|a| a.trim().to_lowercase()),
            from_name: from
                .and_then(|a| a.name())
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty()),
            to: addresses(message.to()),
            cc: addresses(message.cc()),
            subject: message.subject().unwrap_or("").trim().to_owned(),
            text,
            message_id: message
                .message_id()
                .map(|id| id.trim().to_owned())
                .filter(|id| !id.is_empty()),
            replies_to,
            files,
            class,
            content_language,
        })
    }

    /// The new words of a reply: its text without the quoted history and the signature.
    pub fn reply_text(&self) -> String {
        strip_quoted(&self.text)
    }

    /// Whether the mail answers another (by its headers or an `Re:` subject).
    pub fn is_reply(&self) -> bool {
        !self.replies_to.is_empty()
    }
}

/// Auto-replies, bounces and list mail, by the headers RFC 3834, RFC 3464 and RFC 2369 give
/// them and by the habits of the common mail systems.
fn classify(message: &mail_parser::Message<'_>, envelope_from: Option<&str>) -> MailClass {
    let report = message.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart") && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"))
    });
    let from = message
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .unwrap_or("")
        .to_ascii_lowercase();
    let daemon = ["mailer-daemon@", "postmaster@", "mail-daemon@"]
        .iter()
        .any(|d| from.starts_with(d));
    let null_envelope = envelope_from.is_some_and(|f| f.trim().trim_matches(|c| c == '<' || c == '>').is_empty());
    let return_path = message.header_raw("Return-Path").map(str::trim);
    let null_return_path = return_path.is_some_and(|r| {
        r.trim_matches(|c: char| c == '<' || c == '>' || c.is_whitespace())
            .is_empty()
    });
    if report || daemon || null_envelope || null_return_path {
        return MailClass::Bounce;
    }
    let auto_submitted = header_text(message, "Auto-Submitted").is_some_and(|v| !v.starts_with("no"));
    let precedence = header_text(message, "Precedence").unwrap_or_default();
    if precedence.starts_with("bulk") || precedence.starts_with("list") || precedence.starts_with("junk") {
        return MailClass::List;
    }
    if ["List-Id", "List-Unsubscribe", "List-Post"]
        .iter()
        .any(|h| message.header_raw(*h).is_some())
    {
        return MailClass::List;
    }
    let subject = message.subject().unwrap_or("").trim().to_lowercase();
    let auto_subject = ["automatic reply:", "auto:", "out of office", "autoreply:", "رد تلقائي"]
        .iter()
        .any(|p| subject.starts_with(p));
    let auto_headers = ["X-Autoreply", "X-Autorespond", "X-Auto-Reply"]
        .iter()
        .any(|h| message.header_raw(*h).is_some());
    if auto_submitted || precedence.starts_with("auto_reply") || auto_headers || auto_subject {
        return MailClass::AutoReply;
    }
    MailClass::Personal
}

/// Text as a reader sees it: Unicode line ends, no invisible direction marks at line ends, no
/// runs of blank lines, no trailing spaces.
fn readable(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n").replace('\u{a0}', " ");
    let mut out = String::new();
    let mut blank = 0;
    for line in text.lines() {
        let line = line.trim_end_matches(|c: char| c.is_whitespace() || matches!(c, '\u{200e}' | '\u{200f}'));
        if line.trim().is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(line);
    }
    out
}

/// The new text of a reply: the quoted history ("On … wrote:", `>` lines, Outlook's "From:"
/// block, "-----Original Message-----") and the signature ("-- ") cut off. Text that is all
/// quotation is kept whole, since then the quote is what was sent.
pub fn strip_quoted(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut end = lines.len();
    for (i, line) in lines.iter().enumerate() {
        let raw = line.trim();
        let t = raw.trim_start_matches('>').trim();
        let lower = t.to_lowercase();
        let attribution = t.ends_with(':')
            && ((lower.starts_with("on ") && lower.contains(" wrote"))
                || (t.starts_with("في ") && t.contains("كتب"))
                || (lower.starts_with("le ") && lower.contains("a écrit")));
        let outlook = lower.starts_with("-----original message-----")
            || lower.starts_with("-----الرسالة الأصلية-----")
            || t.starts_with("________________________________")
            || ((lower.starts_with("from:") || t.starts_with("من:"))
                && lines.get(i + 1).is_some_and(|n| {
                    let n = n.trim().to_lowercase();
                    n.starts_with("sent:")
                        || n.starts_with("date:")
                        || n.starts_with("تاريخ الإرسال:")
                        || n.starts_with("أرسل:")
                }));
        let quoted_rest = raw.starts_with('>')
            && lines[i..]
                .iter()
                .all(|l| l.trim().is_empty() || l.trim().starts_with('>'));
        let sent_from = lower.starts_with("sent from my ") || t.starts_with("أرسلت من ");
        if attribution || outlook || quoted_rest || sent_from || *line == "-- " || t == "--" {
            end = i;
            break;
        }
    }
    let kept = lines[..end].join("\n").trim().to_owned();
    if kept.is_empty() {
        text.trim().to_owned()
    } else {
        kept
    }
}
