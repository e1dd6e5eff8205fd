//! Privacy (issue 13): the retention job, which anonymises the reporters of cases that ended
//! for good long ago, and the operator's `tawasul privacy export` and `privacy erase` for one
//! person. What each field becomes is the domain's rule (`tawasul_domain::privacy`); the
//! figures (status, service, entity, area, times, the KPI rollups) are never touched.

use crate::cases::work::REPORTER_ACTOR;
use crate::error::{Failure, Outcome};
use crate::identity::auth::parse_contact;
use crate::operator::Operator;
use crate::App;
use serde::Serialize;
use serde_json::{json, Value};
use std::path::Path;
use tawasul_domain::privacy::{
    attachment_fate, erased_filename, is_final, retention_cutoff, AttachmentFate, Identifiers, ERASED,
};
use tawasul_domain::vocab::OutboundChannel;
use tawasul_domain::Invalid;
use tawasul_domain::{from_micros, micros};
use tawasul_store::{AnonymiseCase, AttachmentRewrite, AuditInsert, ContactRecords, Forgotten, PersonalCase};

/// Cases the retention job anonymises per run, each in its own transaction; a full batch
/// runs the job again at once.
pub const RETENTION_BATCH: i64 = 200;

/// What one run of the retention job did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionRun {
    pub anonymised: u64,
    /// A full batch was found: there may be more.
    pub more: bool,
}

/// The rewrite of a case: the domain's rule applied to every field that may hold its
/// reporter's identifiers.
fn anonymisation(p: &PersonalCase, at: i64) -> AnonymiseCase {
    let case = &p.case;
    let ids = Identifiers::new(
        case.reporter_name.as_deref(),
        case.reporter_phone.as_deref(),
        case.reporter_email.as_deref(),
    );
    let scrub_json_text = |text: &str| -> Option<String> {
        let value: Value = serde_json::from_str(text).ok()?;
        ids.scrub_json(&value).map(|v| v.to_string())
    };
    let events = p
        .events
        .iter()
        .filter_map(|e| {
            let actor_name = match e.actor_type.as_str() {
                "reporter" => REPORTER_ACTOR.to_owned(),
                "social" => ERASED.to_owned(),
                _ => e.actor_name.clone(),
            };
            let body = e.body.as_deref().and_then(|b| ids.scrub(b));
            let mut details = scrub_json_text(&e.details);
            if e.actor_type == "social" {
                let mut value: Value =
                    serde_json::from_str(details.as_deref().unwrap_or(&e.details)).unwrap_or_default();
                if let Some(author) = value.get_mut("author_name") {
                    *author = ERASED.into();
                    details = Some(value.to_string());
                }
            }
            let changed = actor_name != e.actor_name || body.is_some() || details.is_some();
            changed.then(|| {
                (
                    e.id,
                    actor_name,
                    body.or_else(|| e.body.clone()),
                    details.unwrap_or_else(|| e.details.clone()),
                )
            })
        })
        .collect();
    let attachments = p
        .attachments
        .iter()
        .filter(|a| a.uploaded_by == "reporter")
        .map(|a| match attachment_fate(&a.mime) {
            AttachmentFate::KeepRenamed => AttachmentRewrite::Rename {
                id: a.id,
                filename: erased_filename(a.id, &a.mime),
            },
            AttachmentFate::Remove => AttachmentRewrite::Remove { id: a.id },
        })
        .collect();
    AnonymiseCase {
        case_id: case.id,
        at,
        description: ids.scrub(&case.description),
        answers: scrub_json_text(&case.answers),
        address: case.address.as_deref().and_then(|a| ids.scrub(a)),
        resolution: case.resolution.as_deref().and_then(|r| ids.scrub(r)),
        events,
        survey_comments: p
            .surveys
            .iter()
            .filter_map(|s| Some((s.id, Some(ids.scrub(s.comment.as_deref()?)?))))
            .collect(),
        conversation_states: p
            .conversations
            .iter()
            .filter_map(|c| Some((c.id, scrub_json_text(&c.state)?)))
            .collect(),
        messages: p
            .messages
            .iter()
            .filter_map(|m| Some((m.id, ids.scrub(&m.body)?)))
            .collect(),
        attachments,
        audit: None,
    }
}

