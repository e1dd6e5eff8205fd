//! Demo data: two Bahraini bodies, their departments and service catalogue, a staff user of
//! every role, and 500 cases of the last 90 days at every stage of their lifecycle, so that a
//! fresh installation can be tried and shown without typing anything in.
//!
//! What the demo holds is in the data files of `data/`; this crate writes it through the
//! application's operator use cases.

pub mod data;
mod plan;
pub mod scale;
mod workflow;

use anyhow::Result;
use data::{DemoData, ServiceSpec};
use plan::{known, Move, PlannedCase, Step, Stored};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use tawasul_app::App;
use tawasul_domain::lifecycle::{transition, Action};
use tawasul_domain::vocab::{Role, Status};
use tawasul_store::{CaseChange, DepartmentInsert, EntityInsert, EventInsert, ReplyTemplateInsert, ServiceInsert};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// The password of every demo user. Demo installations are for trying, never for real cases.
pub const DEMO_PASSWORD: &str = "tawasul-demo-2026";

/// Cases whose histories one task writes in turn; the tasks run side by side so that the
/// SQLite writer commits many of their writes together.
const CASES_PER_TASK: usize = 50;
/// Each argon2id hash takes ~19 MiB; a few at once are quick enough without a memory spike.
const HASHES_AT_ONCE: usize = 4;

/// A demo sign-in, printed at start-up so that every role can be tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoLogin {
    pub username: String,
    pub password: String,
    pub role: Role,
    /// Code of the user's entity; `None` for the installation-wide administrator.
    pub entity: Option<String>,
}

/// What [`seed`] wrote.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    pub entities: usize,
    pub services: usize,
    pub cases: usize,
    pub logins: Vec<DemoLogin>,
}

/// The demo sign-ins: the platform administrator, then one user per role in each entity.
pub fn demo_logins() -> Result<Vec<DemoLogin>> {
    Ok(demo_staff(&data::load_staff()?)
        .into_iter()
        .map(|(login, _)| login)
        .collect())
}

/// Seeds the demo data when the database is empty; returns `None` when it already had data.
pub async fn seed(app: &App) -> Result<Option<DemoSummary>> {
    let data = DemoData::load()?;
    if !app.operator().is_empty().await? {
        return Ok(None);
    }
    let services = seed_catalogue(app, &data).await?;
    let staff = demo_staff(&data.staff);
    let logins: Vec<DemoLogin> = staff.iter().map(|(login, _)| login.clone()).collect();
    let crew = Arc::new(seed_staff(app, staff).await?);
    workflow::seed_workflow(app, &data, &logins).await?;
    let plans = plan::plan_cases(&data, &services, app.now())?;
    let cases = plans.len();
    seed_cases(app, plans, crew).await?;
    app.operator().replay_clocks().await?;
    Ok(Some(DemoSummary {
        entities: data.entities.len(),
        services: services.len(),
        cases,
        logins,
    }))
}

async fn seed_catalogue<'a>(app: &App, data: &'a DemoData) -> Result<Vec<Stored<'a>>> {
    let operator = app.operator();
    let mut entities = HashMap::new();
    let mut departments = HashMap::new();
    for e in &data.entities {
        let entity_id = operator
            .add_entity(EntityInsert {
                code: e.code.clone(),
                name_ar: e.name.ar.clone(),
                name_en: e.name.en.clone(),
                entity_type: e.entity_type.clone(),
            })
            .await?;
        entities.insert(e.code.as_str(), entity_id);
        seed_reply_templates(app, data, entity_id, &e.code).await?;
        for d in &e.departments {
            let id = operator
                .add_department(DepartmentInsert {
                    entity_id,
                    code: d.code.clone(),
                    name_ar: d.name.ar.clone(),
                    name_en: d.name.en.clone(),
                })
                .await?;
            departments.insert((e.code.as_str(), d.code.as_str()), id);
        }
    }
    // One at a time, in catalogue order: the first service (lowest id) is the one external
    // clients post to without answers.
    let mut stored = Vec::with_capacity(data.services.len());
    for spec in &data.services {
        let entity_id = known(entities.get(spec.entity.as_str()).copied(), &spec.entity)?;
        let department_id = known(
            departments
                .get(&(spec.entity.as_str(), spec.department.as_str()))
                .copied(),
            &spec.department,
        )?;
        let id = operator
            .add_service(service_insert(spec, entity_id, department_id)?)
            .await?;
        stored.push(Stored {
            spec,
            id,
            entity_id,
            department_id,
        });
    }
    Ok(stored)
}

