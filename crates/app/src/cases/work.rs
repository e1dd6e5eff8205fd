//! Reading and working cases: the reporter's view, staff queues, transitions, comments,
//! attachments. Every staff action is authorised here and audited with the change.

use crate::cases::blobs::storing_failed;
use crate::cases::intake::Upload;
use crate::cases::views::*;
use crate::cases::CasesResult;
use crate::error::{Failure, Outcome};
use crate::identity::auth::Caller;
use crate::identity::authz::{Permission, StaffUser};
use crate::workflow::config::{clock_of, stored};
use crate::App;
use serde::Deserialize;
use tawasul_domain::attachment::AttachmentType;
use tawasul_domain::lifecycle::{self, Action};
use tawasul_domain::text::{query_words, CaseText};
use tawasul_domain::vocab::Priority;
use tawasul_domain::vocab::{Channel, Kind, Language, OutboundChannel, Status};
use tawasul_domain::{from_micros, secret_digest, Invalid};
use tawasul_store::{
    AttachmentInsert, AuditInsert, CaseChange, CaseCursor, CaseFilter, CaseOrder, CaseRow, EventInsert, OutboxInsert,
    QueueScope, SlaFilter,
};
use utoipa::{IntoParams, ToSchema};

pub(crate) const MAX_COMMENT: usize = 5_000;
const MAX_REASON: usize = 1_000;
const MAX_PAGE: i64 = 200;
/// The actor name of the reporter's own events: their name is read from the case when shown
/// (masked by role), never copied into the timeline.
pub(crate) const REPORTER_ACTOR: &str = "reporter";
/// "Due soon": the resolution falls due within this long (a working day).
pub(crate) const DUE_SOON_MICROS: i64 = 24 * 3_600_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// A reply the reporter sees.
    Public,
    /// A note for staff only.
    Internal,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentRequest {
    pub body: String,
    /// Staff only; the reporter's comments are always public. Defaults to internal for staff.
    #[serde(default)]
    pub visibility: Option<Visibility>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    pub action: Action,
    /// Required to reject; recorded for any action.
    #[serde(default)]
    pub reason: Option<String>,
    /// Required to resolve: what was done, as the reporter will read it.
    #[serde(default)]
    pub resolution: Option<String>,
    /// For `assign`: the department code (of the case's entity).
    #[serde(default)]
    pub department: Option<String>,
    /// For `assign`: the staff username to assign.
    #[serde(default)]
    pub assignee: Option<String>,
}

/// A change of a case's service or priority; its SLA due times are recomputed.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReclassifyRequest {
    #[serde(default)]
    pub service: Option<String>,
    #[serde(default)]
    pub priority: Option<Priority>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// Filters of the staff case list; all optional, combined with AND.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CaseQuery {
    /// Words that must all occur (Arabic spelling variants are folded), or a reference.
    pub q: Option<String>,
    /// One status, or several separated by commas.
    pub status: Option<String>,
    pub service: Option<String>,
    /// A department's code (of the entity in view); `none` for cases in no department yet.
    pub department: Option<String>,
    /// An entity's code: installation-wide staff narrow to one entity; other staff may name
    /// only their own.
    pub entity: Option<String>,
    pub channel: Option<String>,
    /// complaint, suggestion, inquiry, report, compliment or escalation.
    pub kind: Option<String>,
    /// Assignee username (of the entity in view); `me` for the caller, `none` for cases
    /// assigned to nobody.
    pub assignee: Option<String>,
    /// A routing area's number (as the KPI report's `area` groups name it): cases located in
    /// it at intake; `none` for cases in no area.
    pub area: Option<String>,
    /// The language the case was written in (ar, en, ur, hi, bn, tl, ml or fr).
    pub language: Option<String>,
    /// mine, department (the caller's), triage (no department yet), transferred (to the
    /// caller's entity, not yet accepted), followed (handed by the caller's entity to
    /// another), escalated.
    pub queue: Option<String>,
    /// overdue, or due_soon (resolution due within a working day).
    pub sla: Option<String>,
    pub priority: Option<String>,
    /// newest (the default), oldest, due (soonest due first; paused, ended and untimed
    /// cases last) or priority (urgent first, newest first within a priority).
    pub sort: Option<String>,
    /// Created at or after this instant (RFC 3339) or the start of this date (YYYY-MM-DD), a
    /// local day of the entity in view (the installation's default calendar for every entity
    /// at once), as the KPI reports count days.
    pub from: Option<String>,
    /// Created before this instant (RFC 3339) or the start of this date (YYYY-MM-DD, so
    /// exclusive), a local day as for `from`.
    pub to: Option<String>,
    /// Reported at this QR service point (its code).
    pub point: Option<String>,
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<i64>,
}

pub(crate) fn parse_instant(raw: &str, field: &str) -> Outcome<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(raw) {
        return Ok(t.timestamp_micros());
    }
    chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_micros())
        .ok_or_else(|| Invalid::new("invalid_date", field, "expected an RFC 3339 instant or YYYY-MM-DD").into())
}

fn parse_cursor(raw: &str) -> Outcome<CaseCursor> {
    let parts: Option<Vec<i64>> = raw.split('_').map(|p| p.parse().ok()).collect();
    match parts.as_deref() {
        Some(&[first, second, id]) => Ok(CaseCursor { first, second, id }),
        _ => Err(Invalid::new("invalid_cursor", "cursor", "use the next_cursor of the previous page").into()),
    }
}

fn parse_order(raw: Option<&str>) -> Outcome<CaseOrder> {
    match raw {
        None | Some("newest") => Ok(CaseOrder::Newest),
        Some("oldest") => Ok(CaseOrder::Oldest),
        Some("due") => Ok(CaseOrder::DueFirst),
        Some("priority") => Ok(CaseOrder::PriorityFirst),
        Some(other) => Err(Invalid::new(
            "unknown_sort",
            "sort",
            format!("no sort {other:?}: use newest, oldest, due or priority"),
        )
        .into()),
    }
}

