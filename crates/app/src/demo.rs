//! Demo data: two Bahraini bodies, their departments and service catalogue, a staff user of
//! every role, and 500 cases of the last 90 days at every stage of their lifecycle, so that a
//! fresh installation can be tried and shown without typing anything in.
//!
//! The cases are drawn from a seeded generator: every demo installation tells the same story
//! (only the time it is told from, and the secret tracking tokens, differ).

use crate::auth::new_secret;
use crate::{App, AppError, AppResult};
use chrono::{DateTime, Datelike, Duration, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::Arc;
use tawasul_domain::catalogue::{validate_answers, Choice, FieldType, FormField};
use tawasul_domain::lifecycle::{transition, Action};
use tawasul_domain::text::normalise_for_search;
use tawasul_domain::vocab::{Channel, Kind, Language, Priority, Role, Status};
use tawasul_domain::{micros, reference, secret_digest};
use tawasul_store::{
    AuditInsert, CaseChange, CaseInsert, DepartmentInsert, EntityInsert, EventInsert, Inserted, ReplyTemplateInsert,
    ServiceInsert,
};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// The password of every demo user. Demo installations are for trying, never for real cases.
pub const DEMO_PASSWORD: &str = "tawasul-demo-2026";

const CASES: usize = 500;
const SEED: u64 = 2026;
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

/// What `seed_demo` wrote.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    pub entities: usize,
    pub services: usize,
    pub cases: usize,
    pub logins: Vec<DemoLogin>,
}

/// The demo sign-ins: the platform administrator, then one user per role in each entity.
pub fn demo_logins() -> Vec<DemoLogin> {
    demo_staff().into_iter().map(|(login, _)| login).collect()
}

impl App {
    /// Seeds the demo data when the database is empty; returns `None` when it already had data.
    pub async fn seed_demo(&self) -> AppResult<Option<DemoSummary>> {
        if !self.store.is_empty().await? {
            return Ok(None);
        }
        let catalogue = catalogue();
        let services = self.seed_catalogue(&catalogue).await?;
        let crew = Arc::new(self.seed_staff().await?);
        self.seed_demo_workflow().await?;
        let plans = plan_cases(&services, self.now())?;
        let cases = plans.len();
        self.seed_cases(plans, crew).await?;
        self.replay_demo_clocks().await?;
        Ok(Some(DemoSummary {
            entities: ENTITIES.len(),
            services: services.len(),
            cases,
            logins: demo_logins(),
        }))
    }

    async fn seed_catalogue<'a>(&self, catalogue: &'a [ServiceSpec]) -> AppResult<Vec<Stored<'a>>> {
        let mut entities = HashMap::new();
        let mut departments = HashMap::new();
        for e in ENTITIES {
            let entity_id = self
                .store
                .insert_entity(EntityInsert {
                    code: e.code.into(),
                    name_ar: e.name_ar.into(),
                    name_en: e.name_en.into(),
                    entity_type: e.entity_type.into(),
                })
                .await?;
            entities.insert(e.code, entity_id);
            self.seed_reply_templates(entity_id, e.code).await?;
            for (code, name_ar, name_en) in e.departments {
                let id = self
                    .store
                    .insert_department(DepartmentInsert {
                        entity_id,
                        code: (*code).into(),
                        name_ar: (*name_ar).into(),
                        name_en: (*name_en).into(),
                    })
                    .await?;
                departments.insert((e.code, *code), id);
            }
        }
        // One at a time, in catalogue order: the first service (lowest id) is the one external
        // clients post to without answers.
        let mut stored = Vec::with_capacity(catalogue.len());
        for spec in catalogue {
            let entity_id = known(entities.get(spec.entity).copied(), spec.entity)?;
            let department_id = known(
                departments.get(&(spec.entity, spec.department)).copied(),
                spec.department,
            )?;
            let id = self
                .store
                .insert_service(ServiceInsert {
                    entity_id,
                    code: spec.code.into(),
                    name_ar: spec.name.0.into(),
                    name_en: spec.name.1.into(),
                    description_ar: spec.description.0.into(),
                    description_en: spec.description.1.into(),
                    kinds: spec.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(","),
                    fields: serde_json::to_string(&spec.fields).map_err(anyhow::Error::from)?,
                    default_department_id: Some(department_id),
                    default_priority: spec.priority,
                })
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

    async fn seed_reply_templates(&self, entity_id: i64, entity: &str) -> AppResult<()> {
        for (key, texts) in REPLY_TEMPLATES {
            for (language, title, body) in *texts {
                let audit = AuditInsert {
                    at: self.now_micros(),
                    staff_id: None,
                    action: "add_reply_template".into(),
                    target: format!("entity:{entity}"),
                    details: serde_json::json!({ "key": key, "language": language, "by": "demo" }).to_string(),
                };
                let template = ReplyTemplateInsert {
                    entity_id,
                    key: (*key).into(),
                    language: (*language).into(),
                    title: (*title).into(),
                    body: (*body).into(),
                    updated_at: self.now_micros(),
                };
                self.store.insert_reply_template(template, audit).await?;
            }
        }
        Ok(())
    }

    async fn seed_staff(&self) -> AppResult<Crew> {
        let permits = Arc::new(Semaphore::new(HASHES_AT_ONCE));
        let mut adding = JoinSet::new();
        for (login, name) in demo_staff() {
            let (app, permits) = (self.clone(), permits.clone());
            adding.spawn(async move {
                let _permit = permits.acquire_owned().await.map_err(anyhow::Error::from)?;
                let id = app
                    .add_staff(
                        &login.username,
                        &login.password,
                        login.role,
                        login.entity.as_deref(),
                        Some(name),
                    )
                    .await?;
                Ok::<_, AppError>((login, name, id))
            });
        }
        let mut crew = Crew::new();
        while let Some(added) = adding.join_next().await {
            let (login, name, id) = added.map_err(anyhow::Error::from)??;
            if let Some(entity) = login.entity {
                crew.insert(
                    (entity, login.role),
                    Actor {
                        id,
                        username: login.username,
                        name: name.into(),
                    },
                );
            }
        }
        Ok(crew)
    }

    async fn seed_cases(&self, plans: Vec<PlannedCase>, crew: Arc<Crew>) -> AppResult<()> {
        // The cases one by one, oldest first, so that their references number them in the
        // order they came in.
        let mut histories = Vec::with_capacity(plans.len());
        for PlannedCase { case, entity, steps } in plans {
            let (Inserted::Created { id, .. } | Inserted::Replayed { id, .. }) = self.store.insert_case(case).await?;
            histories.push((id, entity, steps));
        }
        // Then what staff did to them, many cases at once.
        let mut working = JoinSet::new();
        let mut histories = histories.into_iter().peekable();
        while histories.peek().is_some() {
            let batch: Vec<_> = histories.by_ref().take(CASES_PER_TASK).collect();
            let (app, crew) = (self.clone(), crew.clone());
            working.spawn(async move {
                for (case_id, entity, steps) in batch {
                    app.play(case_id, entity, steps, &crew).await?;
                }
                Ok::<_, AppError>(())
            });
        }
        while let Some(done) = working.join_next().await {
            done.map_err(anyhow::Error::from)??;
        }
        Ok(())
    }

    /// Writes a case's history, each step checked against the lifecycle.
    async fn play(&self, case_id: i64, entity: &str, steps: Vec<Step>, crew: &Crew) -> AppResult<()> {
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
            self.store
                .change_case(CaseChange {
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
}

/// A name the hand-written demo data should have; its absence is a bug, told as an error.
fn known<T>(value: Option<T>, what: &str) -> AppResult<T> {
    value.ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("the demo data has no {what}")))
}

// ---------------------------------------------------------------------------------------
// Staff.

/// Who acts on the demo cases of an entity, by role.
type Crew = HashMap<(String, Role), Actor>;

struct Actor {
    id: i64,
    username: String,
    name: String,
}

/// One text of a reply template: language, title, body.
type TemplateText = (&'static str, &'static str, &'static str);

/// The reply templates every demo entity starts with: key, then its text in each language.
const REPLY_TEMPLATES: &[(&str, &[TemplateText])] = &[
    (
        "received",
        &[
            ("ar", "نعمل عليه", "عزيزنا {name}، استلمنا بلاغك رقم {reference} ({service}) والفريق يعمل عليه. شكرًا لتواصلك معنا."),
            ("en", "We are on it", "Dear {name}, we received your report {reference} ({service}) and the team is working on it. Thank you for telling us."),
        ],
    ),
    (
        "more-info",
        &[
            ("ar", "نحتاج تفاصيل", "عزيزنا {name}، لمتابعة البلاغ {reference} ({service}) نحتاج بعض التفاصيل: يرجى الرد هنا بالموقع الدقيق وصورة إن أمكن."),
            ("en", "Need more details", "Dear {name}, to act on {reference} ({service}) we need a few more details: please reply here with the exact place and, if you can, a photo."),
        ],
    ),
    (
        "resolved",
        &[
            ("ar", "تم الإنجاز", "عزيزنا {name}، تم إنجاز العمل على البلاغ {reference} ({service}). نرجو تقييم الخدمة لنعرف رأيك."),
            ("en", "Done", "Dear {name}, the work on {reference} ({service}) is done. Please tell us how we did when you rate the case."),
        ],
    ),
];

/// One user per role in each entity, with an Arabic display name.
const STAFF: &[(&str, &[(Role, &str)])] = &[
    (
        "cap",
        &[
            (Role::Admin, "فاطمة الجودر"),
            (Role::Supervisor, "خالد البنعلي"),
            (Role::Agent, "نورة الدوسري"),
            (Role::Officer, "يوسف الحداد"),
            (Role::Inspector, "علي المناعي"),
            (Role::Liaison, "مريم الكوهجي"),
            (Role::Satisfaction, "حسن العريض"),
            (Role::Secretary, "زينب الموسوي"),
        ],
    ),
    (
        "mun",
        &[
            (Role::Admin, "عبدالله فخرو"),
            (Role::Supervisor, "هدى جناحي"),
            (Role::Agent, "محمد بوعلاي"),
            (Role::Officer, "سارة الزياني"),
            (Role::Inspector, "جاسم الشيخ"),
            (Role::Liaison, "ليلى كانو"),
            (Role::Satisfaction, "أحمد السيد"),
            (Role::Secretary, "آمنة الأنصاري"),
        ],
    ),
];

fn demo_staff() -> Vec<(DemoLogin, &'static str)> {
    let login = |username: String, role: Role, entity: Option<&str>| DemoLogin {
        username,
        password: DEMO_PASSWORD.into(),
        role,
        entity: entity.map(str::to_owned),
    };
    let platform = (login("admin".into(), Role::Admin, None), "مدير منصة تواصل");
    let members = STAFF.iter().flat_map(|(entity, people)| {
        people
            .iter()
            .map(move |(role, name)| (login(format!("{entity}.{role}"), *role, Some(entity)), *name))
    });
    std::iter::once(platform).chain(members).collect()
}

/// Who takes each step: agents acknowledge, supervisors dispatch and decide, officers work.
fn actor_role(action: Action) -> Role {
    match action {
        Action::Acknowledge => Role::Agent,
        Action::Assign | Action::Close | Action::Reject | Action::Reopen => Role::Supervisor,
        Action::Start | Action::WaitOnReporter | Action::Resume | Action::Resolve => Role::Officer,
    }
}

// ---------------------------------------------------------------------------------------
// Catalogue.

struct EntitySpec {
    code: &'static str,
    name_ar: &'static str,
    name_en: &'static str,
    entity_type: &'static str,
    /// (code, Arabic name, English name).
    departments: &'static [(&'static str, &'static str, &'static str)],
}

