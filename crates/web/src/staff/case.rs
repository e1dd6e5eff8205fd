//! The case page of the staff console: the case, its timeline and survey, and the forms of
//! what this user may do with it (their handlers are in `actions`).

use super::Names;
use crate::context::Ctx;
use crate::error::{WebError, WebResult};
use crate::forms;
use crate::kit::{options, signed_in, Named, SelectOption, SignedIn};
use crate::pages::{refused, render, FieldErrors, Live};
use crate::resident::attachment_response;
use crate::WebState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use serde::Deserialize;
use tawasul_app::cases::survey::SurveyView;
use tawasul_app::cases::views::{AttachmentView, CaseView};
use tawasul_app::conversations::CaseTranscript;
use tawasul_app::identity::auth::Caller;
use tawasul_app::identity::authz::{Permission, StaffUser};
use tawasul_app::rows::ReplyTemplateRow;
use tawasul_app::{CasesError, Failure};
use tawasul_domain::catalogue::Service;
use tawasul_domain::lifecycle::{self, Action};
use tawasul_domain::reply;
use tawasul_domain::vocab::Status;

pub struct ActionForm {
    pub action: &'static str,
    pub label: String,
    /// Which extra input the action needs: "resolution", "reason", "assign" or "".
    pub needs: &'static str,
}

#[derive(Template)]
#[template(path = "staff_case.html")]
pub struct CasePage {
    ctx: Ctx,
    user: StaffUser,
    case: CaseView,
    actions: Vec<ActionForm>,
    departments: Vec<SelectOption>,
    assignees: Vec<SelectOption>,
    may_reply: bool,
    may_note: bool,
    errors: FieldErrors,
    comment: String,
    survey: Option<SurveyView>,
    /// The guided conversations (phone line, SMS, WhatsApp…) that made the case.
    transcripts: Vec<CaseTranscript>,
    tile_url: String,
    service_name: String,
    templates: Vec<TemplateLink>,
    /// Where the case may be handed: `department:CODE` of its entity, `entity:CODE` of others.
    transfer_targets: Vec<SelectOption>,
    /// The case waits for this user's entity to accept or return it.
    may_decide_transfer: bool,
    live: Live,
    names: Names,
    /// The merge form, and what was typed in it when it comes back refused.
    pub(super) may_merge: bool,
    pub(super) merge_into: String,
    pub(super) merge_reason: String,
}

impl CasePage {
    fn error(&self, name: &str) -> Option<&String> {
        self.errors.get(name)
    }

    fn before(&self) -> Vec<&AttachmentView> {
        crate::kit::closure::before(&self.case)
    }

    fn after(&self) -> Vec<&AttachmentView> {
        crate::kit::closure::after(&self.case)
    }

    fn photo_href(&self, id: &i64) -> String {
        format!("/staff/cases/{}/attachments/{id}", self.case.reference)
    }
}

pub struct TemplateLink {
    pub label: String,
    pub href: String,
}

/// The reply template `key` filled in for this case: in the language the reporter reads,
/// else in another language the entity wrote it in (Arabic, then English, first).
fn fill_template(
    ctx: &Ctx,
    templates: &[ReplyTemplateRow],
    case: &CaseView,
    service: Option<&Service>,
    key: &str,
) -> Option<String> {
    let wanted = [
        case.reporter.as_ref().and_then(|r| r.language.clone()),
        Some(case.language.clone()),
        Some("ar".to_owned()),
        Some("en".to_owned()),
    ];
    let of_key: Vec<&ReplyTemplateRow> = templates.iter().filter(|t| t.key == key).collect();
    let template = wanted
        .iter()
        .flatten()
        .find_map(|lang| of_key.iter().find(|t| &t.language == lang))
        .or_else(|| of_key.first())?;
    let lang = template.language.as_str();
    let catalog = &ctx.tr.catalog;
    let name = case
        .reporter
        .as_ref()
        .filter(|r| !r.masked)
        .and_then(|r| r.name.clone())
        .unwrap_or_else(|| {
            let lang = if catalog.has(lang) { lang } else { ctx.lang() };
            catalog.format(lang, "reply-resident", None)
        });
    let service = service.map_or(case.service.as_str(), |s| s.name_in(lang));
    Some(reply::fill(&template.body, &name, &case.reference, service))
}

/// One link per template key, titled in the page's language where the entity wrote it.
fn template_links(ctx: &Ctx, templates: &[ReplyTemplateRow], reference: &str) -> Vec<TemplateLink> {
    let mut links: Vec<(String, TemplateLink)> = Vec::new();
    for t in templates {
        let href = format!("/staff/cases/{reference}?template={}#comment-title", t.key);
        match links.iter_mut().find(|(key, _)| key == &t.key) {
            Some((_, link)) if t.language == ctx.lang() => link.label.clone_from(&t.title),
            Some(_) => {}
            None => links.push((
                t.key.clone(),
                TemplateLink {
                    label: t.title.clone(),
                    href,
                },
            )),
        }
    }
    links.into_iter().map(|(_, link)| link).collect()
}