impl App {
    /// The retention job's run: the reporters of at most a batch of the cases ended for good
    /// (closed, rejected, merged) whose last change is more than `years` years old are
    /// anonymised, and the run is written to the audit log when it anonymised any.
    pub async fn anonymise_expired(&self, years: u32) -> Outcome<RetentionRun> {
        let now = self.now();
        let cutoff = retention_cutoff(now, years);
        let ids = self.store.cases_to_anonymise(micros(cutoff), RETENTION_BATCH).await?;
        let mut anonymised = 0;
        for id in &ids {
            if self.anonymise_case(*id).await? {
                anonymised += 1;
            }
        }
        if anonymised > 0 {
            self.store
                .audit(AuditInsert {
                    at: self.now_micros(),
                    staff_id: None,
                    action: "privacy_retention".into(),
                    target: "cases".into(),
                    details: json!({ "anonymised": anonymised, "years": years, "ended_before": cutoff.to_rfc3339() })
                        .to_string(),
                })
                .await?;
        }
        Ok(RetentionRun {
            anonymised,
            more: ids.len() as i64 == RETENTION_BATCH,
        })
    }

    /// Anonymises one case (false when it was already). The blobs of the files it removed are
    /// left to the orphan sweep (`sweep_orphan_blobs`), which deletes those no attachment uses
    /// once past their grace: another case may share one, or a report under way be storing it
    /// again, and deleting it now would take the file from under that case.
    async fn anonymise_case(&self, case_id: i64) -> Outcome<bool> {
        let Some(personal) = self.store.personal_case(case_id).await? else {
            return Ok(false);
        };
        if personal.anonymised_at.is_some() {
            return Ok(false);
        }
        Ok(self
            .store
            .anonymise_case(anonymisation(&personal, self.now_micros()))
            .await?)
    }
}

/// A contact in its normal form, as intake stores it, and the forms it is looked up by.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Contact {
    normal: String,
    channel: OutboundChannel,
}

impl Contact {
    fn parse(raw: &str) -> Outcome<Self> {
        let (normal, channel) = parse_contact(raw)?;
        Ok(Self { normal, channel })
    }

    /// The normal form and, for a phone, its digits alone (WhatsApp's ids).
    fn forms(&self) -> (String, String) {
        match self.channel {
            OutboundChannel::Email => (self.normal.clone(), self.normal.clone()),
            _ => (self.normal.clone(), self.normal.trim_start_matches('+').to_owned()),
        }
    }

    async fn cases(&self, app: &App) -> Outcome<Vec<PersonalCase>> {
        let (phone, email) = match self.channel {
            OutboundChannel::Email => (None, Some(self.normal.clone())),
            _ => (Some(self.normal.clone()), None),
        };
        let mut cases = Vec::new();
        for id in app.store.cases_of_contact(phone, email).await? {
            cases.extend(app.store.personal_case(id).await?);
        }
        Ok(cases)
    }

    /// This contact and the others the person's cases name (their e-mail beside their phone):
    /// what is tied to those is theirs too.
    fn with_others(&self, cases: &[PersonalCase]) -> Vec<Contact> {
        let mut all = vec![self.clone()];
        for p in cases {
            let named = [
                p.case.reporter_phone.clone().map(|normal| Contact {
                    normal,
                    channel: OutboundChannel::Sms,
                }),
                p.case.reporter_email.clone().map(|normal| Contact {
                    normal,
                    channel: OutboundChannel::Email,
                }),
            ];
            for contact in named.into_iter().flatten() {
                if !all.contains(&contact) {
                    all.push(contact);
                }
            }
        }
        all
    }
}

fn instant(at: i64) -> String {
    from_micros(at).to_rfc3339()
}

fn instant_opt(at: Option<i64>) -> Option<String> {
    at.map(instant)
}