const ENTITIES: &[EntitySpec] = &[
    EntitySpec {
        code: "cap",
        name_ar: "محافظة العاصمة",
        name_en: "Capital Governorate",
        entity_type: "governorate",
        departments: &[
            ("water", "إدارة المياه", "Water"),
            ("roads", "إدارة الطرق", "Roads"),
            ("public-order", "إدارة النظام العام", "Public Order"),
            ("social", "إدارة الخدمات الاجتماعية", "Social Services"),
            ("satisfaction", "وحدة رضا المستفيدين", "Beneficiary Satisfaction"),
        ],
    },
    EntitySpec {
        code: "mun",
        name_ar: "بلدية المنامة",
        name_en: "Manama Municipality",
        entity_type: "municipality",
        departments: &[
            ("cleaning", "إدارة النظافة", "Cleaning"),
            ("lighting", "إدارة الإنارة", "Street Lighting"),
            ("parks", "إدارة الحدائق", "Parks"),
            ("building", "إدارة رخص البناء", "Building Permits"),
            ("satisfaction", "وحدة رضا المستفيدين", "Beneficiary Satisfaction"),
        ],
    },
];

/// (Arabic, English).
type Pair = (&'static str, &'static str);

/// A service of the demo catalogue, with what residents typically write to it.
struct ServiceSpec {
    entity: &'static str,
    code: &'static str,
    department: &'static str,
    name: Pair,
    description: Pair,
    /// The first kind is the one most cases of the service are.
    kinds: &'static [Kind],
    priority: Priority,
    fields: Vec<FormField>,
    /// What residents write, in Arabic and in English; `{n}` (a building), `{road}` and
    /// `{block}` are filled in for each case.
    texts: (&'static [&'static str], &'static [&'static str]),
    resolution: Pair,
}

/// A catalogue service once stored: the ids its cases need.
struct Stored<'a> {
    spec: &'a ServiceSpec,
    id: i64,
    entity_id: i64,
    department_id: i64,
}

fn field(key: &str, label: Pair, field_type: FieldType, required: bool) -> FormField {
    FormField {
        key: key.into(),
        label_ar: label.0.into(),
        label_en: label.1.into(),
        field_type,
        required,
        options: vec![],
        min: None,
        max: None,
    }
}

fn number(key: &str, label: Pair, required: bool, min: f64, max: f64) -> FormField {
    FormField {
        min: Some(min),
        max: Some(max),
        ..field(key, label, FieldType::Number, required)
    }
}

/// A choice field; `options` are (value, Arabic label, English label).
fn choice(key: &str, label: Pair, field_type: FieldType, required: bool, options: &[(&str, &str, &str)]) -> FormField {
    let options = options
        .iter()
        .map(|(value, ar, en)| Choice {
            value: (*value).into(),
            label_ar: (*ar).into(),
            label_en: (*en).into(),
        })
        .collect();
    FormField {
        options,
        ..field(key, label, field_type, required)
    }
}

const FOLLOW_UP_NAME: Pair = ("بلاغ لم يُعالج", "My report was not handled");
const FOLLOW_UP_DESCRIPTION: Pair = (
    "تظلّم من بلاغ سابق أُغلق دون حل أو لم يُرد عليه.",
    "Complain about an earlier report that was closed unsolved or never answered.",
);
const FOLLOW_UP_TEXTS: (&[&str], &[&str]) = (
    &[
        "بلّغت عن المشكلة قبل شهر وأُغلق البلاغ دون أي إصلاح في طريق {road}",
        "لم يتواصل معي أحد بخصوص بلاغي السابق رغم مرور أسبوعين",
        "أُغلق بلاغي عن مجمع {block} والمشكلة ما زالت قائمة",
    ],
    &[
        "My earlier report about Road {road} was closed but nothing was fixed",
        "Nobody has contacted me about my report for two weeks",
    ],
);
const FOLLOW_UP_RESOLUTION: Pair = (
    "روجع البلاغ السابق وأُعيد فتحه وتمت متابعته حتى الإنجاز",
    "The earlier report was reviewed, reopened and followed to completion",
);

const SIZES: &[(&str, &str, &str)] = &[
    ("small", "صغيرة", "Small"),
    ("medium", "متوسطة", "Medium"),
    ("large", "كبيرة", "Large"),
];
const TIMES_OF_DAY: &[(&str, &str, &str)] = &[
    ("morning", "صباحًا", "Morning"),
    ("evening", "مساءً", "Evening"),
    ("night", "ليلًا", "Night"),
];

