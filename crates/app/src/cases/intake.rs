//! Submitting a case: the one intake command every channel is normalised to. Whatever the
//! channel, a report arrives as an [`Intake`] — the draft, the files that came with it and
//! the client's retry key — and is written by [`App::submit`] as one transaction: the case,
//! its events, its attachments, its notifications and its idempotency record.

use crate::cases::blobs::storing_failed;
use crate::cases::views::Receipt;
use crate::cases::work::{attachment_insert, attachment_name, blob_key};
use crate::cases::{CasesError, CasesResult};
use crate::error::{Failure, Outcome};
use crate::identity::auth::{new_secret, Caller};
use crate::identity::limits::Client;
use crate::workflow::config::{stored, WorkflowConfig};
use crate::App;
use tawasul_domain::attachment::{AttachmentType, MAX_FILES_AT_INTAKE};
use tawasul_domain::catalogue::Service;
use tawasul_domain::intake::{Email, IntakeDraft, NewCase, PhoneNumber};
use tawasul_domain::sla::SlaClock;
use tawasul_domain::vocab::{Channel, Kind, Status};
use tawasul_domain::{secret_digest, Invalid};
use tawasul_routing::{route, RoutingInput};
use tawasul_store::{CaseInsert, EventInsert, IdempotencyInsert, Inserted, OutboxInsert, ServiceRow};

/// A file that came with a report, as received: recognised by its content at intake.
#[derive(Debug, Clone)]
pub struct Upload {
    pub bytes: Vec<u8>,
    pub content_type: Option<String>,
    pub filename: Option<String>,
}

/// A report as any channel delivers it.
#[derive(Debug, Clone)]
pub struct Intake {
    pub draft: IntakeDraft,
    pub files: Vec<Upload>,
    /// The client's `Idempotency-Key` (or the form's hidden key): a retry with the same key
    /// and the same report returns the case the first attempt made.
    pub idempotency_key: Option<String>,
}

impl From<IntakeDraft> for Intake {
    /// A report without files or retry key.
    fn from(draft: IntakeDraft) -> Self {
        Self {
            draft,
            files: vec![],
            idempotency_key: None,
        }
    }
}

/// A client's retry key with the fingerprint of the report it came with.
#[derive(Debug, Clone)]
struct IdempotencyKey {
    key: String,
    fingerprint: String,
}

impl IdempotencyKey {
    /// One rule for every channel: the digest of the draft as JSON followed by the digest of
    /// each file, so that the same report is recognised however its request was encoded.
    fn of(key: &str, draft: &IntakeDraft, files: &[Upload], point: Option<&str>) -> CasesResult<Self> {
        use sha2::Digest;
        let ok = (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic());
        if !ok {
            return Err(Invalid::new(
                "invalid_idempotency_key",
                "Idempotency-Key",
                "must be 1–255 visible ASCII characters",
            )
            .into());
        }
        let mut digest = sha2::Sha256::new();
        digest.update(serde_json::to_vec(draft).map_err(anyhow::Error::from)?);
        for file in files {
            digest.update(sha2::Sha256::digest(&file.bytes));
        }
        // A report through a service point is another report than the same one without it.
        if let Some(point) = point {
            digest.update(b"\0point:");
            digest.update(point.as_bytes());
        }
        Ok(Self {
            key: key.to_owned(),
            fingerprint: hex::encode(digest.finalize()),
        })
    }
}

/// A file checked at intake, ready to store.
struct CheckedFile {
    key: String,
    kind: AttachmentType,
    filename: String,
    bytes: Vec<u8>,
}

/// A file whose blob is stored: what its attachment row needs.
struct StoredFile {
    key: String,
    kind: AttachmentType,
    filename: String,
    size: usize,
}

/// Refuses more files than a report may bring and files that are not what they claim.
fn check_files(files: Vec<Upload>) -> Outcome<Vec<CheckedFile>> {
    if files.len() > MAX_FILES_AT_INTAKE {
        return Err(Invalid::new(
            "too_many_files",
            "photos",
            format!("a report may bring at most {MAX_FILES_AT_INTAKE} files"),
        )
        .into());
    }
    files
        .into_iter()
        .map(|file| {
            let kind = AttachmentType::sniff(&file.bytes, file.content_type.as_deref()).map_err(|e| Invalid {
                field: "photos".into(),
                ..e
            })?;
            Ok(CheckedFile {
                key: blob_key(&file.bytes),
                filename: attachment_name(file.filename.as_deref(), kind)?,
                kind,
                bytes: file.bytes,
            })
        })
        .collect()
}