fn is_reference(q: &str) -> bool {
    let parts: Vec<&str> = q.split('-').collect();
    parts.len() == 3
        && parts[0].eq_ignore_ascii_case("TW")
        && parts[1..]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Attachments are stored under the digest of their bytes.
pub(crate) fn blob_key(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// The name an attachment is shown with: the one it came with, checked, or one made from its
/// type. Public for the fuzz targets.
pub fn attachment_name(filename: Option<&str>, kind: AttachmentType) -> Outcome<String> {
    Ok(match filename.filter(|f| !f.trim().is_empty()) {
        Some(f) => CaseText::parse_line(f, "filename", 200)?.into_string(),
        None => format!("attachment.{}", kind.extension()),
    })
}

/// An attachment row with its `attachment` event; `actor` is (type, staff id, name).
#[allow(clippy::too_many_arguments)]
pub(crate) fn attachment_insert(
    case_id: i64,
    blob_key: String,
    kind: AttachmentType,
    filename: String,
    size: usize,
    public: bool,
    uploaded_by: &str,
    actor: (&str, Option<i64>, String),
    at: i64,
) -> AttachmentInsert {
    let size_bytes = i64::try_from(size).unwrap_or(i64::MAX);
    AttachmentInsert {
        fix: false,
        case_id,
        blob_key,
        mime: kind.mime().into(),
        size_bytes,
        filename,
        public,
        uploaded_by: uploaded_by.into(),
        created_at: at,
        event: EventInsert {
            case_id,
            at,
            actor_type: actor.0.into(),
            actor_id: actor.1,
            actor_name: actor.2,
            action: "attachment".into(),
            from_status: None,
            to_status: None,
            public,
            body: None,
            details: serde_json::json!({ "mime": kind.mime(), "size_bytes": size_bytes }).to_string(),
        },
    }
}

/// Constant-time comparison of two digests.
fn same_digest(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The reporter's ways to be reached that a case keeps, and which providers' adapters are on.
pub(crate) struct Contacts<'a> {
    pub phone: Option<&'a str>,
    pub email: Option<&'a str>,
    /// `fb:…`, `fb-comment:…` or `x:…`: who wrote on social media, for a case that came by it.
    pub handle: Option<&'a str>,
    pub whatsapp_on: bool,
    pub facebook_on: bool,
    pub x_on: bool,
}

/// How a reporter hears from us: through the provider's adapter when the case came by
/// WhatsApp or social media and that adapter is on; through the channel bridge (the signed
/// webhook) when it came by WhatsApp, chat or social media otherwise; else by e-mail, else by SMS.
pub(crate) fn reporter_channel<'a>(
    case_channel: Channel,
    contacts: &Contacts<'a>,
) -> Option<(OutboundChannel, &'a str)> {
    if case_channel == Channel::Whatsapp && contacts.whatsapp_on {
        if let Some(phone) = contacts.phone {
            return Some((OutboundChannel::Whatsapp, phone));
        }
    }
    if case_channel == Channel::Social {
        let on = contacts
            .handle
            .and_then(tawasul_notify::Network::of)
            .is_some_and(|(network, _)| {
                if network.is_facebook() {
                    contacts.facebook_on
                } else {
                    contacts.x_on
                }
            });
        if let (true, Some(handle)) = (on, contacts.handle) {
            return Some((OutboundChannel::Social, handle));
        }
    }
    let conversational = matches!(case_channel, Channel::Whatsapp | Channel::Chat | Channel::Social);
    contacts
        .phone
        .or(contacts.email)
        .or(contacts.handle)
        .filter(|_| conversational)
        .map(|contact| (OutboundChannel::Webhook, contact))
        .or(contacts.email.map(|e| (OutboundChannel::Email, e)))
        .or(contacts.phone.map(|p| (OutboundChannel::Sms, p)))
}

pub(crate) enum Access {
    Staff(StaffUser),
    /// Staff of an entity that handed the case to another: they follow it, read-only.
    Follower(StaffUser),
    Reporter,
}

impl App {
    /// A case a staff user may work on; to staff of other entities it does not exist.
    pub(crate) async fn staff_case(&self, user: &StaffUser, reference: &str) -> Outcome<CaseRow> {
        let case = self.case_row(reference).await?;
        user.require(Permission::ViewCase, Some(case.entity_id))
            .map_err(|_| Failure::NotFound("case"))?;
        Ok(case)
    }

    /// The case `reference` for `caller`, who must have shown some credential: without one the
    /// answer is the same whether the case exists or not (no existence oracle).
    pub(crate) async fn case_for(&self, caller: &Caller, reference: &str) -> Outcome<CaseRow> {
        if matches!(caller, Caller::Anonymous) {
            return Err(Failure::Unauthenticated);
        }
        self.case_row(reference).await
    }

    pub(crate) async fn case_row(&self, reference: &str) -> Outcome<CaseRow> {
        self.store
            .case_by_reference(reference)
            .await?
            .ok_or(Failure::NotFound("case"))
    }

    /// Who may see this case: staff by role and entity, the reporter by token or verified
    /// contact. To anyone else (staff of another entity included) a case that exists looks like
    /// one that does not.
    pub(crate) fn access(&self, caller: &Caller, case: &CaseRow) -> Outcome<Access> {
        match caller {
            Caller::Anonymous => Err(Failure::Unauthenticated),
            Caller::Staff(user) => {
                user.require(Permission::ViewCase, Some(case.entity_id))
                    .map_err(|_| Failure::NotFound("case"))?;
                Ok(Access::Staff(user.clone()))
            }
            Caller::CaseToken(token) if same_digest(&secret_digest(token), &case.token_hash) => Ok(Access::Reporter),
            Caller::Resident { contact }
                if case.reporter_phone.as_deref() == Some(contact)
                    || case.reporter_email.as_deref() == Some(contact) =>
            {
                Ok(Access::Reporter)
            }
            _ => Err(Failure::NotFound("case")),
        }
    }

    /// `access`, or for staff of an entity that transferred the case away, read-only access.
    pub(crate) async fn read_access(&self, caller: &Caller, case: &CaseRow) -> Outcome<Access> {
        match (self.access(caller, case), caller) {
            (Err(Failure::NotFound(_)), Caller::Staff(user)) if user.may(Permission::ViewCase, user.entity_id) => {
                let handed_over = self
                    .store
                    .transfers_of(case.id)
                    .await?
                    .iter()
                    .any(|t| Some(t.from_entity_id) == user.entity_id);
                if handed_over {
                    Ok(Access::Follower(user.clone()))
                } else {
                    Err(Failure::NotFound("case"))
                }
            }
            (access, _) => access,
        }
    }

    /// Only the reporter (by tracking token or verified contact) may act as the reporter.
    pub(crate) fn require_reporter(&self, caller: &Caller, case: &CaseRow) -> Outcome<()> {
        match self.access(caller, case)? {
            Access::Reporter => Ok(()),
            Access::Staff(_) | Access::Follower(_) => Err(Failure::Forbidden(
                "only the reporter, with their tracking token or verified contact, may do this".into(),
            )),
        }
    }

    pub async fn read_case(&self, caller: &Caller, reference: &str) -> CasesResult<CaseView> {
        let case = self.case_for(caller, reference).await?;
        let access = self.read_access(caller, &case).await?;
        let (events, attachments, transfers) = tokio::try_join!(
            self.store.events(case.id),
            self.store.attachments(case.id),
            self.store.transfers_of(case.id)
        )?;
        let staff = match &access {
            Access::Staff(user) | Access::Follower(user) => Some(user),
            Access::Reporter => None,
        };
        let acting = matches!(access, Access::Staff(_));
        let now = self.now_micros();
        let ignored_complaint = match access {
            Access::Reporter => Some(self.ignored_eligibility(&case, now).await?),
            _ => None,
        };
        // The reporter's details in full for the reporter and for roles that may see them on
        // their own entity's case; masked everywhere else they appear (the card, the timeline).
        let plain = staff.is_none_or(|u| acting && u.may(Permission::ViewReporter, Some(case.entity_id)));
        let shown = |v: &Option<String>, mask: fn(&str) -> String| {
            v.as_deref().map(|s| if plain { s.to_owned() } else { mask(s) })
        };
        let reporter = (case.reporter_name.is_some() || case.reporter_phone.is_some() || case.reporter_email.is_some())
            .then(|| ReporterView {
                name: shown(&case.reporter_name, mask_name),
                phone: shown(&case.reporter_phone, mask_phone),
                email: shown(&case.reporter_email, mask_email),
                language: case.reporter_language.map(|l| l.as_str().to_owned()),
                masked: !plain,
            });
        if let (Some(user), Some(shown)) = (staff.filter(|_| plain), &reporter) {
            let fields: Vec<&str> = [("name", &shown.name), ("phone", &shown.phone), ("email", &shown.email)]
                .into_iter()
                .filter_map(|(field, value)| value.is_some().then_some(field))
                .collect();
            self.audit_view(
                user,
                "view_reporter",
                &format!("case:{}", case.reference),
                serde_json::json!({ "fields": fields }),
            )
            .await;
        }
        let status = case.status;
        let available_actions = match staff.filter(|_| acting) {
            Some(user) => lifecycle::available(status)
                .into_iter()
                .filter(|a| user.may(Permission::Transition(*a), Some(case.entity_id)))
                .collect(),
            None => vec![],
        };
        let sla = SlaView::from_row(&case, now);
        let expected = self
            .workflow()
            .await?
            .expected(case.entity_id, case.service_id, case.priority);
        let fix_photo_required = self
            .store
            .managed_service(&case.service_code)
            .await?
            .is_some_and(|s| s.service.fix_photo_required);
        let linked_case = case.linked_reference.clone();
        let merged_into = case.merged_into_reference.clone();
        Ok(CaseView {
            timeline: events
                .iter()
                .filter(|e| staff.is_some() || e.public)
                .map(|e| match staff {
                    // The reporter's own events name them as the card does, whatever the row says.
                    Some(_) if e.actor_type == "reporter" => EventView {
                        actor: shown(&case.reporter_name, mask_name),
                        ..EventView::from_row(e, true)
                    },
                    Some(_) => EventView::from_row(e, true),
                    None => EventView::for_reporter(e),
                })
                .collect(),
            attachments: attachments
                .iter()
                .filter(|a| staff.is_some() || a.public)
                .map(|a| AttachmentView::from_row(a, &case.reference))
                .collect(),
            reference: case.reference,
            kind: case.kind.as_str().to_owned(),
            status: case.status.as_str().to_owned(),
            service: case.service_code,
            entity: case.entity_code,
            department: case.department_code,
            assignee: staff.and(case.assignee_username),
            channel: case.channel.as_str().to_owned(),
            language: case.language.as_str().to_owned(),
            priority: case.priority.as_str().to_owned(),
            description: case.description,
            answers: serde_json::from_str(&case.answers).unwrap_or_default(),
            location: case.lat.zip(case.lon).map(|(lat, lon)| LocationView { lat, lon }),
            address: case.address,
            reporter,
            resolution: case.resolution,
            created_at: from_micros(case.created_at).to_rfc3339(),
            updated_at: from_micros(case.updated_at).to_rfc3339(),
            available_actions,
            sla,
            linked_case,
            merged_into,
            transfers: match staff {
                Some(_) => transfers.iter().map(TransferView::from_row).collect(),
                None => vec![],
            },
            ignored_complaint,
            expected,
            fix_photo_required,
        })
    }

    /// The staff case list: filtered, scoped to the caller's entity, sorted, keyset-paged.
    pub async fn list_cases(&self, user: &StaffUser, query: CaseQuery) -> CasesResult<CasePage> {
        let limit = query.limit.unwrap_or(50);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(Invalid::new("out_of_range", "limit", format!("must lie between 1 and {MAX_PAGE}")).into());
        }
        let mut filter = CaseFilter {
            entity_id: user.entity_id,
            limit: limit + 1,
            ..Default::default()
        };
        if let Some(code) = &query.entity {
            let entity = self.store.entity_by_code(code).await?;
            match (entity, user.entity_id) {
                (Some(e), None) => filter.entity_id = Some(e.id),
                (Some(e), Some(mine)) if e.id == mine => {}
                (Some(_), Some(_)) => {
                    return Err(Failure::Forbidden("staff see only their own entity's cases".into()).into())
                }
                (None, _) => return Err(Invalid::new("unknown_entity", "entity", format!("no entity {code:?}")).into()),
            }
        }
        if let Some(statuses) = &query.status {
            for s in statuses.split(',').filter(|s| !s.is_empty()) {
                filter.statuses.push(Status::parse(s)?);
            }
        }
        if let Some(code) = &query.service {
            let service = self.store.service_by_code(code).await?;
            filter.service_id = Some(
                service
                    .ok_or_else(|| Invalid::new("unknown_service", "service", format!("no service {code:?}")))?
                    .id,
            );
        }
        if query.department.as_deref() == Some("none") {
            filter.no_department = true;
        } else if let Some(code) = &query.department {
            let departments = self.store.departments().await?;
            let found = departments
                .iter()
                .find(|d| d.code == *code && filter.entity_id.is_none_or(|e| e == d.entity_id))
                .ok_or_else(|| Invalid::new("unknown_department", "department", format!("no department {code:?}")))?;
            filter.department_id = Some(found.id);
        }
        if let Some(name) = &query.assignee {
            match name.as_str() {
                "me" => filter.assignee_id = Some(user.id),
                "none" => filter.unassigned = true,
                _ => {
                    // Only staff whose cases the caller may list: another entity's staff are
                    // unknown to them, as its departments are.
                    let found = self
                        .store
                        .staff_by_username(name)
                        .await?
                        .filter(|s| match (filter.entity_id, s.entity_id) {
                            (Some(mine), Some(theirs)) => mine == theirs,
                            _ => true,
                        })
                        .ok_or_else(|| {
                            Invalid::new("unknown_assignee", "assignee", format!("no staff user {name:?}"))
                        })?;
                    filter.assignee_id = Some(found.id);
                }
            }
        }
        if query.area.as_deref() == Some("none") {
            filter.no_area = true;
        } else if let Some(raw) = &query.area {
            let id: i64 = raw
                .trim()
                .parse()
                .map_err(|_| Invalid::new("invalid_area", "area", "expected an area's number"))?;
            let entity = self.store.area_entity(id).await?;
            let visible = entity.filter(|e| filter.entity_id.is_none_or(|mine| mine == *e));
            if visible.is_none() {
                return Err(Invalid::new("unknown_area", "area", format!("no area {id}")).into());
            }
            filter.area_id = Some(id);
        }
        filter.language = query.language.as_deref().map(Language::parse).transpose()?;
        if let Some(code) = &query.point {
            let point = self
                .store
                .point_by_code(code)
                .await?
                .filter(|p| filter.entity_id.is_none_or(|e| e == p.entity_id))
                .ok_or_else(|| Invalid::new("unknown_point", "point", format!("no service point {code:?}")))?;
            filter.point_id = Some(point.id);
        }
        filter.channel = query.channel.as_deref().map(Channel::parse).transpose()?;
        filter.kind = query.kind.as_deref().map(Kind::parse).transpose()?;
        let now = self.now_micros();
        match query.queue.as_deref() {
            None | Some("all") => {}
            Some("mine") => filter.assignee_id = Some(user.id),
            Some("department") => {
                filter.department_id = Some(user.department_id.ok_or_else(|| {
                    Invalid::new(
                        "no_department",
                        "queue",
                        "you belong to no department; use another queue",
                    )
                })?)
            }
            Some("triage") => filter.scope = QueueScope::Triage,
            Some("transferred") => filter.scope = QueueScope::TransferredIn,
            Some("followed") => filter.scope = QueueScope::Followed,
            Some("escalated") => filter.scope = QueueScope::Escalated,
            Some(other) => {
                return Err(Invalid::new(
                    "unknown_queue",
                    "queue",
                    format!("no queue {other:?}: use mine, department, triage, transferred, followed or escalated"),
                )
                .into())
            }
        }
        filter.sla = match query.sla.as_deref() {
            None => None,
            Some("overdue") => Some(SlaFilter::Overdue { now }),
            Some("due_soon") => Some(SlaFilter::DueBefore {
                now,
                before: now + DUE_SOON_MICROS,
            }),
            Some(other) => {
                return Err(Invalid::new(
                    "unknown_sla_state",
                    "sla",
                    format!("no SLA state {other:?}: use overdue or due_soon"),
                )
                .into())
            }
        };
        filter.priority = query.priority.as_deref().map(Priority::parse).transpose()?;
        if query.from.is_some() || query.to.is_some() {
            // A date is a local day of the entity in view, as the KPI reports count days, so
            // that a dashboard's figure and the queue it links to count the same cases.
            let config = self.workflow().await?;
            let calendar = config.calendar_of(filter.entity_id);
            let bound = |raw: &str, field: &str| -> Outcome<i64> {
                match chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
                    Ok(date) => Ok(calendar.day_start(date)),
                    Err(_) => parse_instant(raw, field),
                }
            };
            filter.created_from = query.from.as_deref().map(|v| bound(v, "from")).transpose()?;
            filter.created_to = query.to.as_deref().map(|v| bound(v, "to")).transpose()?;
        }
        filter.order = parse_order(query.sort.as_deref())?;
        filter.after = query.cursor.as_deref().map(parse_cursor).transpose()?;
        if let Some(q) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            if q.chars().count() > 200 {
                return Err(Invalid::new("too_long", "q", "search at most 200 characters").into());
            }
            if is_reference(q) {
                let found = self.store.case_by_reference(&q.to_ascii_uppercase()).await?;
                let visible = found.filter(|c| user.may(Permission::ViewCase, Some(c.entity_id)));
                return Ok(CasePage {
                    items: visible.iter().map(|r| CaseSummary::from_row(r, now)).collect(),
                    next_cursor: None,
                });
            }
            filter.words = query_words(q);
            if filter.words.is_empty() {
                return Ok(CasePage {
                    items: vec![],
                    next_cursor: None,
                });
            }
            // The reporter's name, phone and e-mail find cases only for those who may see them:
            // not for roles that see them masked, nor for cases followed in another entity.
            filter.search_reporter = user.may(Permission::ViewReporter, user.entity_id)
                && (user.entity_id.is_none() || filter.scope != QueueScope::Followed);
        }
        let filter_order = filter.order;
        let mut rows = self.store.list_cases(filter).await?;
        let next_cursor = (rows.len() as i64 > limit).then(|| {
            rows.truncate(limit as usize);
            rows.last().map(|r| {
                let cursor = filter_order.cursor_after(r);
                format!("{}_{}_{}", cursor.first, cursor.second, cursor.id)
            })
        });
        Ok(CasePage {
            items: rows.iter().map(|r| CaseSummary::from_row(r, now)).collect(),
            next_cursor: next_cursor.flatten(),
        })
    }

    /// An identified resident's own cases.
    pub async fn my_cases(&self, caller: &Caller) -> CasesResult<Vec<CaseSummary>> {
        let Caller::Resident { contact } = caller else {
            return Err(Failure::Unauthenticated.into());
        };
        let (phone, email) = if contact.contains('@') {
            (None, Some(contact.clone()))
        } else {
            (Some(contact.clone()), None)
        };
        let rows = self.store.cases_for_contact(phone, email, 200).await?;
        let now = self.now_micros();
        Ok(rows.iter().map(|r| CaseSummary::for_reporter(r, now)).collect())
    }

    /// An event by a staff user, public unless the caller says otherwise.
    pub(crate) fn staff_event(
        &self,
        user: &StaffUser,
        case: &CaseRow,
        action: &str,
        to: Option<Status>,
    ) -> EventInsert {
        EventInsert {
            case_id: case.id,
            at: self.now_micros(),
            actor_type: "staff".into(),
            actor_id: Some(user.id),
            actor_name: user.display_name.clone(),
            action: action.into(),
            from_status: to.map(|_| case.status),
            to_status: to,
            public: true,
            body: None,
            details: "{}".into(),
        }
    }

    pub(crate) fn audit_of(
        &self,
        user: &StaffUser,
        case: &CaseRow,
        action: &str,
        details: serde_json::Value,
    ) -> AuditInsert {
        AuditInsert {
            at: self.now_micros(),
            staff_id: Some(user.id),
            action: action.into(),
            target: format!("case:{}", case.reference),
            details: details.to_string(),
        }
    }

    /// A message to the reporter about their case, on their channel (`reporter_channel`).
    /// The payload's fields are the template's arguments, beside `reference`. A case that came
    /// by social media is answered where its public post's author hears back privately
    /// (`reporter_handle`), else where its conversation was (its address, `fb:…` or `x:…`).
    pub(crate) async fn notify_reporter(
        &self,
        case: &CaseRow,
        template: &str,
        fields: serde_json::Value,
    ) -> Result<Vec<OutboxInsert>, tawasul_store::StoreError> {
        let mut payload = serde_json::json!({ "reference": case.reference });
        if let serde_json::Value::Object(extra) = fields {
            payload
                .as_object_mut()
                .into_iter()
                .for_each(|p| p.extend(extra.clone()));
        }
        let handle = if case.reporter_handle.is_some() {
            case.reporter_handle.clone()
        } else if case.channel == Channel::Social {
            self.store
                .conversations_of_case(case.id)
                .await?
                .into_iter()
                .rev()
                .find(|c| c.channel == Channel::Social.as_str())
                .map(|c| c.address)
        } else {
            None
        };
        let contacts = self.contacts(
            case.reporter_phone.as_deref(),
            case.reporter_email.as_deref(),
            handle.as_deref(),
        );
        Ok(reporter_channel(case.channel, &contacts)
            .map(|(channel, recipient)| OutboxInsert {
                channel: channel.as_str().into(),
                recipient: recipient.to_owned(),
                template: template.into(),
                language: case.reporter_language.unwrap_or(case.language).as_str().to_owned(),
                payload: payload.to_string(),
                secret: None,
                created_at: self.now_micros(),
            })
            .into_iter()
            .collect())
    }

    /// A reporter's contacts with the adapters this node has on.
    pub(crate) fn contacts<'a>(
        &self,
        phone: Option<&'a str>,
        email: Option<&'a str>,
        handle: Option<&'a str>,
    ) -> Contacts<'a> {
        let hooks = &self.settings.hooks;
        Contacts {
            phone,
            email,
            handle,
            whatsapp_on: hooks.whatsapp.is_some(),
            facebook_on: hooks.facebook.is_some(),
            x_on: hooks.x.is_some(),
        }
    }

    /// Changes a case's service or priority (those who dispatch cases may), and recomputes its
    /// SLA due times from the same start against the new targets.
    pub async fn reclassify(
        &self,
        user: &StaffUser,
        reference: &str,
        request: ReclassifyRequest,
    ) -> CasesResult<CaseView> {
        let case = self.staff_case(user, reference).await?;
        user.require(Permission::Transition(Action::Assign), Some(case.entity_id))?;
        let reason = request
            .reason
            .as_deref()
            .map(|r| CaseText::parse(r, "reason", MAX_REASON))
            .transpose()?;
        let service = match &request.service {
            None => None,
            Some(code) => Some(
                self.store
                    .service_by_code(code)
                    .await?
                    .ok_or_else(|| Invalid::new("unknown_service", "service", format!("no service {code:?}")))?,
            ),
        };
        let service_id = service.as_ref().map_or(case.service_id, |s| s.id);
        let priority = request.priority.unwrap_or(case.priority);
        if service_id == case.service_id && priority == case.priority {
            return Err(Invalid::new("no_change", "service", "give another service or priority").into());
        }
        let config = self.workflow().await?;
        let terms = config.terms(case.entity_id, service_id, priority);
        let mut clock = clock_of(&case.sla);
        clock.retarget(&terms);
        if !case.status.is_open() {
            clock.stop();
        }
        let details = serde_json::json!({
            "from": { "service": case.service_code, "priority": case.priority },
            "to": { "service": service.as_ref().map_or(case.service_code.clone(), |s| s.code.clone()), "priority": priority },
        });
        let change = CaseChange {
            case_id: case.id,
            expected_status: case.status,
            service_id: Some(service_id),
            priority: Some(priority),
            sla: Some(stored(&clock)),
            at: self.now_micros(),
            event: EventInsert {
                public: false,
                body: reason.map(CaseText::into_string),
                details: details.to_string(),
                ..self.staff_event(user, &case, "reclassified", None)
            },
            audit: Some(self.audit_of(user, &case, "reclassify", details)),
            ..Default::default()
        };
        self.store.change_case(change).await?;
        self.read_case(&Caller::Staff(user.clone()), reference).await
    }

    /// Moves a case through its lifecycle on a staff user's behalf.
    pub async fn transition(
        &self,
        user: &StaffUser,
        reference: &str,
        request: TransitionRequest,
    ) -> CasesResult<CaseView> {
        self.transition_with(user, reference, request, None).await
    }

    /// `transition`, with a photo of the fix when the action is `resolve` (required when the
    /// case's service asks for one). Resolving also invites the reporter to the survey.
    pub async fn transition_with(
        &self,
        user: &StaffUser,
        reference: &str,
        request: TransitionRequest,
        fix_photo: Option<Upload>,
    ) -> CasesResult<CaseView> {
        let case = self.case_row(reference).await?;
        user.require(Permission::ViewCase, Some(case.entity_id))
            .map_err(|_| Failure::NotFound("case"))?;
        user.require(Permission::Transition(request.action), Some(case.entity_id))?;
        let from = case.status;
        let to = lifecycle::transition(from, request.action)?;
        let reason = request
            .reason
            .as_deref()
            .map(|r| CaseText::parse(r, "reason", MAX_REASON))
            .transpose()?;
        let resolution = request
            .resolution
            .as_deref()
            .map(|r| CaseText::parse(r, "resolution", MAX_COMMENT))
            .transpose()?;
        if request.action == Action::Reject && reason.is_none() {
            return Err(Invalid::new("required", "reason", "say why the case is rejected").into());
        }
        if request.action == Action::Resolve && resolution.is_none() {
            return Err(Invalid::new("required", "resolution", "say what was done to resolve the case").into());
        }
        let fix = match (request.action, fix_photo) {
            (Action::Resolve, photo) => self.fix_photo(user, &case, photo).await?,
            (_, Some(_)) => {
                return Err(Invalid::new("unexpected", "fix_photo", "a photo of the fix goes with resolve only").into())
            }
            (_, None) => None,
        };
        let mut change = CaseChange {
            case_id: case.id,
            expected_status: case.status,
            status: Some(to),
            department_id: None,
            assignee_id: None,
            resolution: resolution.as_ref().map(|r| r.as_str().to_owned()),
            at: self.now_micros(),
            event: self.staff_event(user, &case, request.action.as_str(), Some(to)),
            ..Default::default()
        };
        let mut details = serde_json::json!({});
        if request.action == Action::Assign {
            let (department, assignee) = self.assignment_target(&case, &request).await?;
            if let Some((id, code)) = &department {
                change.department_id = Some(Some(*id));
                details["department"] = code.clone().into();
            }
            if let Some((id, username)) = &assignee {
                change.assignee_id = Some(Some(*id));
                details["assignee"] = username.clone().into();
            }
        }
        let config = self.workflow().await?;
        let terms = config.terms(case.entity_id, case.service_id, case.priority);
        let mut clock = clock_of(&case.sla);
        let at = change.at;
        if request.action == Action::Reopen {
            clock.reopen(at, &terms);
        } else {
            // Any staff action on the case is its first response.
            clock.respond(at, &terms);
            match request.action {
                Action::WaitOnReporter => clock.pause(at),
                Action::Resume => clock.resume(at, &terms),
                Action::Resolve | Action::Close | Action::Reject => clock.stop(),
                _ => {}
            }
        }
        change.sla = Some(stored(&clock));
        // The reporter hears of the department, never of the staff member assigned.
        let mut fields = details.clone();
        if let Some(f) = fields.as_object_mut() {
            f.remove("assignee");
        }
        if let Some(d) = change
            .department_id
            .flatten()
            .and_then(|id| config.departments.get(&id))
        {
            fields["department_ar"] = d.name_ar.clone().into();
            fields["department_en"] = d.name_en.clone().into();
        }
        // What was done, or why the case was rejected, is written for the reporter; a reason
        // given for any other action is the staff's own.
        match request.action {
            Action::Resolve => fields["resolution"] = resolution.as_ref().map(|r| r.as_str()).into(),
            Action::Reject => fields["reason"] = reason.as_ref().map(|r| r.as_str()).into(),
            _ => {}
        }
        change.event.body = resolution.or(reason).map(CaseText::into_string);
        if let Some(photo) = fix {
            details["fix_photo"] = true.into();
            change.attachments.push(photo);
        }
        change.event.details = details.to_string();
        change.audit = Some(self.audit_of(user, &case, request.action.as_str(), details));
        let template = match request.action {
            Action::Acknowledge => Some("case_acknowledged"),
            Action::Assign => Some("case_assigned"),
            Action::WaitOnReporter => Some("case_waiting_on_you"),
            Action::Resolve => Some("case_resolved"),
            Action::Close => Some("case_closed"),
            Action::Reject => Some("case_rejected"),
            Action::Reopen => Some("case_reopened"),
            Action::Start | Action::Resume => None,
        };
        if let Some(template) = template {
            change.notifications = self.notify_reporter(&case, template, fields).await?;
        }
        change.callback = self.callback_for(&case, request.action, to);
        let survey_token =
            (request.action == Action::Resolve).then(|| self.invite_to_survey(&case, &config, &mut change));
        self.store.change_case(change).await?;
        if let Some(token) = survey_token.filter(|_| self.settings.demo) {
            let link = self.settings.public_link(&format!("/survey/{token}"));
            tracing::info!(reference = %case.reference, %link, "demo mode: survey link (in production it goes only in the notification)");
        }
        self.read_case(&Caller::Staff(user.clone()), reference).await
    }

    /// The checked, re-encoded photo of the fix for a resolution of `case`, as an attachment
    /// the reporter sees; refused when the service asks for one and none came.
    async fn fix_photo(
        &self,
        user: &StaffUser,
        case: &CaseRow,
        photo: Option<Upload>,
    ) -> CasesResult<Option<AttachmentInsert>> {
        let Some(photo) = photo else {
            let required = self
                .store
                .managed_service(&case.service_code)
                .await?
                .is_some_and(|s| s.service.fix_photo_required);
            if required {
                return Err(Invalid::new(
                    "required",
                    "fix_photo",
                    "this service is resolved with a photo of the fix: attach one",
                )
                .into());
            }
            return Ok(None);
        };
        user.require(Permission::UploadAttachment, Some(case.entity_id))?;
        let within = |e: Invalid| Invalid {
            field: "fix_photo".into(),
            ..e
        };
        let sniffed = AttachmentType::sniff(&photo.bytes, photo.content_type.as_deref()).map_err(within)?;
        if !sniffed.is_photo() {
            return Err(Invalid::new(
                "not_a_photo",
                "fix_photo",
                "the photo of the fix must be a JPEG, PNG or WebP",
            )
            .into());
        }
        let cap = self.limits().attachments_per_case;
        if self.store.attachments(case.id).await?.len() >= cap {
            return Err(Invalid::new(
                "too_many_attachments",
                "fix_photo",
                format!("a case has at most {cap} attachments"),
            )
            .into());
        }
        let filename = attachment_name(photo.filename.as_deref(), sniffed).map_err(|e| match e {
            Failure::Invalid(i) => Failure::Invalid(within(i)),
            other => other,
        })?;
        let cleaned = self.clean_file(photo.bytes, sniffed).await.map_err(|e| match e {
            Failure::Invalid(i) => Failure::Invalid(within(i)),
            other => other,
        })?;
        let filename = crate::cases::photos::renamed(filename, sniffed, cleaned.kind);
        let key = blob_key(&cleaned.bytes);
        let size = cleaned.bytes.len();
        self.blobs.put(&key, cleaned.bytes).await.map_err(storing_failed)?;
        let mut insert = attachment_insert(
            case.id,
            key,
            cleaned.kind,
            filename,
            size,
            true,
            &format!("staff:{}", user.username),
            ("staff", Some(user.id), user.display_name.clone()),
            self.now_micros(),
        );
        insert.fix = true;
        let mut details: serde_json::Value = serde_json::from_str(&insert.event.details).unwrap_or_default();
        details["fix"] = true.into();
        insert.event.details = details.to_string();
        Ok(Some(insert))
    }

    async fn assignment_target(
        &self,
        case: &CaseRow,
        request: &TransitionRequest,
    ) -> CasesResult<(Option<(i64, String)>, Option<(i64, String)>)> {
        if request.department.is_none() && request.assignee.is_none() {
            return Err(Invalid::new("required", "department", "name a department, an assignee or both").into());
        }
        let department = match &request.department {
            Some(code) => {
                let d = self
                    .store
                    .department_by_code(case.entity_id, code)
                    .await?
                    .ok_or_else(|| {
                        Invalid::new(
                            "unknown_department",
                            "department",
                            format!("no department {code:?} in this entity"),
                        )
                    })?;
                Some((d.id, d.code))
            }
            None => None,
        };
        let assignee = match &request.assignee {
            Some(name) => {
                let u = self
                    .store
                    .staff_by_username(name)
                    .await?
                    .filter(|u| u.active && u.entity_id == Some(case.entity_id))
                    .ok_or_else(|| {
                        Invalid::new(
                            "unknown_assignee",
                            "assignee",
                            format!("no active staff user {name:?} in this entity"),
                        )
                    })?;
                Some((u.id, u.username))
            }
            None => None,
        };
        Ok((department, assignee))
    }

    /// A comment on a case: staff reply publicly or note internally; the reporter's comments
    /// are public, and answer a case that was waiting on them.
    pub async fn comment(&self, caller: &Caller, reference: &str, request: CommentRequest) -> CasesResult<CaseView> {
        let case = self.case_for(caller, reference).await?;
        let access = self.access(caller, &case)?;
        let body = CaseText::parse(&request.body, "body", MAX_COMMENT)?.into_string();
        let at = self.now_micros();
        let config = self.workflow().await?;
        let terms = config.terms(case.entity_id, case.service_id, case.priority);
        let mut clock = clock_of(&case.sla);
        let change = match access {
            Access::Follower(_) => return Err(Failure::Forbidden("the case is now another entity's".into()).into()),
            Access::Staff(user) => {
                let visibility = request.visibility.unwrap_or(Visibility::Internal);
                let (permission, public) = match visibility {
                    Visibility::Public => (Permission::PublicReply, true),
                    Visibility::Internal => (Permission::InternalNote, false),
                };
                user.require(permission, Some(case.entity_id))?;
                let action = if public { "reply" } else { "note" };
                if public {
                    clock.respond(at, &terms);
                }
                CaseChange {
                    case_id: case.id,
                    expected_status: case.status,
                    at,
                    event: EventInsert {
                        public,
                        body: Some(body.clone()),
                        ..self.staff_event(&user, &case, action, None)
                    },
                    audit: Some(self.audit_of(&user, &case, action, serde_json::json!({}))),
                    // The reply itself goes out with the notice (by e-mail it is the staff's
                    // answer in the reporter's thread), as a transition's message does.
                    notifications: if public {
                        self.notify_reporter(&case, "case_reply", serde_json::json!({ "message": body }))
                            .await?
                    } else {
                        vec![]
                    },
                    sla: Some(stored(&clock)),
                    ..Default::default()
                }
            }
            Access::Reporter => {
                if request.visibility == Some(Visibility::Internal) {
                    return Err(
                        Invalid::new("invalid_visibility", "visibility", "the reporter's comments are public").into(),
                    );
                }
                let resumes = case.status == Status::WaitingOnReporter;
                let to = resumes.then_some(Status::InProgress);
                if resumes {
                    clock.resume(at, &terms);
                }
                CaseChange {
                    case_id: case.id,
                    expected_status: case.status,
                    status: to,
                    at,
                    event: EventInsert {
                        case_id: case.id,
                        at,
                        actor_type: "reporter".into(),
                        actor_id: None,
                        actor_name: REPORTER_ACTOR.into(),
                        action: "reporter_comment".into(),
                        from_status: to.map(|_| case.status),
                        to_status: to,
                        public: true,
                        body: Some(body),
                        details: "{}".into(),
                    },
                    sla: Some(stored(&clock)),
                    ..Default::default()
                }
            }
        };
        self.store.change_case(change).await?;
        self.read_case(caller, reference).await
    }

    /// Stores a file on a case after checking, by its content, that it is a photo or a PDF.
    pub async fn attach(
        &self,
        caller: &Caller,
        reference: &str,
        bytes: Vec<u8>,
        claimed_type: Option<&str>,
        filename: Option<&str>,
        public: bool,
    ) -> CasesResult<AttachmentView> {
        let case = self.case_for(caller, reference).await?;
        let access = self.access(caller, &case)?;
        let sniffed = AttachmentType::sniff(&bytes, claimed_type)?;
        let filename = attachment_name(filename, sniffed)?;
        let (uploaded_by, public, event_actor) = match &access {
            Access::Staff(user) => {
                user.require(Permission::UploadAttachment, Some(case.entity_id))?;
                (
                    format!("staff:{}", user.username),
                    public,
                    ("staff", Some(user.id), user.display_name.clone()),
                )
            }
            Access::Follower(_) => return Err(Failure::Forbidden("the case is now another entity's".into()).into()),
            Access::Reporter => ("reporter".to_owned(), true, ("reporter", None, REPORTER_ACTOR.into())),
        };
        let cap = self.limits().attachments_per_case;
        if self.store.attachments(case.id).await?.len() >= cap {
            return Err(Failure::Invalid(Invalid::new(
                "too_many_attachments",
                "file",
                format!("a case has at most {cap} attachments"),
            ))
            .into());
        }
        // What is stored (and served) is the photo re-encoded without its metadata.
        let cleaned = self.clean_file(bytes, sniffed).await?;
        let (bytes, kind) = (cleaned.bytes, cleaned.kind);
        let filename = crate::cases::photos::renamed(filename, sniffed, kind);
        let key = blob_key(&bytes);
        let size = bytes.len();
        self.blobs.put(&key, bytes).await.map_err(storing_failed)?;
        let at = self.now_micros();
        let insert = attachment_insert(
            case.id,
            key,
            kind,
            filename,
            size,
            public,
            &uploaded_by,
            event_actor,
            at,
        );
        let id = self.store.insert_attachment(insert.clone()).await?;
        let row = tawasul_store::AttachmentRow {
            fix: false,
            id,
            case_id: case.id,
            blob_key: insert.blob_key,
            mime: insert.mime,
            size_bytes: insert.size_bytes,
            filename: insert.filename,
            public,
            uploaded_by: insert.uploaded_by,
            created_at: at,
        };
        Ok(AttachmentView::from_row(&row, &case.reference))
    }

    /// The bytes and type of an attachment the caller may see.
    pub async fn attachment(
        &self,
        caller: &Caller,
        reference: &str,
        id: i64,
    ) -> CasesResult<(String, String, Vec<u8>)> {
        let case = self.case_for(caller, reference).await?;
        let access = self.access(caller, &case)?;
        let row = self
            .store
            .attachments(case.id)
            .await?
            .into_iter()
            .find(|a| a.id == id && (a.public || matches!(access, Access::Staff(_))))
            .ok_or(Failure::NotFound("attachment"))?;
        let bytes = self
            .blobs
            .get(&row.blob_key)
            .await?
            .ok_or(Failure::NotFound("attachment"))?;
        Ok((row.mime, row.filename, bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_recognised_in_search() {
        assert!(is_reference("TW-2026-0000123"));
        assert!(is_reference("tw-2026-1"));
        assert!(!is_reference("TW-2026"));
        assert!(!is_reference("تسرب مياه"));
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        assert_eq!(
            parse_cursor("1700000000000000_0_42").expect("cursor"),
            CaseCursor {
                first: 1_700_000_000_000_000,
                second: 0,
                id: 42
            }
        );
        assert_eq!(parse_cursor("-1_9223372036854775807_7").expect("cursor").first, -1);
        for garbage in ["42", "1_42", "a_b_c", "1_2_3_4", "1__3", ""] {
            assert!(parse_cursor(garbage).is_err(), "{garbage:?}");
        }
    }

    #[test]
    fn dates_and_instants_are_accepted() {
        assert_eq!(
            parse_instant("2026-01-01", "from").expect("date"),
            1_767_225_600_000_000
        );
        assert!(parse_instant("2026-01-01T00:00:00+03:00", "from").is_ok());
        assert!(parse_instant("yesterday", "from").is_err());
    }

    #[test]
    fn reporters_hear_back_through_their_providers_adapter_when_it_is_on_else_the_bridge() {
        let on = |facebook_on, x_on| Contacts {
            phone: None,
            email: None,
            handle: None,
            whatsapp_on: true,
            facebook_on,
            x_on,
        };
        let fb = Contacts {
            handle: Some("fb:6842281075826133"),
            ..on(true, false)
        };
        assert_eq!(
            reporter_channel(Channel::Social, &fb),
            Some((OutboundChannel::Social, "fb:6842281075826133"))
        );
        let comment = Contacts {
            handle: Some("fb-comment:244444444_555555555"),
            ..on(true, false)
        };
        assert_eq!(
            reporter_channel(Channel::Social, &comment),
            Some((OutboundChannel::Social, "fb-comment:244444444_555555555")),
            "a comment's author: a private reply"
        );
        let x_off = Contacts {
            handle: Some("x:3001969357"),
            ..on(true, false)
        };
        assert_eq!(
            reporter_channel(Channel::Social, &x_off),
            Some((OutboundChannel::Webhook, "x:3001969357")),
            "X is off: the bridge"
        );
        let x_on = Contacts {
            handle: Some("x:3001969357"),
            ..on(false, true)
        };
        assert_eq!(
            reporter_channel(Channel::Social, &x_on),
            Some((OutboundChannel::Social, "x:3001969357"))
        );
        let junk = Contacts {
            handle: Some("fb:../me"),
            ..on(true, true)
        };
        assert_eq!(
            reporter_channel(Channel::Social, &junk),
            Some((OutboundChannel::Webhook, "fb:../me")),
            "not an address the adapter takes"
        );
        assert_eq!(
            reporter_channel(Channel::Social, &on(true, true)),
            None,
            "no one to tell"
        );
        let by_mail = Contacts {
            email: Some("a@b.bh"),
            handle: Some("fb:1"),
            ..on(true, true)
        };
        assert_eq!(
            reporter_channel(Channel::Web, &by_mail),
            Some((OutboundChannel::Email, "a@b.bh"))
        );
    }
}