/// The demo service catalogue, in the order it is stored.
fn catalogue() -> Vec<ServiceSpec> {
    use FieldType::{Date, MultipleChoice, SingleChoice, Text};
    vec![
        // First, and with no required answer: external clients post to the first service
        // listed without filling in any form.
        ServiceSpec {
            entity: "cap",
            code: "water-leak",
            department: "water",
            name: ("تسرب مياه", "Water leak"),
            description: (
                "الإبلاغ عن تسرب المياه من الشبكة العامة أو العدادات في الطرق والأحياء.",
                "Report water leaking from the public network or meters on roads and in neighbourhoods.",
            ),
            kinds: &[Kind::Complaint, Kind::Report, Kind::Inquiry],
            priority: Priority::High,
            fields: vec![
                choice(
                    "source",
                    ("مصدر التسرب", "Source of the leak"),
                    SingleChoice,
                    false,
                    &[
                        ("main", "الأنبوب الرئيسي", "Main pipe"),
                        ("meter", "العداد", "Meter"),
                        ("connection", "توصيلة المنزل", "House connection"),
                        ("unknown", "غير معروف", "Not known"),
                    ],
                ),
                field("landmark", ("أقرب معلم", "Nearest landmark"), Text, false),
            ],
            texts: (
                &[
                    "تسرب مياه أمام المنزل رقم {n} في طريق {road} منذ يومين",
                    "يوجد تسرب مياه كبير في مجمع {block} والمياه تتجمع في الشارع",
                    "تسرب من عداد المياه بجانب المبنى {n} في طريق {road} ويزداد في الليل",
                    "مياه تخرج من الأرض عند تقاطع طريق {road} منذ أسبوع ولم يتم إصلاحها",
                ],
                &[
                    "Water leaking in front of house {n} on Road {road} for two days",
                    "A large water leak in Block {block}; water is pooling on the street",
                    "The water meter next to building {n}, Road {road}, is leaking",
                ],
            ),
            resolution: (
                "تم إصلاح التسرب واستبدال الجزء التالف من الأنبوب",
                "The leak was repaired and the damaged section of pipe replaced",
            ),
        },
        ServiceSpec {
            entity: "cap",
            code: "water-outage",
            department: "water",
            name: ("انقطاع المياه", "Water outage"),
            description: (
                "الإبلاغ عن انقطاع المياه أو ضعف ضغطها في منزلك أو حيّك.",
                "Report no water or low water pressure at your home or in your neighbourhood.",
            ),
            kinds: &[Kind::Complaint, Kind::Report, Kind::Inquiry],
            priority: Priority::High,
            fields: vec![
                field("since", ("منذ تاريخ", "Since"), Date, true),
                choice(
                    "scope",
                    ("نطاق الانقطاع", "How far it reaches"),
                    SingleChoice,
                    true,
                    &[
                        ("home", "منزلي فقط", "Only my home"),
                        ("street", "الشارع كله", "The whole street"),
                        ("block", "المجمع كله", "The whole block"),
                    ],
                ),
            ],
            texts: (
                &[
                    "انقطاع المياه عن المنزل رقم {n} في مجمع {block} منذ الصباح",
                    "ضعف شديد في ضغط المياه في طريق {road} منذ ثلاثة أيام",
                    "المياه مقطوعة عن كامل المجمع {block} دون إشعار مسبق",
                ],
                &[
                    "No water at house {n} in Block {block} since this morning",
                    "Very low water pressure on Road {road} for three days",
                ],
            ),
            resolution: (
                "أُعيد ضخ المياه بعد إصلاح العطل في المحطة الفرعية",
                "Supply was restored after the fault at the substation was repaired",
            ),
        },
        ServiceSpec {
            entity: "cap",
            code: "water-quality",
            department: "water",
            name: ("جودة المياه", "Water quality"),
            description: (
                "ملاحظات على لون مياه الصنبور أو رائحتها أو طعمها.",
                "Tell us about the colour, smell or taste of tap water.",
            ),
            kinds: &[Kind::Complaint, Kind::Report],
            priority: Priority::High,
            fields: vec![choice(
                "signs",
                ("ما الذي لاحظته", "What you noticed"),
                MultipleChoice,
                true,
                &[
                    ("colour", "تغيّر اللون", "Discoloured"),
                    ("smell", "رائحة", "Smell"),
                    ("taste", "طعم غريب", "Odd taste"),
                    ("sediment", "رواسب", "Sediment"),
                ],
            )],
            texts: (
                &[
                    "المياه في المنزل رقم {n} لونها بني منذ يومين",
                    "رائحة غريبة في مياه الصنبور في مجمع {block}",
                    "رواسب في المياه بعد انقطاع أمس في طريق {road}",
                ],
                &[
                    "The tap water in house {n} has been brown for two days",
                    "Strange smell from tap water in Block {block}",
                ],
            ),
            resolution: (
                "تم غسل الخط وأُخذت عينات وجاءت النتائج مطابقة للمواصفات",
                "The line was flushed; samples were taken and met the standard",
            ),
        },
        ServiceSpec {
            entity: "cap",
            code: "water-meter",
            department: "water",
            name: ("عداد المياه", "Water meter"),
            description: (
                "استفسار أو شكوى عن قراءة عداد المياه أو عطل فيه.",
                "Questions or complaints about a water meter reading or fault.",
            ),
            kinds: &[Kind::Inquiry, Kind::Complaint],
            priority: Priority::Normal,
            fields: vec![
                field("meter_number", ("رقم العداد", "Meter number"), Text, true),
                number("reading", ("القراءة الحالية", "Current reading"), false, 0.0, 99_999.0),
            ],
            texts: (
                &[
                    "قراءة العداد أعلى بكثير من الاستهلاك المعتاد في المنزل رقم {n}",
                    "عداد المياه لا يعمل منذ شهر في طريق {road}",
                    "أرجو توضيح سبب ارتفاع القراءة في المبنى {n} بمجمع {block}",
                ],
                &[
                    "The meter reading at house {n} is far above our normal use",
                    "The water meter on Road {road} has not moved for a month",
                ],
            ),
            resolution: (
                "تم فحص العداد واستبداله وتصحيح القراءة",
                "The meter was tested and replaced, and the reading corrected",
            ),
        },
        ServiceSpec {
            entity: "cap",
            code: "pothole",
            department: "roads",
            name: ("حفرة في الطريق", "Pothole"),
            description: (
                "الإبلاغ عن الحفر والتشققات في الطرق والأرصفة.",
                "Report holes and cracks in roads and pavements.",
            ),
            kinds: &[Kind::Report, Kind::Complaint],
            priority: Priority::Normal,
            fields: vec![
                choice("size", ("حجم الحفرة", "Size"), SingleChoice, false, SIZES),
                number(
                    "depth_cm",
                    ("العمق التقريبي (سم)", "Approximate depth (cm)"),
                    false,
                    1.0,
                    100.0,
                ),
            ],
            texts: (
                &[
                    "حفرة كبيرة في طريق {road} قرب مجمع {block} تسببت في تلف إطار سيارتي",
                    "حفر متعددة على الطريق المؤدي إلى المدرسة في مجمع {block}",
                    "تشقق وهبوط في الأسفلت أمام المبنى {n} في طريق {road}",
                ],
                &[
                    "A deep pothole on Road {road} near Block {block} damaged my tyre",
                    "Several potholes on the road to the school in Block {block}",
                ],
            ),
            resolution: (
                "تم ردم الحفرة وإعادة رصف الجزء المتضرر",
                "The pothole was filled and the stretch resurfaced",
            ),
        },
        ServiceSpec {
            entity: "cap",
            code: "traffic-signal",
            department: "roads",
            name: ("إشارة مرور معطلة", "Traffic signal fault"),
            description: (
                "إشارة مرورية لا تعمل أو تعمل بشكل خاطئ.",
                "A traffic signal that is off or misbehaving.",
            ),
            kinds: &[Kind::Report],
            priority: Priority::Urgent,
            fields: vec![choice(
                "fault",
                ("نوع العطل", "Fault"),
                SingleChoice,
                true,
                &[
                    ("off", "مطفأة", "Off"),
                    ("flashing", "وامضة", "Flashing"),
                    ("stuck", "عالقة على الأحمر", "Stuck on red"),
                ],
            )],
            texts: (
                &[
                    "الإشارة الضوئية عند تقاطع طريق {road} مطفأة منذ الصباح",
                    "إشارة المرور في مجمع {block} عالقة على اللون الأحمر والزحام شديد",
                ],
                &[
                    "The traffic lights at the Road {road} junction are off",
                    "The signal in Block {block} is stuck on red",
                ],
            ),
            resolution: (
                "تم إصلاح وحدة التحكم وإعادة تشغيل الإشارة",
                "The controller was repaired and the signal works again",
            ),
        },
        ServiceSpec {
            entity: "cap",
            code: "speed-bump",
            department: "roads",
            name: ("طلب مطب صناعي", "Speed bump request"),
            description: (
                "اقتراح مطب أو وسيلة لتهدئة السرعة في شارع سكني.",
                "Suggest a speed bump or traffic calming on a residential street.",
            ),
            kinds: &[Kind::Suggestion, Kind::Inquiry],
            priority: Priority::Low,
            fields: vec![choice(
                "street_type",
                ("نوع الشارع", "Kind of street"),
                SingleChoice,
                false,
                &[
                    ("residential", "سكني", "Residential"),
                    ("school", "قرب مدرسة", "Near a school"),
                    ("commercial", "تجاري", "Commercial"),
                ],
            )],
            texts: (
                &[
                    "السيارات تسير بسرعة عالية في طريق {road} والأطفال يلعبون في الشارع، نقترح وضع مطب",
                    "نطلب مطبًا أمام مدرسة مجمع {block} حفاظًا على سلامة الطلاب",
                ],
                &[
                    "Cars speed along Road {road} where children play; please add a speed bump",
                    "We ask for a speed bump outside the school in Block {block}",
                ],
            ),
            resolution: (
                "درسنا الطلب وأُدرج المطب في خطة الأعمال",
                "The request was studied and a speed bump added to the works plan",
            ),
        },
        ServiceSpec {
            entity: "cap",
            code: "noise",
            department: "public-order",
            name: ("إزعاج وضوضاء", "Noise"),
            description: (
                "شكاوى الإزعاج من الورش أو المحلات أو أعمال البناء.",
                "Noise from workshops, shops or building works.",
            ),
            kinds: &[Kind::Complaint, Kind::Report],
            priority: Priority::Normal,
            fields: vec![
                field("date", ("تاريخ الإزعاج", "Date of the noise"), Date, true),
                choice(
                    "time_of_day",
                    ("وقت الإزعاج", "When"),
                    MultipleChoice,
                    false,
                    TIMES_OF_DAY,
                ),
            ],
            texts: (
                &[
                    "أعمال بناء تبدأ قبل الخامسة فجرًا بجانب المنزل {n} في طريق {road}",
                    "ورشة في مجمع {block} تسبب إزعاجًا حتى منتصف الليل",
                    "مكبرات صوت عالية من محل في طريق {road} يوميًا",
                ],
                &[
                    "Construction starts before 5 a.m. next to house {n} on Road {road}",
                    "A workshop in Block {block} is noisy until midnight",
                ],
            ),
            resolution: (
                "تم التنبيه على المخالف وتحرير مخالفة",
                "The offender was warned and fined",
            ),
        },
        ServiceSpec {
            entity: "cap",
            code: "illegal-parking",
            department: "public-order",
            name: ("وقوف مخالف", "Illegal parking"),
            description: (
                "مركبات تسد المداخل أو الأرصفة أو مواقف ذوي الإعاقة.",
                "Vehicles blocking driveways, pavements or disabled bays.",
            ),
            kinds: &[Kind::Report, Kind::Complaint],
            priority: Priority::Normal,
            fields: vec![field("plate", ("رقم اللوحة", "Plate number"), Text, false)],
            texts: (
                &[
                    "سيارة تغلق مدخل المنزل رقم {n} يوميًا في طريق {road}",
                    "شاحنات تقف على الرصيف في مجمع {block}",
                ],
                &[
                    "A car blocks the driveway of house {n} on Road {road} every day",
                    "Lorries park on the pavement in Block {block}",
                ],
            ),
            resolution: (
                "تمت مخالفة المركبات ووضع لوحات منع الوقوف",
                "The vehicles were fined and no-parking signs put up",
            ),
        },
        ServiceSpec {
            entity: "cap",
            code: "abandoned-vehicle",
            department: "public-order",
            name: ("مركبة مهملة", "Abandoned vehicle"),
            description: (
                "مركبات متروكة مدة طويلة في الطرق أو المواقف العامة.",
                "Vehicles left for a long time on roads or in public car parks.",
            ),
            kinds: &[Kind::Report],
            priority: Priority::Low,
            fields: vec![
                number("weeks", ("منذ كم أسبوع", "For how many weeks"), false, 1.0, 52.0),
                field("plate", ("رقم اللوحة", "Plate number"), Text, false),
            ],
            texts: (
                &[
                    "سيارة مهملة يغطيها الغبار في موقف المبنى {n} منذ أشهر",
                    "مركبة دون لوحات متروكة في طريق {road}",
                ],
                &[
                    "A dusty abandoned car in the car park of building {n} for months",
                    "A car without plates left on Road {road}",
                ],
            ),
            resolution: (
                "وُضع إنذار على المركبة ثم سُحبت",
                "A notice was put on the vehicle, then it was towed",
            ),
        },
        ServiceSpec {
            entity: "cap",
            code: "social-support",
            department: "social",
            name: ("المساعدات الاجتماعية", "Social support"),
            description: (
                "استفسارات الأسر المحتاجة وطلباتها للدعم.",
                "Questions and requests from families in need of support.",
            ),
            kinds: &[Kind::Inquiry, Kind::Complaint],
            priority: Priority::Normal,
            fields: vec![
                number("family_size", ("عدد أفراد الأسرة", "Family members"), true, 1.0, 15.0),
                choice(
                    "need",
                    ("نوع الحاجة", "Need"),
                    SingleChoice,
                    true,
                    &[
                        ("food", "مواد غذائية", "Food"),
                        ("rent", "إيجار", "Rent"),
                        ("medical", "علاج", "Medical"),
                        ("education", "تعليم", "Education"),
                    ],
                ),
            ],
            texts: (
                &[
                    "أسرة من ستة أفراد في مجمع {block} بحاجة إلى مساعدة في الإيجار",
                    "تقدمت بطلب مساعدة قبل شهرين ولم يصلني رد",
                    "أرجو معرفة شروط الحصول على المساعدة الاجتماعية",
                ],
                &[
                    "I applied for support two months ago and have had no answer",
                    "What are the conditions for social assistance?",
                ],
            ),
            resolution: (
                "دُرست الحالة وأُحيلت إلى برنامج الدعم المناسب",
                "The case was assessed and referred to the right support programme",
            ),
        },
        ServiceSpec {
            entity: "cap",
            code: "elderly-care",
            department: "social",
            name: ("رعاية كبار السن", "Elderly care"),
            description: (
                "خدمات الزيارة المنزلية والرعاية لكبار السن.",
                "Home visits and care for older residents.",
            ),
            kinds: &[Kind::Inquiry, Kind::Suggestion, Kind::Complaint],
            priority: Priority::Normal,
            fields: vec![number("age", ("عمر المستفيد", "Age of the person"), false, 60.0, 110.0)],
            texts: (
                &[
                    "والدي مسن يسكن وحده في المبنى {n} ويحتاج إلى زيارات منزلية",
                    "نقترح إنشاء نادٍ نهاري لكبار السن في مجمع {block}",
                ],
                &[
                    "My elderly father lives alone in building {n} and needs home visits",
                    "We suggest a day club for older people in Block {block}",
                ],
            ),
            resolution: (
                "سُجّل المستفيد في برنامج الزيارات المنزلية",
                "The person was enrolled in the home-visits programme",
            ),
        },
        ServiceSpec {
            entity: "cap",
            code: "cap-feedback",
            department: "satisfaction",
            name: ("اقتراحات وشكر", "Suggestions and thanks"),
            description: (
                "اقتراحاتكم لتحسين خدمات المحافظة وشكركم لمن خدمكم.",
                "Your ideas for better services, and thanks for those who served you.",
            ),
            kinds: &[Kind::Suggestion, Kind::Compliment],
            priority: Priority::Low,
            fields: vec![choice(
                "topic",
                ("الموضوع", "Topic"),
                SingleChoice,
                false,
                &[
                    ("services", "الخدمات", "Services"),
                    ("staff", "الموظفون", "Staff"),
                    ("events", "الفعاليات", "Events"),
                ],
            )],
            texts: (
                &[
                    "شكرًا لفريق المحافظة على سرعة الاستجابة لبلاغ التسرب في مجمع {block}",
                    "نقترح تنظيم مجلس أسبوعي افتراضي لأهالي مجمع {block}",
                    "أشكر الموظف الذي ساعدني في مركز الخدمة",
                ],
                &[
                    "Thank you for fixing our street in Block {block} so quickly",
                    "Please hold an online majlis for the residents of Block {block}",
                ],
            ),
            resolution: (
                "أُبلغ الفريق المعني بالشكر وأُحيل المقترح للدراسة",
                "The team was thanked and the suggestion passed on for study",
            ),
        },
        ServiceSpec {
            entity: "cap",
            code: "cap-follow-up",
            department: "satisfaction",
            name: FOLLOW_UP_NAME,
            description: FOLLOW_UP_DESCRIPTION,
            kinds: &[Kind::Complaint],
            priority: Priority::High,
            fields: vec![field(
                "earlier_reference",
                ("رقم البلاغ السابق", "Earlier reference"),
                Text,
                true,
            )],
            texts: FOLLOW_UP_TEXTS,
            resolution: FOLLOW_UP_RESOLUTION,
        },
        ServiceSpec {
            entity: "mun",
            code: "waste-collection",
            department: "cleaning",
            name: ("تأخر جمع النفايات", "Missed waste collection"),
            description: (
                "حاويات ممتلئة أو نفايات لم تُجمع في موعدها.",
                "Full bins or rubbish not collected on time.",
            ),
            kinds: &[Kind::Complaint, Kind::Report],
            priority: Priority::Normal,
            fields: vec![
                choice(
                    "bin",
                    ("نوع الحاوية", "Kind of bin"),
                    SingleChoice,
                    false,
                    &[
                        ("household", "حاوية منزلية", "Household bin"),
                        ("communal", "حاوية مشتركة", "Communal bin"),
                        ("commercial", "حاوية تجارية", "Commercial bin"),
                    ],
                ),
                field("last_collection", ("آخر جمع", "Last collected"), Date, false),
            ],
            texts: (
                &[
                    "الحاوية أمام المبنى {n} في طريق {road} ممتلئة منذ ثلاثة أيام",
                    "لم تُجمع النفايات في مجمع {block} هذا الأسبوع والرائحة لا تطاق",
                    "القمامة متراكمة بجانب الحاوية في طريق {road}",
                ],
                &[
                    "The bin outside building {n} on Road {road} has been full for three days",
                    "No collection in Block {block} this week",
                ],
            ),
            resolution: (
                "جُمعت النفايات وعُدّل جدول المرور على المنطقة",
                "The rubbish was collected and the round's schedule adjusted",
            ),
        },
        ServiceSpec {
            entity: "mun",
            code: "illegal-dumping",
            department: "cleaning",
            name: ("رمي المخلفات", "Fly-tipping"),
            description: (
                "مخلفات بناء أو أثاث أو نفايات مرمية في غير أماكنها.",
                "Building waste, furniture or rubbish dumped where it should not be.",
            ),
            kinds: &[Kind::Report],
            priority: Priority::High,
            fields: vec![choice(
                "waste",
                ("نوع المخلفات", "What was dumped"),
                MultipleChoice,
                true,
                &[
                    ("construction", "مخلفات بناء", "Building waste"),
                    ("furniture", "أثاث", "Furniture"),
                    ("garden", "مخلفات زراعية", "Garden waste"),
                    ("household", "نفايات منزلية", "Household rubbish"),
                ],
            )],
            texts: (
                &[
                    "مخلفات بناء مرمية في الأرض الفضاء بجانب طريق {road}",
                    "شاحنة رمت أثاثًا قديمًا قرب المبنى {n} في مجمع {block}",
                ],
                &[
                    "Building rubble dumped on the empty plot by Road {road}",
                    "Old furniture dumped near building {n} in Block {block}",
                ],
            ),
            resolution: (
                "أُزيلت المخلفات وحُررت مخالفة للمتسبب",
                "The waste was removed and the person responsible fined",
            ),
        },
        ServiceSpec {
            entity: "mun",
            code: "street-cleaning",
            department: "cleaning",
            name: ("نظافة الشوارع", "Street cleaning"),
            description: (
                "ملاحظات على نظافة الشوارع والأرصفة والساحات.",
                "Dirty streets, pavements and squares.",
            ),
            kinds: &[Kind::Complaint, Kind::Suggestion],
            priority: Priority::Low,
            fields: vec![],
            texts: (
                &[
                    "الرمال متراكمة على جانبي طريق {road} منذ العاصفة",
                    "نقترح زيادة عدد سلال المهملات حول سوق المنامة",
                ],
                &[
                    "Sand has piled up along Road {road} since the storm",
                    "Please add more litter bins around the Manama souq",
                ],
            ),
            resolution: (
                "كُنس الطريق وأُضيف إلى جدول التنظيف الأسبوعي",
                "The road was swept and added to the weekly round",
            ),
        },
        ServiceSpec {
            entity: "mun",
            code: "street-light",
            department: "lighting",
            name: ("إنارة معطلة", "Street light out"),
            description: (
                "أعمدة إنارة مطفأة أو متقطعة أو تعمل نهارًا.",
                "Street lights that are out, flickering or on by day.",
            ),
            kinds: &[Kind::Report, Kind::Complaint],
            priority: Priority::Normal,
            fields: vec![
                number("poles", ("عدد الأعمدة", "Number of poles"), false, 1.0, 30.0),
                choice(
                    "problem",
                    ("المشكلة", "Problem"),
                    SingleChoice,
                    true,
                    &[
                        ("off", "مطفأة", "Off"),
                        ("flickering", "متقطعة", "Flickering"),
                        ("daytime", "تعمل نهارًا", "On by day"),
                    ],
                ),
            ],
            texts: (
                &[
                    "أعمدة الإنارة في طريق {road} مطفأة والشارع مظلم تمامًا",
                    "عمود الإنارة أمام المنزل {n} يومض طوال الليل",
                    "الإنارة في مجمع {block} تعمل في النهار وتنطفئ ليلًا",
                ],
                &[
                    "All the street lights on Road {road} are out",
                    "The lamp outside house {n} flickers all night",
                ],
            ),
            resolution: (
                "استُبدلت المصابيح وأُصلحت التمديدات",
                "The lamps were replaced and the wiring repaired",
            ),
        },
        ServiceSpec {
            entity: "mun",
            code: "new-lighting",
            department: "lighting",
            name: ("طلب إنارة جديدة", "New street lighting"),
            description: (
                "طلب إنارة لشارع أو ممر أو ساحة غير مضاءة.",
                "Ask for lighting on an unlit street, path or open space.",
            ),
            kinds: &[Kind::Suggestion, Kind::Inquiry],
            priority: Priority::Low,
            fields: vec![field("landmark", ("أقرب معلم", "Nearest landmark"), Text, false)],
            texts: (
                &[
                    "الممر بين مجمع {block} والمسجد غير مضاء ونطلب تركيب أعمدة",
                    "نقترح إنارة الساحة في طريق {road} التي يستخدمها الشباب للرياضة",
                ],
                &[
                    "The footpath from Block {block} to the mosque has no lights",
                    "Please light the open ground on Road {road}",
                ],
            ),
            resolution: (
                "أُدرج الموقع في مشروع الإنارة للعام القادم",
                "The site was added to next year's lighting project",
            ),
        },
        ServiceSpec {
            entity: "mun",
            code: "park-maintenance",
            department: "parks",
            name: ("صيانة الحدائق", "Park maintenance"),
            description: (
                "أعطال الألعاب والري والمقاعد ودورات المياه في الحدائق.",
                "Broken play equipment, irrigation, benches or toilets in parks.",
            ),
            kinds: &[Kind::Complaint, Kind::Report, Kind::Suggestion],
            priority: Priority::Normal,
            fields: vec![choice(
                "issue",
                ("المشكلة", "Problem"),
                MultipleChoice,
                true,
                &[
                    ("playground", "الألعاب", "Play equipment"),
                    ("irrigation", "الري", "Irrigation"),
                    ("benches", "المقاعد", "Benches"),
                    ("lighting", "الإنارة", "Lighting"),
                    ("toilets", "دورات المياه", "Toilets"),
                ],
            )],
            texts: (
                &[
                    "ألعاب الأطفال في حديقة مجمع {block} مكسورة وخطرة",
                    "نظام الري في الحديقة العامة بطريق {road} معطل والعشب جاف",
                    "دورات المياه في حديقة مجمع {block} مغلقة منذ أسبوعين",
                ],
                &[
                    "The swings in the Block {block} park are broken and unsafe",
                    "The irrigation in the park on Road {road} is broken",
                ],
            ),
            resolution: (
                "أُصلحت الألعاب وجرت صيانة شبكة الري",
                "The play equipment and irrigation were repaired",
            ),
        },
        ServiceSpec {
            entity: "mun",
            code: "tree-trimming",
            department: "parks",
            name: ("تقليم الأشجار", "Tree trimming"),
            description: (
                "أشجار تحجب الرؤية أو الإنارة أو تعيق المشاة.",
                "Trees blocking views, lights or pedestrians.",
            ),
            kinds: &[Kind::Report, Kind::Suggestion],
            priority: Priority::Low,
            fields: vec![],
            texts: (
                &[
                    "أغصان الشجرة أمام المنزل {n} تغطي لوحة المرور",
                    "أشجار طريق {road} تحتاج إلى تقليم وتعيق المشاة",
                ],
                &[
                    "Branches outside house {n} hide the road sign",
                    "The trees along Road {road} need trimming",
                ],
            ),
            resolution: (
                "قُلّمت الأشجار ونُقلت المخلفات",
                "The trees were trimmed and the cuttings taken away",
            ),
        },
        ServiceSpec {
            entity: "mun",
            code: "building-violation",
            department: "building",
            name: ("مخالفة بناء", "Building violation"),
            description: (
                "بناء دون ترخيص أو تعدٍّ على الأملاك العامة أو الارتدادات.",
                "Building without a permit or over public land or setbacks.",
            ),
            kinds: &[Kind::Report, Kind::Complaint],
            priority: Priority::High,
            fields: vec![
                choice(
                    "violation",
                    ("نوع المخالفة", "Violation"),
                    SingleChoice,
                    true,
                    &[
                        ("no_permit", "بناء دون ترخيص", "No permit"),
                        ("extra_floor", "طابق إضافي", "Extra floor"),
                        ("encroachment", "تعدٍّ على الرصيف", "Built over the pavement"),
                    ],
                ),
                field("plot", ("رقم العقار", "Plot number"), Text, false),
            ],
            texts: (
                &[
                    "بناء طابق إضافي دون ترخيص في المبنى {n} بطريق {road}",
                    "محل في مجمع {block} مدّ مظلة على الرصيف وأغلق ممر المشاة",
                ],
                &[
                    "An extra floor is going up without a permit at building {n}, Road {road}",
                    "A shop in Block {block} has built over the pavement",
                ],
            ),
            resolution: (
                "أُوقفت الأعمال وأُحيلت المخالفة للإجراءات القانونية",
                "Work was stopped and the violation referred for legal action",
            ),
        },
        ServiceSpec {
            entity: "mun",
            code: "permit-inquiry",
            department: "building",
            name: ("طلبات رخص البناء", "Building permit applications"),
            description: (
                "الاستفسار عن حالة طلب رخصة بناء أو الشكوى من تأخره.",
                "Ask about a building permit application or complain of a delay.",
            ),
            kinds: &[Kind::Inquiry, Kind::Complaint],
            priority: Priority::Normal,
            fields: vec![
                field("application_number", ("رقم الطلب", "Application number"), Text, true),
                field("submitted_on", ("تاريخ التقديم", "Submitted on"), Date, false),
            ],
            texts: (
                &[
                    "قدمت طلب رخصة بناء قبل ثلاثة أشهر ولم يصدر القرار",
                    "ما المستندات المطلوبة لترخيص ملحق في المبنى {n}؟",
                ],
                &[
                    "My permit application has been pending for three months",
                    "Which documents are needed to permit an annex at building {n}?",
                ],
            ),
            resolution: (
                "تم الرد على المستفيد وإنجاز الطلب",
                "The applicant was answered and the application completed",
            ),
        },
        ServiceSpec {
            entity: "mun",
            code: "stray-animals",
            department: "cleaning",
            name: ("حيوانات سائبة", "Stray animals"),
            description: (
                "كلاب أو قطط سائبة تشكل خطرًا أو إزعاجًا.",
                "Stray dogs or cats that are a danger or nuisance.",
            ),
            kinds: &[Kind::Report, Kind::Complaint],
            priority: Priority::Normal,
            fields: vec![number(
                "count",
                ("العدد التقريبي", "Approximate number"),
                false,
                1.0,
                20.0,
            )],
            texts: (
                &[
                    "مجموعة كلاب سائبة قرب مدرسة مجمع {block} تخيف الأطفال",
                    "قطط كثيرة حول حاويات النفايات في طريق {road}",
                ],
                &[
                    "A pack of stray dogs near the school in Block {block}",
                    "Many stray cats around the bins on Road {road}",
                ],
            ),
            resolution: (
                "نُسّق مع الجهة المختصة وأُمسكت الحيوانات",
                "The animals were caught with the competent authority",
            ),
        },
        ServiceSpec {
            entity: "mun",
            code: "mun-feedback",
            department: "satisfaction",
            name: ("شكر واقتراحات", "Thanks and suggestions"),
            description: (
                "شكركم لفرق البلدية واقتراحاتكم لتحسين المدينة.",
                "Thanks for the municipality's teams and ideas for a better city.",
            ),
            kinds: &[Kind::Compliment, Kind::Suggestion],
            priority: Priority::Low,
            fields: vec![],
            texts: (
                &[
                    "شكرًا لعمال النظافة في مجمع {block} على جهودهم",
                    "نقترح إضافة ممشى في الحديقة العامة بطريق {road}",
                ],
                &[
                    "Thanks to the cleaners in Block {block} for their hard work",
                    "Please add a walking track to the park on Road {road}",
                ],
            ),
            resolution: (
                "أُبلغ الفريق المعني بالشكر وأُحيل المقترح للدراسة",
                "The team was thanked and the suggestion passed on for study",
            ),
        },
        ServiceSpec {
            entity: "mun",
            code: "mun-follow-up",
            department: "satisfaction",
            name: FOLLOW_UP_NAME,
            description: FOLLOW_UP_DESCRIPTION,
            kinds: &[Kind::Complaint],
            priority: Priority::High,
            fields: vec![field(
                "earlier_reference",
                ("رقم البلاغ السابق", "Earlier reference"),
                Text,
                true,
            )],
            texts: FOLLOW_UP_TEXTS,
            resolution: FOLLOW_UP_RESOLUTION,
        },
    ]
}