/// Everything held about one person, as `tawasul privacy export` writes it.
#[derive(Debug, Clone, Serialize)]
pub struct PersonalExport {
    /// The contact in the normal form it was looked up by.
    pub contact: String,
    /// It and the other contacts the person's cases name, whose records are below too.
    pub contacts: Vec<String>,
    pub generated_at: String,
    pub cases: Vec<Value>,
    pub notifications: Vec<Value>,
    pub one_time_codes: Vec<Value>,
    pub sessions: Vec<Value>,
    /// Conversations of the contact's that made no case (those that did are with their case).
    pub conversations: Vec<Value>,
}

fn conversations_json(
    conversations: &[tawasul_store::PersonalConversationRow],
    messages: &[tawasul_store::PersonalMessageRow],
) -> Vec<Value> {
    conversations
        .iter()
        .map(|c| {
            json!({
                "channel": c.channel,
                "address": c.address,
                "started_at": instant(c.started_at),
                "ended_at": instant_opt(c.ended_at),
                "messages": messages.iter().filter(|m| m.conversation_id == c.id).map(|m| json!({
                    "at": instant(m.at),
                    "direction": m.direction,
                    "body": m.body,
                })).collect::<Vec<_>>(),
            })
        })
        .collect()
}

/// A case as its reporter may have it: their report, their entries and the public timeline
/// (staff as their role, never their names), the files, survey answers, calls and ratings.
fn case_json(p: &PersonalCase) -> Value {
    let c = &p.case;
    json!({
        "reference": c.reference,
        "created_at": instant(c.created_at),
        "updated_at": instant(c.updated_at),
        "status": c.status,
        "service": c.service_code,
        "entity": c.entity_code,
        "kind": c.kind,
        "channel": c.channel,
        "language": c.language,
        "description": c.description,
        "answers": serde_json::from_str::<Value>(&c.answers).unwrap_or(Value::Null),
        "address": c.address,
        "location": c.lat.zip(c.lon).map(|(lat, lon)| json!({ "lat": lat, "lon": lon })),
        "reporter": {
            "name": c.reporter_name,
            "phone": c.reporter_phone,
            "email": c.reporter_email,
            "language": c.reporter_language,
        },
        "resolution": c.resolution,
        "timeline": p.events.iter().filter(|e| e.public || e.actor_type == "reporter").map(|e| json!({
            "at": instant(e.at),
            "action": e.action,
            "by": e.actor_type,
            "from_status": e.from_status,
            "to_status": e.to_status,
            "body": e.body,
        })).collect::<Vec<_>>(),
        "attachments": p.attachments.iter().filter(|a| a.public || a.uploaded_by == "reporter").map(|a| json!({
            "filename": a.filename,
            "type": a.mime,
            "size_bytes": a.size_bytes,
            "added_at": instant(a.created_at),
            "by": (if a.uploaded_by == "reporter" { "reporter" } else { "staff" }),
        })).collect::<Vec<_>>(),
        "survey_answers": p.surveys.iter().map(|s| json!({
            "at": instant(s.created_at),
            "quality": s.quality,
            "speed": s.speed,
            "agent": s.agent,
            "solved": s.solved,
            "comment": s.comment,
        })).collect::<Vec<_>>(),
        "calls": p.callbacks.iter().map(|b| json!({
            "at": instant(b.created_at),
            "phone": b.phone,
            "about_status": b.status,
            "state": b.state,
            "attempts": b.attempts,
        })).collect::<Vec<_>>(),
        "agent_ratings": p.ratings.iter().map(|r| json!({
            "at": instant(r.at),
            "agent": r.agent_score,
            "answer": r.answer_score,
        })).collect::<Vec<_>>(),
        "conversations": conversations_json(&p.conversations, &p.messages),
    })
}

/// What `tawasul privacy erase` did, or why it did nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Erasure {
    /// Cases still being worked (or waiting for the reporter's verdict): nothing was changed.
    Refused { open: Vec<String> },
    Done {
        /// The references of the cases anonymised now.
        cases: Vec<String>,
        forgotten: Forgotten,
    },
}