pub fn service_from_row(row: &ServiceRow) -> Outcome<Service> {
    let kinds = row.kinds.split(',').map(Kind::parse).collect::<Result<Vec<_>, _>>()?;
    Ok(Service {
        id: row.id,
        code: row.code.clone(),
        entity: row.entity_code.clone(),
        entity_id: row.entity_id,
        name_ar: row.name_ar.clone(),
        name_en: row.name_en.clone(),
        description_ar: row.description_ar.clone(),
        description_en: row.description_en.clone(),
        kinds,
        fields: serde_json::from_str(&row.fields).map_err(anyhow::Error::from)?,
        default_department: row.default_department_code.clone(),
        default_department_id: row.default_department_id,
        default_priority: row.default_priority,
    })
}

impl App {
    /// `submit` for a request edge: first counts the case against this node's limits, per
    /// staff credential when a staff user sends it (a contact centre's agent or integration),
    /// else per client address, and per the reporter's contact (`Limits::intake_*`). A
    /// channel that answers requests calls this; `submit` alone is for operators' tools.
    pub async fn submit_from(&self, intake: Intake, client: &Client, caller: &Caller) -> CasesResult<Receipt> {
        self.admit_intake(&intake.draft, client, caller)?;
        self.submit(intake).await
    }

    /// Counts a case about to be submitted against the intake limits (see `submit_from`),
    /// for an edge that checks before it reads the rest of the request.
    pub fn admit_intake(&self, draft: &IntakeDraft, client: &Client, caller: &Caller) -> Outcome<()> {
        let limits = self.limits();
        match caller {
            Caller::Staff(user) => self.admit(
                &format!("intake:k:{}", user.id),
                limits.intake_per_key,
                "cases sent with this key",
            )?,
            _ => self.admit(
                &format!("intake:a:{}", client.address),
                limits.intake_per_address,
                "cases sent from this address",
            )?,
        }
        if let Some(reporter) = &draft.reporter {
            let phone = reporter.phone.as_deref().and_then(|p| PhoneNumber::parse(p).ok());
            let email = reporter.email.as_deref().and_then(|e| Email::parse(e).ok());
            let contact = phone
                .map(|p| p.as_str().to_owned())
                .or_else(|| email.map(|e| e.as_str().to_owned()));
            if let Some(contact) = contact {
                self.admit(
                    &format!("intake:c:{contact}"),
                    limits.intake_per_contact,
                    "cases giving this contact",
                )?;
            }
        }
        Ok(())
    }

    /// Makes a case of what a channel received, with its files, in one transaction. The
    /// files' blobs are stored first. If anything after fails they are left where they are:
    /// an identical file of another report may be using the same blob by then. Blobs no
    /// attachment uses are removed by the orphan sweep (`App::sweep_orphan_blobs`).
    pub async fn submit(&self, intake: Intake) -> CasesResult<Receipt> {
        self.submit_through(intake, None, None).await
    }

    /// The same, for a public post on social media (a Page comment, an X mention) whose
    /// author hears back privately at `handle`: `fb-comment:<comment id>` (a private reply to
    /// the comment) or `x:<user id>` (a direct message). The receipt with its tracking link
    /// goes there, through the outbox, and so does every later notice of the case.
    pub async fn submit_post(&self, intake: Intake, handle: &str) -> CasesResult<Receipt> {
        self.submit_through(intake, None, Some(handle)).await
    }

    /// The same, for a report made through the QR code of the service point `point`: the
    /// case carries the point, and the point's count of cases grows with it.
    pub async fn submit_at_point(&self, point: &str, intake: Intake) -> CasesResult<Receipt> {
        let point = self
            .store
            .point_by_code(point)
            .await?
            .ok_or(Failure::NotFound("service point"))?;
        self.submit_through(intake, Some((point.id, point.code)), None).await
    }