// ---------------------------------------------------------------------------------------
// Cases.

/// A case to write and what staff then do to it, all decided before anything is written.
struct PlannedCase {
    case: CaseInsert,
    entity: &'static str,
    steps: Vec<Step>,
}

struct Step {
    at: i64,
    what: Move,
    body: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Move {
    Act(Action),
    /// A public reply: the status stays.
    Reply,
    /// An internal note: the status stays.
    Note,
}

/// Where the demo cases end up, in percent.
const OUTCOMES: &[(Status, u32)] = &[
    (Status::New, 10),
    (Status::Acknowledged, 10),
    (Status::Assigned, 15),
    (Status::InProgress, 20),
    (Status::WaitingOnReporter, 5),
    (Status::Resolved, 10),
    (Status::Closed, 25),
    (Status::Rejected, 5),
];

const CHANNELS: &[(Channel, u32)] = &[
    (Channel::Web, 30),
    (Channel::Whatsapp, 15),
    (Channel::Phone, 15),
    (Channel::Api, 8),
    (Channel::Email, 7),
    (Channel::WalkIn, 7),
    (Channel::Sms, 5),
    (Channel::Chat, 5),
    (Channel::Social, 3),
    (Channel::Open311, 3),
    (Channel::Qr, 2),
];

/// Residents: Arabic name, English name, e-mail handle.
const PEOPLE: &[(&str, &str, &str)] = &[
    ("أحمد عبدالله", "Ahmed Abdulla", "ahmed.abdulla"),
    ("فاطمة حسن", "Fatima Hasan", "fatima.hasan"),
    ("محمد جاسم", "Mohammed Jasim", "m.jasim"),
    ("مريم علي", "Maryam Ali", "maryam.ali"),
    ("عيسى إبراهيم", "Isa Ebrahim", "isa.ebrahim"),
    ("نوف خليفة", "Nouf Khalifa", "nouf.k"),
    ("حسين منصور", "Hussain Mansoor", "hussain.mansoor"),
    ("شيخة راشد", "Shaikha Rashid", "shaikha.r"),
    ("راهول مينون", "Rahul Menon", "rahul.menon"),
    ("ماريا سانتوس", "Maria Santos", "maria.santos"),
    ("عمران خان", "Imran Khan", "imran.khan"),
    ("بريا ناير", "Priya Nair", "priya.nair"),
];

const ACKNOWLEDGEMENT: Pair = (
    "تم استلام بلاغكم وهو قيد المراجعة",
    "We have received your case and are looking into it.",
);
const QUESTIONS: &[Pair] = &[
    ("نرجو تزويدنا بصورة للموقع", "Please send us a photo of the site."),
    ("نرجو تحديد أقرب معلم للموقع", "Please tell us the nearest landmark."),
    (
        "نرجو تأكيد رقم المبنى والطريق",
        "Please confirm the building and road numbers.",
    ),
];
const RESUMED: Pair = (
    "وصلتنا المعلومات المطلوبة، شكرًا لكم",
    "Thank you, we have the information we needed.",
);
const REJECTIONS: &[Pair] = &[
    (
        "البلاغ مكرر لبلاغ سابق قيد المعالجة",
        "This repeats an earlier case that is being handled.",
    ),
    (
        "الموقع خارج نطاق اختصاص الجهة",
        "The site is outside this body's remit.",
    ),
    (
        "لم نتمكن من التحقق من البلاغ في الموقع",
        "We could not confirm the report on site.",
    ),
];
const REPLIES: &[Pair] = &[
    (
        "الفريق الميداني في طريقه إلى الموقع",
        "Our field team is on its way to the site.",
    ),
    (
        "نعتذر عن التأخير، جُدول العمل هذا الأسبوع",
        "Sorry for the delay; the work is scheduled for this week.",
    ),
    (
        "تم التنسيق مع الجهة المختصة وسنوافيكم بالمستجدات",
        "We are working with the competent body and will keep you posted.",
    ),
];
/// Staff write their internal notes in Arabic.
const NOTES: &[&str] = &[
    "يحتاج إلى زيارة ميدانية مع المفتش",
    "يوجد بلاغ مشابه سابق في الموقع نفسه",
    "بانتظار توفر قطع الغيار من المورد",
    "تم التواصل مع المقاول وتحديد موعد للعمل",
];
const LANDMARKS: &[Pair] = &[
    ("بجانب المسجد", "next to the mosque"),
    ("مقابل البرادة", "opposite the grocery"),
    ("خلف المدرسة الابتدائية", "behind the primary school"),
    ("قرب محطة الحافلات", "near the bus stop"),
];

const MINUTE: i64 = 60_000_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

fn pick(pair: Pair, english: bool) -> &'static str {
    if english {
        pair.1
    } else {
        pair.0
    }
}

