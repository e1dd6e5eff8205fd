//! The e-mail channel. A mail, received by the embedded SMTP server ([`smtp`]) or read from a
//! mailbox by IMAP ([`imap`]), is parsed ([`message`]) and handed to the [`Mailroom`], which
//! decides what it is:
//!
//! - an auto-reply, a bounce or list mail: answered by nobody, it never makes a case or a loop;
//! - a reply to one of our mails (by `In-Reply-To`/`References`, then by the reference in its
//!   subject) from the case's reporter: the reporter's comment on that case
//!   (`App::thread_mail`); a reply from anyone else, or to a mail we do not know, is refused,
//!   never a new case;
//! - a mail on which we are only in copy: left alone;
//! - anything else: a new case through the one intake (`App::submit`), its service guessed
//!   from its words ([`guess`]) or else the mailbox's own, acknowledged by mail in the
//!   reporter's language with the reference.

pub mod guess;
pub mod imap;
pub mod message;
pub mod smtp;

use std::sync::Arc;
use tawasul_app::cases::intake::{Intake, Upload};
use tawasul_app::cases::mail::{MailReply, Threaded};
use tawasul_app::{App, CasesError, Failure};
use tawasul_domain::intake::{IntakeDraft, ReporterDraft};
use tawasul_domain::vocab::{Channel, Kind};

pub use message::{InboundMail, MailClass};

/// One address the receiver accepts mail for, and the service its cases go to when no
/// service is recognised in the mail (its entity triages them). Only that service's entity's
/// services are guessed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxConfig {
    /// Lower-case, as `complaints@example.gov`.
    pub address: String,
    pub service: String,
}

impl std::str::FromStr for MailboxConfig {
    type Err = String;

    /// `ADDRESS=SERVICE`, as `--mail-recipient complaints@example.gov=general-inquiry` says it.
    fn from_str(s: &str) -> Result<Self, String> {
        let (address, service) = s
            .split_once('=')
            .ok_or_else(|| format!("{s:?}: write ADDRESS=SERVICE, e.g. complaints@example.gov=water-leak"))?;
        let address = address.trim().to_lowercase();
        if address.split('@').count() != 2 || address.starts_with('@') || address.ends_with('@') {
            return Err(format!("{address:?} is not an e-mail address"));
        }
        if service.trim().is_empty() {
            return Err(format!("{s:?}: the service code is missing"));
        }
        Ok(Self {
            address,
            service: service.trim().to_owned(),
        })
    }
}

/// How the e-mail channel runs.
#[derive(Debug, Clone)]
pub struct MailSettings {
    pub mailboxes: Vec<MailboxConfig>,
    /// Larger messages are refused (552 at SMTP, announced with `SIZE`).
    pub max_message_bytes: usize,
    /// The name the receiver greets with.
    pub hostname: String,
    /// The receiver offers STARTTLS with this certificate; without it, none.
    pub starttls: Option<smtp::StartTls>,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            mailboxes: vec![],
            // The intake's five files of 10 MiB, base64-encoded, and the text.
            max_message_bytes: 72 * 1024 * 1024,
            hostname: "tawasul".into(),
            starttls: None,
        }
    }
}

/// What became of an accepted mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivered {
    /// A new case; `guessed` when its service was recognised in the mail.
    Case {
        reference: String,
        service: String,
        guessed: bool,
        replayed: bool,
    },
    /// The reporter's comment on their case.
    Comment { reference: String },
    /// Accepted and deliberately not acted on (an auto-reply, a bounce, list mail, a copy, a
    /// mail seen before): nothing answers it.
    Ignored { why: &'static str },
}

/// Why a mail was not accepted: permanent (5xx, the sender's server tells the sender, who
/// keeps the mail) or temporary (4xx, the sender's server tries again).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("{0}")]
    Permanent(String),
    #[error("{0}")]
    Temporary(String),
}

fn refused(e: CasesError) -> Refused {
    match e {
        CasesError::Common(Failure::Invalid(invalid)) => {
            Refused::Permanent(format!("5.6.0 refused ({}): {}", invalid.field, invalid.message))
        }
        CasesError::IdempotencyKeyReused => {
            Refused::Permanent("5.7.0 a different message with this Message-ID was received before".into())
        }
        CasesError::Common(Failure::StorageFull) => {
            Refused::Temporary("4.3.1 no room to store the attachments; try again".into())
        }
        CasesError::Common(Failure::Unavailable) => Refused::Temporary("4.3.0 the service is busy; try again".into()),
        other => {
            tracing::error!(error = %other, "a mail could not be taken in");
            Refused::Temporary("4.3.0 the mail could not be taken in now; try again later".into())
        }
    }
}

/// Decides what each mail becomes; shared by the SMTP receiver and IMAP polling.
#[derive(Clone)]
pub struct Mailroom {
    app: App,
    settings: Arc<MailSettings>,
}

impl Mailroom {
    pub fn new(app: App, settings: MailSettings) -> Self {
        Self {
            app,
            settings: Arc::new(settings),
        }
    }

    pub fn settings(&self) -> &MailSettings {
        &self.settings
    }

    /// The mailbox of an address we accept mail for (case-insensitive).
    pub fn mailbox(&self, address: &str) -> Option<&MailboxConfig> {
        let address = address.trim().trim_matches(|c| c == '<' || c == '>').to_lowercase();
        self.settings.mailboxes.iter().find(|m| m.address == address)
    }