impl Operator<'_> {
    /// Everything held about the person with this phone number or e-mail address (in any
    /// form intake accepts: `00966…`, spaces and dashes, Arabic-Indic digits, any letter case).
    /// Refused (`Invalid`, field `contact`) when it is neither.
    pub async fn privacy_export(&self, contact: &str) -> Outcome<PersonalExport> {
        let app = self.app;
        let contact = Contact::parse(contact)?;
        let cases = contact.cases(app).await?;
        let contacts = contact.with_others(&cases);
        let mut records = ContactRecords::default();
        for other in &contacts {
            let (normal, digits) = other.forms();
            let more = app.store.contact_records(normal, digits).await?;
            records.notifications.extend(more.notifications);
            records.codes.extend(more.codes);
            records.sessions.extend(more.sessions);
            records.conversations.extend(more.conversations);
            records.messages.extend(more.messages);
        }
        let credentials = |rows: &[tawasul_store::PersonalCredentialRow]| -> Vec<Value> {
            rows.iter()
                .map(|r| json!({ "created_at": instant(r.created_at), "expires_at": instant(r.expires_at) }))
                .collect()
        };
        // Handing out a person's data is audited as erasing it is: the references, never the contact.
        app.store
            .audit(AuditInsert {
                at: app.now_micros(),
                staff_id: None,
                action: "privacy_export".into(),
                target: "cases".into(),
                details: json!({ "cases": cases.iter().map(|c| &c.case.reference).collect::<Vec<_>>() }).to_string(),
            })
            .await?;
        Ok(PersonalExport {
            contact: contact.normal.clone(),
            contacts: contacts.iter().map(|c| c.normal.clone()).collect(),
            generated_at: app.now().to_rfc3339(),
            cases: cases.iter().map(case_json).collect(),
            notifications: records
                .notifications
                .iter()
                .map(|n| {
                    json!({
                        "channel": n.channel,
                        "template": n.template,
                        "status": n.status,
                        "created_at": instant(n.created_at),
                        "delivered_at": instant_opt(n.delivered_at),
                    })
                })
                .collect(),
            one_time_codes: credentials(&records.codes),
            sessions: credentials(&records.sessions),
            conversations: conversations_json(&records.conversations, &records.messages),
        })
    }

    /// Anonymises every case of the person's as the retention job would, and forgets what is
    /// tied to their contact (and to the other contacts those cases name) alone (notifications, one-time codes, sessions, conversations
    /// that made no case). Cases that have not ended for good refuse it all unless `force`
    /// (the person withdrew them: staff can no longer reach them). Audited with the cases'
    /// references, never the contact.
    pub async fn privacy_erase(&self, contact: &str, force: bool) -> Outcome<Erasure> {
        let app = self.app;
        let contact = Contact::parse(contact)?;
        let cases = contact.cases(app).await?;
        let open: Vec<String> = cases
            .iter()
            .filter(|p| !is_final(p.case.status))
            .map(|p| p.case.reference.clone())
            .collect();
        if !open.is_empty() && !force {
            return Ok(Erasure::Refused { open });
        }
        // Journalled first: a restore of an older backup erases them again (`reapply_erasures`),
        // even when this run stops half-way.
        if !cases.is_empty() {
            let references = cases.iter().map(|p| p.case.reference.clone()).collect();
            journal_erasures(
                &app.settings.data_dir,
                &[ErasureEntry {
                    at: app.now().to_rfc3339(),
                    cases: references,
                }],
            )?;
        }
        let mut done = Vec::new();
        for p in &cases {
            if app.anonymise_case(p.case.id).await? {
                done.push(p.case.reference.clone());
            }
        }
        let mut forgotten = Forgotten::default();
        for other in contact.with_others(&cases) {
            let (normal, digits) = other.forms();
            let more = app.store.forget_contact(normal, digits, app.now_micros()).await?;
            forgotten.notifications += more.notifications;
            forgotten.codes += more.codes;
            forgotten.sessions += more.sessions;
            forgotten.conversations += more.conversations;
        }
        app.store
            .audit(AuditInsert {
                at: app.now_micros(),
                staff_id: None,
                action: "privacy_erase".into(),
                target: "cases".into(),
                details: json!({ "cases": done, "forced_open": (if force { open } else { vec![] }) }).to_string(),
            })
            .await?;
        Ok(Erasure::Done { cases: done, forgotten })
    }
}