fn service_insert(spec: &ServiceSpec, entity_id: i64, department_id: i64) -> Result<ServiceInsert> {
    Ok(ServiceInsert {
        entity_id,
        code: spec.code.clone(),
        name_ar: spec.name.ar.clone(),
        name_en: spec.name.en.clone(),
        description_ar: spec.description.ar.clone(),
        description_en: spec.description.en.clone(),
        kinds: spec.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(","),
        fields: serde_json::to_string(&spec.fields)?,
        default_department_id: Some(department_id),
        default_priority: spec.priority,
        fix_photo_required: spec.fix_photo_required,
    })
}

async fn seed_reply_templates(app: &App, data: &DemoData, entity_id: i64, entity: &str) -> Result<()> {
    for template in &data.reply_templates {
        for text in &template.texts {
            let new = ReplyTemplateInsert {
                entity_id,
                key: template.key.clone(),
                language: text.language.clone(),
                title: text.title.clone(),
                body: text.body.clone(),
                updated_at: app.now_micros(),
            };
            app.operator().add_reply_template(entity, new, "demo").await?;
        }
    }
    Ok(())
}

/// Who acts on the demo cases of an entity, by role.
type Crew = HashMap<(String, Role), Actor>;

struct Actor {
    id: i64,
    username: String,
    name: String,
}

/// Every demo user with their display name.
fn demo_staff(staff: &data::StaffSpec) -> Vec<(DemoLogin, String)> {
    let login = |username: String, role: Role, entity: Option<&str>| DemoLogin {
        username,
        password: DEMO_PASSWORD.into(),
        role,
        entity: entity.map(str::to_owned),
    };
    let platform = (login("admin".into(), Role::Admin, None), staff.administrator.clone());
    let members = staff.entities.iter().flat_map(|e| {
        e.members.iter().map(move |m| {
            (
                login(format!("{}.{}", e.entity, m.role), m.role, Some(&e.entity)),
                m.name.clone(),
            )
        })
    });
    std::iter::once(platform).chain(members).collect()
}

async fn seed_staff(app: &App, staff: Vec<(DemoLogin, String)>) -> Result<Crew> {
    let permits = Arc::new(Semaphore::new(HASHES_AT_ONCE));
    let mut adding = JoinSet::new();
    for (login, name) in staff {
        let (app, permits) = (app.clone(), permits.clone());
        adding.spawn(async move {
            let _permit = permits.acquire_owned().await?;
            let id = app
                .add_staff(
                    &login.username,
                    &login.password,
                    login.role,
                    login.entity.as_deref(),
                    Some(&name),
                )
                .await?;
            anyhow::Ok((login, name, id))
        });
    }
    let mut crew = Crew::new();
    while let Some(added) = adding.join_next().await {
        let (login, name, id) = added??;
        if let Some(entity) = login.entity {
            crew.insert(
                (entity, login.role),
                Actor {
                    id,
                    username: login.username,
                    name,
                },
            );
        }
    }
    Ok(crew)
}

async fn seed_cases(app: &App, plans: Vec<PlannedCase<'_>>, crew: Arc<Crew>) -> Result<()> {
    // The cases one by one, oldest first, so that their references number them in the
    // order they came in.
    let mut histories = Vec::with_capacity(plans.len());
    for PlannedCase { case, entity, steps } in plans {
        let id = app.operator().add_historical_case(case).await?;
        histories.push((id, entity.to_owned(), steps));
    }
    // Then what staff did to them, many cases at once.
    let mut working = JoinSet::new();
    let mut histories = histories.into_iter().peekable();
    while histories.peek().is_some() {
        let batch: Vec<_> = histories.by_ref().take(CASES_PER_TASK).collect();
        let (app, crew) = (app.clone(), crew.clone());
        working.spawn(async move {
            for (case_id, entity, steps) in batch {
                play(&app, case_id, &entity, steps, &crew).await?;
            }
            anyhow::Ok(())
        });
    }
    while let Some(done) = working.join_next().await {
        done??;
    }
    Ok(())
}