    /// Takes in one mail. `envelope_from` is SMTP's MAIL FROM (`Some("")` for `<>`), `None`
    /// from a mailbox; `recipients` are the envelope's accepted RCPT TO (from a mailbox, the
    /// mailbox's address).
    pub async fn deliver(
        &self,
        raw: &[u8],
        envelope_from: Option<&str>,
        recipients: &[String],
    ) -> Result<Delivered, Refused> {
        if raw.len() > self.settings.max_message_bytes {
            return Err(Refused::Permanent(format!(
                "5.3.4 the message is larger than {} bytes",
                self.settings.max_message_bytes
            )));
        }
        let mail = InboundMail::parse(raw, envelope_from).map_err(|e| Refused::Permanent(format!("5.6.0 {e}")))?;
        if mail.class != MailClass::Personal {
            tracing::info!(class = mail.class.as_str(), from = ?mail.from, "mail not acted on");
            return Ok(Delivered::Ignored {
                why: mail.class.as_str(),
            });
        }
        let Some(from) = mail.from.clone() else {
            return Err(Refused::Permanent("5.1.7 the message has no From address".into()));
        };
        let files: Vec<Upload> = mail
            .files
            .iter()
            .map(|f| Upload {
                bytes: f.bytes.clone(),
                content_type: f.content_type.clone(),
                filename: f.filename.clone(),
            })
            .collect();
        let reply = MailReply {
            sender: from.clone(),
            message_id: mail.message_id.clone(),
            replies_to: mail.replies_to.clone(),
            subject_reference: message::reference_in(&mail.subject),
            body: mail.reply_text(),
            files: files.clone(),
        };
        match self.app.thread_mail(reply).await.map_err(refused)? {
            Threaded::Commented { reference } => return Ok(Delivered::Comment { reference }),
            Threaded::AlreadyThreaded { .. } => return Ok(Delivered::Ignored { why: "repeated" }),
            Threaded::NotTheReporter { reference } => {
                return Err(Refused::Permanent(format!(
                    "5.7.1 replies to case {reference} are taken only from the address it was reported with"
                )))
            }
            Threaded::Unthreaded => {}
        }
        if mail.is_reply() {
            return Err(Refused::Permanent(
                "5.7.1 this answers a mail we cannot find; to report something new, write a new message".into(),
            ));
        }
        let ours = |list: &[String]| list.iter().any(|a| self.mailbox(a).is_some());
        if !ours(&mail.to) && ours(&mail.cc) {
            return Ok(Delivered::Ignored { why: "copied" });
        }
        let mailbox = recipients
            .iter()
            .chain(&mail.to)
            .find_map(|r| self.mailbox(r))
            .or(self.settings.mailboxes.first())
            .ok_or_else(|| Refused::Permanent("5.1.1 no mailbox here takes cases".into()))?
            .clone();
        self.open_case(mail, from, files, &mailbox).await
    }

    async fn open_case(
        &self,
        mail: InboundMail,
        from: String,
        files: Vec<Upload>,
        mailbox: &MailboxConfig,
    ) -> Result<Delivered, Refused> {
        let catalogue = self
            .app
            .find_services("", None)
            .await
            .map_err(|e| refused(CasesError::Common(e)))?;
        let Some(fallback) = catalogue.iter().find(|s| s.code == mailbox.service) else {
            tracing::error!(mailbox = %mailbox.address, service = %mailbox.service, "the mailbox's service does not exist");
            return Err(Refused::Temporary("4.3.5 this mailbox is not set up yet".into()));
        };
        // A service whose form has required answers cannot be chosen for a mail, which has none.
        let candidates: Vec<_> = catalogue
            .iter()
            .filter(|s| s.entity_id == fallback.entity_id && s.fields.iter().all(|f| !f.required))
            .cloned()
            .collect();
        let guessed = guess::guess(&candidates, &mail.subject, &mail.text);
        let service = guessed.unwrap_or(fallback);
        let kind = if service.kinds.contains(&Kind::Complaint) {
            Kind::Complaint
        } else {
            service.kinds.first().copied().unwrap_or(Kind::Complaint)
        };
        let text = mail.text.trim();
        let subject = mail.subject.trim();
        let description = match (subject.is_empty(), text.is_empty()) {
            (true, true) if files.is_empty() => {
                return Err(Refused::Permanent(
                    "5.6.0 the message has neither a subject, text nor files".into(),
                ))
            }
            (true, true) => "📎".to_owned(),
            (false, true) => subject.to_owned(),
            (true, false) => text.to_owned(),
            (false, false) if text.contains(subject) => text.to_owned(),
            (false, false) => format!("{subject}\n\n{text}"),
        };
        let language = message::language_of(&description);
        let draft = IntakeDraft {
            service: service.code.clone(),
            kind: kind.as_str().into(),
            description,
            reporter: Some(ReporterDraft {
                name: mail.from_name.clone(),
                email: Some(from),
                language: Some(language.into()),
                ..Default::default()
            }),
            language: Some(language.into()),
            channel: Some(Channel::Email),
            ..Default::default()
        };
        let idempotency_key = mail
            .message_id
            .as_ref()
            .map(|id| format!("mail:{id}"))
            .filter(|k| k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()));
        let receipt = self
            .app
            .submit(Intake {
                draft,
                files,
                idempotency_key,
            })
            .await
            .map_err(refused)?;
        if let Some(id) = &mail.message_id {
            if let Err(e) = self.app.remember_first_mail(&receipt.reference, id).await {
                // The case is made; a reply will still thread by the reference in its subject.
                tracing::warn!(reference = %receipt.reference, error = %e, "could not file the mail's Message-ID");
            }
        }
        tracing::info!(reference = %receipt.reference, service = %service.code, guessed = guessed.is_some(), "a mail became a case");
        Ok(Delivered::Case {
            reference: receipt.reference,
            service: service.code.clone(),
            guessed: guessed.is_some(),
            replayed: receipt.replayed,
        })
    }
}