/// The erasures journal in the data directory: one JSON line per `privacy erase`, the time and
/// the cases' references (never the contact). A backup taken before an erasure still holds the
/// person; restoring it and re-applying this journal erases them again.
pub const ERASURES_FILE: &str = "erasures.jsonl";

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ErasureEntry {
    at: String,
    cases: Vec<String>,
}

/// What re-applying a journal did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reapplied {
    /// References the journal lists.
    pub listed: u64,
    /// Cases that held the person again and were anonymised.
    pub anonymised: u64,
    /// References the restored database does not have (taken after the backup).
    pub absent: u64,
}

fn journal_erasures(data_dir: &Path, entries: &[ErasureEntry]) -> Outcome<()> {
    use std::io::Write;
    let path = data_dir.join(ERASURES_FILE);
    if entries.is_empty() {
        return Ok(());
    }
    let failed = |e: std::io::Error| Failure::Unexpected(anyhow::anyhow!("{}: {e}", path.display()));
    let mut lines = String::new();
    for entry in entries {
        lines.push_str(&serde_json::to_string(entry).map_err(|e| Failure::Unexpected(e.into()))?);
        lines.push('\n');
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(failed)?;
    file.write_all(lines.as_bytes()).map_err(failed)?;
    file.sync_all().map_err(failed)
}

impl Operator<'_> {
    /// After a restore: anonymises again every case of `journal` (another installation's
    /// `erasures.jsonl`, or a copy kept with the backups) that the restored database holds in
    /// full, and adds the journal's lines to this data directory's own. Read whole first: a
    /// damaged line refuses the run before anything changes.
    pub async fn reapply_erasures(&self, journal: &Path) -> Outcome<Reapplied> {
        let app = self.app;
        let text = std::fs::read_to_string(journal)
            .map_err(|e| Invalid::new("unreadable", "erasures", format!("{}: {e}", journal.display())))?;
        let mut entries = Vec::new();
        for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let entry: ErasureEntry = serde_json::from_str(line)
                .map_err(|e| Invalid::new("malformed", "erasures", format!("line {}: {e}", n + 1)))?;
            entries.push(entry);
        }
        let mut done = Reapplied::default();
        for reference in entries.iter().flat_map(|e| &e.cases) {
            done.listed += 1;
            match app.store.case_by_reference(reference).await? {
                Some(case) if app.anonymise_case(case.id).await? => done.anonymised += 1,
                Some(_) => {}
                None => done.absent += 1,
            }
        }
        // Into this data directory's journal, each entry once (the same journal re-applied,
        // or re-applied twice, adds nothing).
        let own = std::fs::read_to_string(app.settings.data_dir.join(ERASURES_FILE)).unwrap_or_default();
        let known: std::collections::HashSet<&str> = own.lines().collect();
        let new: Vec<ErasureEntry> = entries
            .into_iter()
            .filter(|e| serde_json::to_string(e).is_ok_and(|line| !known.contains(line.as_str())))
            .collect();
        journal_erasures(&app.settings.data_dir, &new)?;
        app.store
            .audit(AuditInsert {
                at: app.now_micros(),
                staff_id: None,
                action: "privacy_reapply".into(),
                target: "cases".into(),
                details: json!({ "listed": done.listed, "anonymised": done.anonymised, "absent": done.absent })
                    .to_string(),
            })
            .await?;
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_are_looked_up_in_the_forms_intake_stores() -> Outcome<()> {
        let phone = Contact::parse("00966 50-123-4567")?;
        assert_eq!(phone.forms(), ("+966501234567".to_owned(), "966501234567".to_owned()));
        let email = Contact::parse(" Fatima@Example.BH ")?;
        assert_eq!(
            email.forms(),
            ("fatima@example.bh".to_owned(), "fatima@example.bh".to_owned())
        );
        for hostile in ["", "0501234567", "x' OR '1'='1", &"9".repeat(10_240)] {
            assert!(Contact::parse(hostile).is_err(), "{hostile:.20}");
        }
        Ok(())
    }
}
