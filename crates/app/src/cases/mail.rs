//! Cases by e-mail: which case a mail answers, a reporter's reply by e-mail as their comment,
//! and the Message-IDs that tie a case's mails together. The e-mail channel
//! (`crates/channels/email`) parses the mail and calls these; new cases go through
//! [`App::submit`] like every channel's.

use crate::cases::intake::Upload;
use crate::cases::work::CommentRequest;
use crate::cases::CasesResult;
use crate::error::{Failure, Outcome};
use crate::identity::auth::Caller;
use crate::App;
use tawasul_domain::Invalid;
use tawasul_store::{CaseMailRow, CaseRow};

/// A mail that may answer one of ours.
#[derive(Debug, Clone)]
pub struct MailReply {
    /// The From address.
    pub sender: String,
    /// Its own Message-ID, without angle brackets.
    pub message_id: Option<String>,
    /// `In-Reply-To`, then `References` newest first, without angle brackets.
    pub replies_to: Vec<String>,
    /// A case reference found in the subject.
    pub subject_reference: Option<String>,
    /// The new text of the reply (quoted history removed).
    pub body: String,
    pub files: Vec<Upload>,
}

/// What became of a mail offered to a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Threaded {
    /// Added to the case as its reporter's comment (with its files).
    Commented { reference: String },
    /// This very mail (its Message-ID) was threaded or made a case before: a repeated delivery.
    AlreadyThreaded { reference: String },
    /// It answers one of the case's mails but does not come from the case's reporter (a
    /// reply-all, a colleague in copy): it joins no case and opens none.
    NotTheReporter { reference: String },
    /// It answers none of our mails, and no reference in its subject is a case of its sender:
    /// it is new (a stranger quoting a reference opens a new case).
    Unthreaded,
}

fn same_address(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

impl App {
    /// Threads a mail into its case: by `In-Reply-To`/`References` first, then by the
    /// reference in its subject, and only when the sender is the case's reporter. The caller
    /// is the sender proved by the mail itself (its address matches the one the case was
    /// reported with), as a resident proves a contact with a one-time code.
    pub async fn thread_mail(&self, mail: MailReply) -> CasesResult<Threaded> {
        if let Some(id) = &mail.message_id {
            if let Some(seen) = self.store.case_mail_among(std::slice::from_ref(id)).await? {
                let case = self.case_by_id(seen.case_id).await?;
                return Ok(Threaded::AlreadyThreaded {
                    reference: case.reference,
                });
            }
        }
        let by_header = self.store.case_mail_among(&mail.replies_to).await?;
        let case = match by_header {
            Some(row) => {
                let case = self.case_by_id(row.case_id).await?;
                let reporter = case
                    .reporter_email
                    .as_deref()
                    .is_some_and(|e| same_address(e, &mail.sender));
                if !reporter {
                    return Ok(Threaded::NotTheReporter {
                        reference: case.reference,
                    });
                }
                case
            }
            None => {
                let Some(reference) = &mail.subject_reference else {
                    return Ok(Threaded::Unthreaded);
                };
                match self.store.case_by_reference(reference).await? {
                    Some(case)
                        if case
                            .reporter_email
                            .as_deref()
                            .is_some_and(|e| same_address(e, &mail.sender)) =>
                    {
                        case
                    }
                    _ => return Ok(Threaded::Unthreaded),
                }
            }
        };
        let contact = case.reporter_email.clone().unwrap_or_default();
        let caller = Caller::Resident { contact };
        let body = match mail.body.trim() {
            "" if mail.files.is_empty() => {
                return Err(Invalid::new("empty_reply", "body", "the reply has neither text nor files").into())
            }
            "" => "📎".to_owned(),
            text => text.to_owned(),
        };
        // Files first: a refused file refuses the reply before anything is written.
        for file in &mail.files {
            tawasul_domain::attachment::AttachmentType::sniff(&file.bytes, file.content_type.as_deref()).map_err(
                |e| Invalid {
                    field: "files".into(),
                    ..e
                },
            )?;
        }
        self.comment(&caller, &case.reference, CommentRequest { body, visibility: None })
            .await?;
        for file in mail.files {
            self.attach(
                &caller,
                &case.reference,
                file.bytes,
                file.content_type.as_deref(),
                file.filename.as_deref(),
                true,
            )
            .await?;
        }
        if let Some(id) = mail.message_id {
            self.remember_mail(&case.reference, &id, false).await?;
        }
        Ok(Threaded::Commented {
            reference: case.reference,
        })
    }

    /// Files a Message-ID under a case: a mail of the reporter's (`outgoing` false) or one
    /// we sent. A Message-ID already filed keeps its first case.
    pub async fn remember_mail(&self, reference: &str, message_id: &str, outgoing: bool) -> Outcome<()> {
        let case = self.case_row(reference).await?;
        self.file_mail(case.id, message_id, outgoing, self.now_micros()).await
    }

    /// Files the Message-ID of the mail a case was made of. It is the thread's root: filed as
    /// of just before the case, ahead of the acknowledgement written with the case.
    pub async fn remember_first_mail(&self, reference: &str, message_id: &str) -> Outcome<()> {
        let case = self.case_row(reference).await?;
        self.file_mail(case.id, message_id, false, case.created_at - 1).await
    }

    async fn file_mail(&self, case_id: i64, message_id: &str, outgoing: bool, at: i64) -> Outcome<()> {
        self.store
            .insert_case_mail(CaseMailRow {
                message_id: message_id.to_owned(),
                case_id,
                outgoing,
                created_at: at,
            })
            .await?;
        Ok(())
    }

    /// The case a Message-ID was filed under, if any: a mail delivered again is recognised.
    pub async fn case_of_mail(&self, message_id: &str) -> Outcome<Option<String>> {
        match self.store.case_mail_among(&[message_id.to_owned()]).await? {
            Some(row) => Ok(Some(self.case_by_id(row.case_id).await?.reference)),
            None => Ok(None),
        }
    }

    async fn case_by_id(&self, id: i64) -> Outcome<CaseRow> {
        let reference = self.store.case_reference(id).await?.ok_or(Failure::NotFound("case"))?;
        self.case_row(&reference).await
    }

    /// The `References` of the mail that carries notification `outbox_id`, oldest first: the
    /// Message-IDs of its case's mails before it. The last is its `In-Reply-To`: the
    /// reporter's latest mail when there is one, else our latest.
    pub(crate) async fn mail_thread_of(&self, outbox_id: i64) -> Outcome<Vec<String>> {
        let own = tawasul_domain::notification_message_id(outbox_id);
        let Some(row) = self.store.case_mail_among(std::slice::from_ref(&own)).await? else {
            return Ok(vec![]);
        };
        let mails: Vec<CaseMailRow> = self
            .store
            .case_mails(row.case_id)
            .await?
            .into_iter()
            .filter(|m| m.message_id != own && m.created_at <= row.created_at)
            .collect();
        let answered = mails
            .iter()
            .rev()
            .find(|m| !m.outgoing)
            .or(mails.last())
            .map(|m| m.message_id.clone());
        let mut references: Vec<String> = mails
            .iter()
            .map(|m| m.message_id.clone())
            .filter(|id| Some(id) != answered.as_ref())
            .collect();
        // RFC 5322 asks for the thread's root and its latest; long threads keep both ends.
        if references.len() > 20 {
            references.drain(1..references.len() - 19);
        }
        references.extend(answered);
        Ok(references)
    }
}