fn one_of<T: Copy>(rng: &mut StdRng, items: &[T]) -> AppResult<T> {
    known(items.choose(rng).copied(), "choices")
}

fn weighted<T: Copy>(rng: &mut StdRng, table: &[(T, u32)]) -> AppResult<T> {
    table
        .choose_weighted(rng, |(_, weight)| *weight)
        .map(|(item, _)| *item)
        .map_err(|e| AppError::Unexpected(e.into()))
}

fn raised(priority: Priority) -> Priority {
    match priority {
        Priority::Low => Priority::Normal,
        Priority::Normal => Priority::High,
        Priority::High | Priority::Urgent => Priority::Urgent,
    }
}

/// Every demo case, oldest first.
fn plan_cases(services: &[Stored<'_>], now: DateTime<Utc>) -> AppResult<Vec<PlannedCase>> {
    let mut rng = StdRng::seed_from_u64(SEED);
    let mut plans = (0..CASES)
        .map(|_| plan_case(&mut rng, services, now))
        .collect::<AppResult<Vec<_>>>()?;
    plans.sort_by_key(|p| p.case.created_at);
    Ok(plans)
}

fn plan_case(rng: &mut StdRng, services: &[Stored<'_>], now: DateTime<Utc>) -> AppResult<PlannedCase> {
    let service = known(services.choose(rng), "services")?;
    let spec = service.spec;
    let outcome = weighted(rng, OUTCOMES)?;
    // Most cases nobody has touched yet are recent; the rest are the backlog a supervisor chases.
    let fresh = matches!(outcome, Status::New | Status::Acknowledged) && rng.gen_bool(0.7);
    let max_age = if fresh { 7 * DAY } else { 90 * DAY };
    let created = micros(now) - rng.gen_range(10 * MINUTE..max_age);

    let english = rng.gen_bool(0.3);
    let language = if english { Language::En } else { Language::Ar };
    let (n, road, block) = (rng.gen_range(1..400), rng.gen_range(1..3000), rng.gen_range(301..347));
    let description = one_of(rng, if english { spec.texts.1 } else { spec.texts.0 })?
        .replace("{n}", &n.to_string())
        .replace("{road}", &road.to_string())
        .replace("{block}", &block.to_string());
    let address = rng.gen_bool(0.5).then(|| {
        if english {
            format!("Building {n}, Road {road}, Block {block}, Manama")
        } else {
            format!("مبنى {n}، طريق {road}، مجمع {block}، المنامة")
        }
    });
    let location = rng
        .gen_bool(0.65)
        .then(|| (round6(rng.gen_range(26.20..26.24)), round6(rng.gen_range(50.56..50.60))));

    let reporter = if rng.gen_bool(0.75) {
        let (ar, en, handle) = one_of(rng, PEOPLE)?;
        let phone = rng.gen_bool(0.75);
        let email = !phone || rng.gen_bool(0.3);
        Some((
            pick((ar, en), english).to_owned(),
            phone.then(|| format!("+9733{:07}", rng.gen_range(0..10_000_000))),
            email.then(|| format!("{handle}{}@example.com", rng.gen_range(1..100))),
        ))
    } else {
        None
    };
    let reporter_name = reporter.as_ref().map(|(name, _, _)| name.clone());

    let kind = if rng.gen_bool(0.6) {
        known(spec.kinds.first().copied(), "kinds")?
    } else {
        one_of(rng, spec.kinds)?
    };
    let channel = weighted(rng, CHANNELS)?;
    let priority = if rng.gen_bool(0.1) {
        raised(spec.priority)
    } else {
        spec.priority
    };
    let answers = sample_answers(rng, &spec.fields, created, english)?;

    let searchable = [
        Some(description.as_str()),
        address.as_deref(),
        Some(spec.name.0),
        Some(spec.name.1),
        reporter_name.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    let event =
        |actor_type: &str, actor_name: &str, action: &str, to_status: Option<Status>, details: Value| EventInsert {
            case_id: 0,
            at: created,
            actor_type: actor_type.into(),
            actor_id: None,
            actor_name: actor_name.into(),
            action: action.into(),
            from_status: None,
            to_status,
            public: true,
            body: None,
            details: details.to_string(),
        };
    // As intake records them: received from the reporter, then routed by the catalogue.
    let events = vec![
        event(
            if reporter.is_some() { "reporter" } else { "system" },
            reporter_name.as_deref().unwrap_or("anonymous"),
            "received",
            Some(Status::New),
            json!({ "channel": channel, "kind": kind }),
        ),
        event(
            "system",
            "routing",
            "routed",
            None,
            json!({ "department": spec.department, "reason": "the service's default department" }),
        ),
    ];
    let token = new_secret();
    let (phone, email) = reporter
        .as_ref()
        .map_or((None, None), |(_, phone, email)| (phone.clone(), email.clone()));
    let case = CaseInsert {
        token_hash: secret_digest(&token),
        token,
        idempotency: None,
        entity_id: service.entity_id,
        department_id: Some(service.department_id),
        service_id: service.id,
        kind: kind.as_str().into(),
        status: Status::New.as_str().into(),
        channel: channel.as_str().into(),
        language: language.as_str().into(),
        priority: priority.as_str().into(),
        description,
        answers: Value::Object(answers).to_string(),
        lat: location.map(|(lat, _)| lat),
        lon: location.map(|(_, lon)| lon),
        address,
        reporter_language: reporter.is_some().then(|| language.as_str().to_owned()),
        reporter_name,
        reporter_phone: phone,
        reporter_email: email,
        search_text: normalise_for_search(&searchable),
        created_at: created,
        events,
        ..CaseInsert::default()
    };
    let steps = plan_steps(rng, spec, outcome, english, created, micros(now))?;
    Ok(PlannedCase {
        case,
        entity: spec.entity,
        steps,
    })
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Answers to a service's form: every required field, about half the optional ones.
fn sample_answers(
    rng: &mut StdRng,
    fields: &[FormField],
    created: i64,
    english: bool,
) -> AppResult<Map<String, Value>> {
    let mut answers = Map::new();
    for field in fields {
        if !field.required && rng.gen_bool(0.5) {
            continue;
        }
        let created = tawasul_domain::from_micros(created);
        let answer = match field.field_type {
            FieldType::Text => json!(match field.key.as_str() {
                "meter_number" | "plate" | "plot" => rng.gen_range(10_000..10_000_000).to_string(),
                "application_number" => format!("BP-{}-{:05}", created.year(), rng.gen_range(1..50_000)),
                "earlier_reference" => reference(created.year(), rng.gen_range(1..400)),
                _ => pick(one_of(rng, LANDMARKS)?, english).to_owned(),
            }),
            FieldType::Number => {
                let (min, max) = (field.min.unwrap_or(0.0) as i64, field.max.unwrap_or(100.0) as i64);
                json!(rng.gen_range(min..=max))
            }
            FieldType::Date => json!((created - Duration::days(rng.gen_range(0..10)))
                .format("%Y-%m-%d")
                .to_string()),
            FieldType::SingleChoice => json!(known(field.options.choose(rng), "options")?.value),
            FieldType::MultipleChoice => {
                let mut chosen: Vec<&str> = field
                    .options
                    .iter()
                    .filter(|_| rng.gen_bool(0.4))
                    .map(|o| o.value.as_str())
                    .collect();
                if chosen.is_empty() {
                    chosen.push(known(field.options.choose(rng), "options")?.value.as_str());
                }
                json!(chosen)
            }
        };
        answers.insert(field.key.clone(), answer);
    }
    // The same check a resident's answers pass, so that demo cases read like real ones.
    Ok(validate_answers(fields, &answers)?)
}

/// The actions that take a new case to `outcome`, each allowed by the lifecycle.
fn path_to(rng: &mut StdRng, outcome: Status) -> Vec<Action> {
    use Action::*;
    let worked = [Acknowledge, Assign, Start];
    match outcome {
        Status::New => vec![],
        Status::Acknowledged => vec![Acknowledge],
        Status::Assigned => vec![Acknowledge, Assign],
        Status::InProgress => worked.to_vec(),
        Status::WaitingOnReporter => [&worked[..], &[WaitOnReporter]].concat(),
        Status::Resolved | Status::Closed => {
            let mut path = worked.to_vec();
            if rng.gen_bool(0.2) {
                path.extend([WaitOnReporter, Resume]);
            }
            path.push(Resolve);
            if outcome == Status::Closed {
                path.push(Close);
            }
            path
        }
        Status::Rejected if rng.gen_bool(0.5) => vec![Reject],
        Status::Rejected => vec![Acknowledge, Reject],
        // Not among OUTCOMES: a transfer or a merge carries its own data (where to, why).
        Status::Transferred | Status::Merged => vec![Acknowledge],
    }
}

/// What staff do to a case, timed between its intake and `now`.
fn plan_steps(
    rng: &mut StdRng,
    spec: &ServiceSpec,
    outcome: Status,
    english: bool,
    created: i64,
    now: i64,
) -> AppResult<Vec<Step>> {
    let mut moves: Vec<(Move, Option<String>)> = Vec::new();
    for action in path_to(rng, outcome) {
        let body = match action {
            Action::Acknowledge => Some(pick(ACKNOWLEDGEMENT, english)),
            Action::WaitOnReporter => Some(pick(one_of(rng, QUESTIONS)?, english)),
            Action::Resume => Some(pick(RESUMED, english)),
            Action::Resolve => Some(pick(spec.resolution, english)),
            Action::Reject => Some(pick(one_of(rng, REJECTIONS)?, english)),
            Action::Assign | Action::Start | Action::Close | Action::Reopen => None,
        };
        moves.push((Move::Act(action), body.map(str::to_owned)));
    }
    if rng.gen_bool(0.2) {
        let at = rng.gen_range(0..=moves.len());
        moves.insert(at, (Move::Reply, Some(pick(one_of(rng, REPLIES)?, english).to_owned())));
    }
    if rng.gen_bool(0.15) {
        let at = rng.gen_range(0..=moves.len());
        moves.insert(at, (Move::Note, Some(one_of(rng, NOTES)?.to_owned())));
    }
    // Gaps of 20 minutes to 30 hours, squeezed when the case is younger than they add up to.
    let gaps: Vec<i64> = moves.iter().map(|_| rng.gen_range(20 * MINUTE..30 * HOUR)).collect();
    let budget = (now - created) * 9 / 10;
    let total: i64 = gaps.iter().sum();
    let scale = if total > budget {
        budget as f64 / total as f64
    } else {
        1.0
    };
    let mut at = created;
    Ok(moves
        .into_iter()
        .zip(gaps)
        .map(|((what, body), gap)| {
            at += ((gap as f64 * scale) as i64).max(1);
            Step { at, what, body }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use tawasul_domain::intake::{Email, PhoneNumber};

    #[test]
    fn the_demo_reply_templates_are_valid_in_arabic_and_english() {
        for (key, texts) in REPLY_TEMPLATES {
            assert!(tawasul_domain::reply::parse_key(key).is_ok(), "{key}");
            let languages: Vec<&str> = texts.iter().map(|(language, _, _)| *language).collect();
            assert_eq!(languages, ["ar", "en"], "{key}");
            for (language, title, body) in *texts {
                assert!(tawasul_domain::reply::parse_title(title).is_ok(), "{key} {language}");
                assert!(tawasul_domain::reply::parse_body(body).is_ok(), "{key} {language}");
            }
        }
    }

    fn stored(catalogue: &[ServiceSpec]) -> Vec<Stored<'_>> {
        catalogue
            .iter()
            .zip(1..)
            .map(|(spec, id)| Stored {
                spec,
                id,
                entity_id: 1,
                department_id: 1,
            })
            .collect()
    }

    #[test]
    fn the_first_service_takes_a_case_without_answers() {
        let catalogue = catalogue();
        let first = catalogue.first().expect("a service");
        assert_eq!(
            (first.code, first.entity, first.department),
            ("water-leak", "cap", "water")
        );
        assert!(first.kinds.contains(&Kind::Complaint) && first.kinds.contains(&Kind::Report));
        assert!(first.fields.iter().all(|f| !f.required));
    }

    #[test]
    fn the_catalogue_is_large_distinct_and_uses_every_field_type() {
        let catalogue = catalogue();
        assert!(catalogue.len() >= 22);
        let codes: HashSet<_> = catalogue.iter().map(|s| s.code).collect();
        assert_eq!(codes.len(), catalogue.len(), "service codes are unique");
        let types: HashSet<_> = catalogue
            .iter()
            .flat_map(|s| s.fields.iter().map(|f| format!("{:?}", f.field_type)))
            .collect();
        assert_eq!(types.len(), 5);
        for spec in &catalogue {
            let entity = ENTITIES.iter().find(|e| e.code == spec.entity).expect("entity");
            assert!(
                entity.departments.iter().any(|(code, _, _)| *code == spec.department),
                "{}",
                spec.code
            );
            assert!(
                !spec.kinds.is_empty() && !spec.texts.0.is_empty() && !spec.texts.1.is_empty(),
                "{}",
                spec.code
            );
        }
    }

    #[test]
    fn there_is_a_login_for_every_role_of_every_entity() {
        let logins = demo_logins();
        assert_eq!(logins.len(), 1 + ENTITIES.len() * Role::ALL.len());
        for entity in ENTITIES {
            for role in Role::ALL {
                let username = format!("{}.{role}", entity.code);
                assert!(
                    logins.iter().any(|l| l.username == username && l.role == *role),
                    "{username}"
                );
            }
        }
    }

    #[test]
    fn planned_cases_follow_the_lifecycle_to_every_status() {
        let catalogue = catalogue();
        let now = Utc::now();
        let plans = plan_cases(&stored(&catalogue), now).expect("plans");
        assert_eq!(plans.len(), CASES);
        let mut reached = HashSet::new();
        for plan in &plans {
            let case = &plan.case;
            assert!(case.created_at < micros(now) && case.created_at > micros(now - Duration::days(91)));
            if let Some(phone) = &case.reporter_phone {
                assert_eq!(PhoneNumber::parse(phone).expect("phone").as_str(), phone);
            }
            if let Some(email) = &case.reporter_email {
                assert_eq!(Email::parse(email).expect("email").as_str(), email);
            }
            let mut status = Status::New;
            let mut at = case.created_at;
            for step in &plan.steps {
                assert!(
                    step.at > at && step.at < micros(now),
                    "steps run forwards and end before now"
                );
                at = step.at;
                if let Move::Act(action) = step.what {
                    status = transition(status, action).expect("allowed");
                }
            }
            reached.insert(status);
        }
        // Every status but `transferred` and `merged`, which only a transfer between entities
        // and a merge into another case reach.
        assert_eq!(reached.len(), Status::ALL.len() - 2, "{reached:?}");
        assert!(!reached.contains(&Status::Transferred) && !reached.contains(&Status::Merged));
        assert!(plans.windows(2).all(|w| w[0].case.created_at <= w[1].case.created_at));
    }
}