/// Writes a case's history, each step checked against the lifecycle.
async fn play(app: &App, case_id: i64, entity: &str, steps: Vec<Step>, crew: &Crew) -> Result<()> {
    let member = |role: Role| known(crew.get(&(entity.to_owned(), role)), role.as_str());
    let mut status = Status::New;
    for step in steps {
        let (action, to, actor) = match step.what {
            Move::Act(action) => (
                action.as_str(),
                Some(transition(status, action)?),
                member(actor_role(action))?,
            ),
            Move::Reply => ("reply", None, member(Role::Officer)?),
            Move::Note => ("note", None, member(Role::Supervisor)?),
        };
        let assignee = match step.what {
            Move::Act(Action::Assign) => Some(member(Role::Officer)?),
            _ => None,
        };
        let details = assignee.map_or_else(|| json!({}), |a| json!({ "assignee": a.username }));
        let resolution = match step.what {
            Move::Act(Action::Resolve) => step.body.clone(),
            _ => None,
        };
        app.operator()
            .record_step(CaseChange {
                case_id,
                expected_status: status,
                status: to,
                assignee_id: assignee.map(|a| Some(a.id)),
                resolution,
                at: step.at,
                event: EventInsert {
                    case_id,
                    at: step.at,
                    actor_type: "staff".into(),
                    actor_id: Some(actor.id),
                    actor_name: actor.name.clone(),
                    action: action.into(),
                    from_status: to.map(|_| status),
                    to_status: to,
                    public: !matches!(step.what, Move::Note),
                    body: step.body,
                    details: details.to_string(),
                },
                ..CaseChange::default()
            })
            .await?;
        status = to.unwrap_or(status);
    }
    Ok(())
}

/// Who takes each step: agents acknowledge, supervisors dispatch and decide, officers work.
pub(crate) fn actor_role(action: Action) -> Role {
    match action {
        Action::Acknowledge => Role::Agent,
        Action::Assign | Action::Close | Action::Reject | Action::Reopen => Role::Supervisor,
        Action::Start | Action::WaitOnReporter | Action::Resume | Action::Resolve => Role::Officer,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use data::TemplateText;
    use std::collections::HashSet;
    use tawasul_domain::vocab::Kind;

    fn data() -> DemoData {
        DemoData::load().expect("the demo data parses")
    }

    #[test]
    fn the_demo_reply_templates_are_valid_in_arabic_and_english() {
        for template in &data().reply_templates {
            let key = &template.key;
            assert!(tawasul_domain::reply::parse_key(key).is_ok(), "{key}");
            let languages: Vec<&str> = template.texts.iter().map(|t| t.language.as_str()).collect();
            assert_eq!(languages, ["ar", "en"], "{key}");
            for TemplateText { language, title, body } in &template.texts {
                assert!(tawasul_domain::reply::parse_title(title).is_ok(), "{key} {language}");
                assert!(tawasul_domain::reply::parse_body(body).is_ok(), "{key} {language}");
            }
        }
    }

    #[test]
    fn the_first_service_takes_a_case_without_answers() {
        let data = data();
        let first = data.services.first().expect("a service");
        assert_eq!(
            (first.code.as_str(), first.entity.as_str(), first.department.as_str()),
            ("water-leak", "cap", "water")
        );
        assert!(first.kinds.contains(&Kind::Complaint) && first.kinds.contains(&Kind::Report));
        assert!(first.fields.iter().all(|f| !f.required));
    }

    #[test]
    fn the_catalogue_is_large_distinct_and_uses_every_field_type() {
        let data = data();
        let catalogue = &data.services;
        assert!(catalogue.len() >= 22);
        let codes: HashSet<_> = catalogue.iter().map(|s| &s.code).collect();
        assert_eq!(codes.len(), catalogue.len(), "service codes are unique");
        let types: HashSet<_> = catalogue
            .iter()
            .flat_map(|s| s.fields.iter().map(|f| format!("{:?}", f.field_type)))
            .collect();
        assert_eq!(types.len(), 5);
        for spec in catalogue {
            let entity = data.entities.iter().find(|e| e.code == spec.entity).expect("entity");
            assert!(
                entity.departments.iter().any(|d| d.code == spec.department),
                "{}",
                spec.code
            );
            assert!(
                !spec.kinds.is_empty() && !spec.texts.ar.is_empty() && !spec.texts.en.is_empty(),
                "{}",
                spec.code
            );
        }
    }

    #[test]
    fn there_is_a_login_for_every_role_of_every_entity() {
        let logins = demo_logins().expect("the demo logins");
        let entities = data().entities;
        assert_eq!(logins.len(), 1 + entities.len() * Role::ALL.len());
        for entity in &entities {
            for role in Role::ALL {
                let username = format!("{}.{role}", entity.code);
                assert!(
                    logins.iter().any(|l| l.username == username && l.role == *role),
                    "{username}"
                );
            }
        }
    }
}