    async fn submit_through(
        &self,
        intake: Intake,
        point: Option<(i64, String)>,
        handle: Option<&str>,
    ) -> CasesResult<Receipt> {
        let Intake {
            draft,
            files,
            idempotency_key,
        } = intake;
        let idempotency = idempotency_key
            .map(|key| IdempotencyKey::of(&key, &draft, &files, point.as_ref().map(|p| p.1.as_str())))
            .transpose()?;
        let row = self.store.service_by_code(&draft.service).await?.ok_or_else(|| {
            Failure::Invalid(Invalid::new(
                "unknown_service",
                "service",
                format!("there is no service {:?}; see GET /api/v1/services", draft.service),
            ))
        })?;
        let service = service_from_row(&row)?;
        let case = NewCase::parse(&draft, &service)?;
        let files = self.clean_files(check_files(files)?).await?;
        let token = new_secret();
        let config = self.workflow().await?;
        let key_context = idempotency.as_ref().map(|k| format!("idempotency:{}", k.key));
        let mut insert = self.case_insert(&case, &service, &config, token.clone(), idempotency, handle);
        // Kept only for a retry with the same key, and then sealed with the server key.
        insert.token = key_context
            .as_deref()
            .map(|context| self.sealer.seal(context, &token))
            .unwrap_or_default();
        if let Some((id, code)) = &point {
            insert.point_id = Some(*id);
            if let Some(received) = insert.events.first_mut() {
                let mut details: serde_json::Value =
                    serde_json::from_str(&received.details).unwrap_or_else(|_| serde_json::json!({}));
                details["point"] = code.as_str().into();
                received.details = details.to_string();
            }
        }
        let stored = self.store_blobs(files).await?;
        let at = insert.created_at;
        insert.attachments = stored
            .into_iter()
            .map(|f| {
                let actor = ("reporter", None, crate::cases::work::REPORTER_ACTOR.to_owned());
                attachment_insert(0, f.key, f.kind, f.filename, f.size, true, "reporter", actor, at)
            })
            .collect();
        Ok(match self.store.insert_case(insert).await? {
            Inserted::Created { reference, .. } => self.receipt(reference, token, false),
            Inserted::Replayed { reference, token, .. } => {
                let opened = key_context.and_then(|context| self.sealer.open(&context, &token));
                let Some(token) = opened else {
                    return Err(CasesError::Conflict(format!(
                        "this request was accepted already as {reference}; its token is no longer kept"
                    )));
                };
                self.receipt(reference, token, true)
            }
        })
    }

    /// The files re-encoded without their metadata (`photos::clean`), each under its new digest.
    async fn clean_files(&self, files: Vec<CheckedFile>) -> CasesResult<Vec<CheckedFile>> {
        let mut cleaned = Vec::with_capacity(files.len());
        for file in files {
            let c = self.clean_file(file.bytes, file.kind).await.map_err(|e| match e {
                Failure::Invalid(invalid) => Failure::Invalid(Invalid {
                    field: "photos".into(),
                    ..invalid
                }),
                other => other,
            })?;
            cleaned.push(CheckedFile {
                key: blob_key(&c.bytes),
                filename: crate::cases::photos::renamed(file.filename, file.kind, c.kind),
                kind: c.kind,
                bytes: c.bytes,
            });
        }
        Ok(cleaned)
    }

    /// Stores the files' blobs, handing each one's bytes over; returns the files stored.
    async fn store_blobs(&self, files: Vec<CheckedFile>) -> CasesResult<Vec<StoredFile>> {
        let mut stored = vec![];
        for file in files {
            let size = file.bytes.len();
            self.blobs.put(&file.key, file.bytes).await.map_err(storing_failed)?;
            stored.push(StoredFile {
                key: file.key,
                kind: file.kind,
                filename: file.filename,
                size,
            });
        }
        Ok(stored)
    }

    fn receipt(&self, reference: String, token: String, replayed: bool) -> Receipt {
        Receipt {
            tracking_url: format!("/track/{reference}?token={token}"),
            reference,
            token,
            status: Status::New.as_str().to_owned(),
            replayed,
        }
    }