pub(super) async fn case_page(
    state: &WebState,
    ctx: Ctx,
    user: StaffUser,
    reference: &str,
    errors: FieldErrors,
    comment: String,
    template: Option<&str>,
) -> WebResult<CasePage> {
    let caller = Caller::Staff(user.clone());
    let case = state.app.read_case(&caller, reference).await?;
    let service = state.app.service(&case.service).await?;
    let reply_templates = state.app.reply_templates_for_reply(&user, &case.entity).await?;
    let comment = match template.filter(|_| comment.is_empty()) {
        Some(key) => fill_template(&ctx, &reply_templates, &case, service.as_ref(), key).unwrap_or(comment),
        None => comment,
    };
    let templates = template_links(&ctx, &reply_templates, &case.reference);
    // Staff of an entity that handed the case over follow it without its survey.
    let survey = match state.app.survey(&caller, reference).await {
        Err(CasesError::Common(Failure::NotFound(_))) => None,
        other => other?,
    };
    let transcripts = state.app.case_transcripts(&caller, reference).await?;
    let actions = case
        .available_actions
        .iter()
        .map(|a| ActionForm {
            action: a.as_str(),
            label: ctx.word("action", a.as_str()),
            needs: match a {
                Action::Resolve => "resolution",
                Action::Reject => "reason",
                Action::Assign => "assign",
                _ => "",
            },
        })
        .collect();
    let (departments, staff) = tokio::try_join!(state.app.departments(), state.app.staff_directory(&user))?;
    let lang = ctx.lang();
    let names = Names::new(&departments, &staff, lang);
    let service_name = service.map_or_else(|| case.service.clone(), |s| s.name_in(lang).to_owned());
    let departments = options(
        departments
            .into_iter()
            .filter(|d| d.entity_code == case.entity)
            .map(|d| (d.code.clone(), d.name_in(lang).to_owned())),
        case.department.as_deref().unwrap_or(""),
    );
    let assignees = options(
        staff
            .into_iter()
            .filter(|s| s.active && s.entity_code.as_deref() == Some(case.entity.as_str()))
            .map(|s| (s.username, s.display_name)),
        case.assignee.as_deref().unwrap_or(""),
    );
    let entity = user.entity_id;
    let status = Status::parse(&case.status).map_err(Failure::from)?;
    let transfer_targets = if lifecycle::may_transfer(status) && user.may(Permission::Transfer, entity) {
        let entities = state.app.entities().await?;
        let other_departments = departments
            .iter()
            .filter(|d| Some(d.value.as_str()) != case.department.as_deref())
            .map(|d| (format!("department:{}", d.value), d.label.clone()));
        let other_entities = entities
            .into_iter()
            .filter(|e| e.code != case.entity)
            .map(|e| (format!("entity:{}", e.code), e.name_in(lang).to_owned()));
        options(other_departments.chain(other_entities), "")
    } else {
        vec![]
    };
    Ok(CasePage {
        names,
        live: Live::case(
            &case,
            format!("/staff/cases/{}", case.reference),
            state.settings.live_poll_secs,
        ),
        may_decide_transfer: status == Status::Transferred && user.may(Permission::DecideTransfer, entity),
        may_merge: lifecycle::may_merge(status) && user.may(Permission::Merge, entity),
        merge_into: String::new(),
        merge_reason: String::new(),
        transfer_targets,
        may_reply: user.may(Permission::PublicReply, entity),
        may_note: user.may(Permission::InternalNote, entity),
        actions,
        departments,
        assignees,
        errors,
        comment,
        survey,
        transcripts,
        tile_url: state.settings.tile_url.clone(),
        service_name,
        templates,
        case,
        user,
        ctx,
    })
}

#[derive(Deserialize, Default)]
pub struct TemplateQuery {
    #[serde(default)]
    template: String,
}

pub async fn case(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Path(reference): Path<String>,
    Query(query): Query<TemplateQuery>,
) -> WebResult {
    let template = Some(query.template.as_str()).filter(|t| !t.is_empty());
    render(
        &case_page(
            &state,
            ctx,
            user,
            &reference,
            FieldErrors::new(),
            String::new(),
            template,
        )
        .await?,
    )
}

/// The case page again, with `invalid`'s message beside the form field `field`.
pub(super) async fn refused_at(
    state: &WebState,
    ctx: Ctx,
    user: StaffUser,
    reference: &str,
    field: String,
    code: &str,
    comment: String,
) -> WebResult {
    let mut errors = FieldErrors::new();
    errors.insert(field, forms::message(&ctx, code));
    refused(&case_page(state, ctx, user, reference, errors, comment, None).await?)
}

pub async fn attachment(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path((reference, id)): Path<(String, i64)>,
) -> WebResult {
    let Some(user) = signed_in(&state, &headers).await? else {
        return Err(WebError::NotFound);
    };
    let (mime, filename, bytes) = state.app.attachment(&Caller::Staff(user), &reference, id).await?;
    Ok(attachment_response(mime, &filename, bytes))
}