    fn case_insert(
        &self,
        case: &NewCase,
        service: &Service,
        config: &WorkflowConfig,
        token: String,
        idempotency: Option<IdempotencyKey>,
        handle: Option<&str>,
    ) -> CaseInsert {
        let now = self.now_micros();
        let decision = route(
            &RoutingInput {
                service: &service.code,
                service_entity_id: service.entity_id,
                service_department_id: service.default_department_id,
                coordinates: case.location.map(|l| (l.lon, l.lat)),
                text: case.description.as_str(),
                language: case.language,
            },
            config.areas_for(service.entity_id),
            &config.rules,
        );
        let terms = config.terms(decision.entity_id, service.id, case.priority);
        let clock = SlaClock::start(now, &terms);
        let reporter = case.reporter.as_ref();
        let name = reporter.and_then(|r| r.name.as_ref()).map(|n| n.as_str().to_owned());
        let phone = reporter.and_then(|r| r.phone.as_ref()).map(|p| p.as_str().to_owned());
        let email = reporter.and_then(|r| r.email.as_ref()).map(|e| e.as_str().to_owned());
        let event = |actor_type: &str, actor_name: &str, action: &str, details: serde_json::Value| EventInsert {
            case_id: 0,
            at: now,
            actor_type: actor_type.into(),
            actor_id: None,
            actor_name: actor_name.into(),
            action: action.into(),
            from_status: None,
            to_status: (action == "received").then_some(Status::New),
            public: true,
            body: None,
            details: details.to_string(),
        };
        let mut events = vec![event(
            if reporter.is_some() { "reporter" } else { "system" },
            if reporter.is_some() {
                crate::cases::work::REPORTER_ACTOR
            } else {
                "anonymous"
            },
            "received",
            serde_json::json!({ "channel": case.channel, "kind": case.kind }),
        )];
        let mut routed = decision.reason.describe();
        routed["entity"] = config.entity_code(decision.entity_id).into();
        routed["department"] = config.department_code(decision.department_id).into();
        routed["queue"] = if decision.department_id.is_some() {
            "department"
        } else {
            "triage"
        }
        .into();
        events.push(event("system", "routing", "routed", routed));
        let language = reporter.map_or(case.language, |r| r.language).as_str().to_owned();
        // A conversation that makes a case says its reference itself; its address is linked
        // after. A public post's author hears the receipt privately, at their handle.
        let contacts = self.contacts(phone.as_deref(), email.as_deref(), handle);
        let notifications = crate::cases::work::reporter_channel(case.channel, &contacts)
            .map(|(channel, recipient)| (recipient.to_owned(), channel))
            .into_iter()
            .map(|(recipient, channel)| {
                // A case that came by e-mail is told how to add to it by replying.
                let template = if case.channel == Channel::Email {
                    "case_received_mail"
                } else {
                    "case_received"
                };
                OutboxInsert {
                    channel: channel.as_str().into(),
                    recipient,
                    template: template.into(),
                    language: language.clone(),
                    // The token goes into the link only when the message is delivered.
                    payload: serde_json::json!({
                        "service_ar": service.name_ar,
                        "service_en": service.name_en,
                        "track_url": self.settings.public_link("/track/{reference}?token={token}"),
                    })
                    .to_string(),
                    // Sealed for the template it is stored under: delivery opens it with that name.
                    secret: Some(self.seal_secrets(template, serde_json::json!({ "token": token }))),
                    created_at: now,
                }
            })
            .collect();
        CaseInsert {
            token_hash: secret_digest(&token),
            token,
            idempotency: idempotency.map(|k| IdempotencyInsert {
                key: k.key,
                fingerprint: k.fingerprint,
            }),
            entity_id: decision.entity_id,
            department_id: decision.department_id,
            service_id: case.service_id,
            kind: case.kind.as_str().into(),
            status: Status::New.as_str().into(),
            channel: case.channel.as_str().into(),
            language: case.language.as_str().into(),
            priority: case.priority.as_str().into(),
            description: case.description.as_str().into(),
            answers: serde_json::Value::Object(case.answers.clone()).to_string(),
            lat: case.location.map(|l| l.lat),
            lon: case.location.map(|l| l.lon),
            address: case.address.as_ref().map(|a| a.as_str().to_owned()),
            reporter_name: name,
            reporter_phone: phone,
            reporter_email: email,
            reporter_language: reporter.map(|r| r.language.as_str().to_owned()),
            reporter_handle: handle.map(str::to_owned),
            created_at: now,
            events,
            notifications,
            sla: stored(&clock),
            area_id: match decision.reason.entity {
                tawasul_routing::EntityReason::Area { area_id } => Some(area_id),
                _ => None,
            },
            ..Default::default()
        }
    }
}
