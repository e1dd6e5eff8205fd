//! Test data made through the use cases, as an administrator would make it, so that fixtures
//! pass the same checks and leave the same audit trail as real data. The fixtures' own
//! administrator is `fixtures.admin`; [`audit_of_test`] is the trail without its rows.

use serde_json::Value;
use tawasul_app::catalogue::reply_templates::NewReplyTemplate;
use tawasul_app::catalogue::services::ServiceDraft;
use tawasul_app::identity::auth::Credentials;
use tawasul_app::identity::authz::StaffUser;
use tawasul_app::identity::second_factor::SignIn;
use tawasul_app::organisation::admin::{DepartmentRequest, EntityRequest};
use tawasul_app::{App, IdentityError};
use tawasul_domain::catalogue::FormField;
use tawasul_domain::vocab::Role;

/// The password of every staff user the fixtures make.
pub const PASSWORD: &str = "correct-horse-battery";
/// The installation-wide administrator the fixtures are made by (with [`PASSWORD`]).
pub const ADMIN: &str = "fixtures.admin";

/// A service to add: its entity's department handles it by default.
pub struct ServiceSpec<'a> {
    pub entity: &'a str,
    pub code: &'a str,
    pub name: (&'a str, &'a str),
    pub description: (&'a str, &'a str),
    pub kinds: &'a [&'a str],
    pub department: &'a str,
    /// The form, as the JSON of `FormField`s.
    pub fields: Value,
}

pub struct Fixtures<'a> {
    app: &'a App,
    admin: StaffUser,
}

impl<'a> Fixtures<'a> {
    /// Signs in an installation-wide administrator to make the fixtures with (made on first use).
    pub async fn new(app: &'a App) -> Self {
        match app
            .add_staff(ADMIN, PASSWORD, Role::Admin, None, Some("Fixtures"))
            .await
        {
            Ok(_) | Err(IdentityError::Duplicate(_)) => {}
            Err(e) => panic!("the fixtures' administrator: {e}"),
        }
        let signed_in = app
            .login(
                Credentials {
                    username: ADMIN.into(),
                    password: PASSWORD.into(),
                },
                &tawasul_app::identity::limits::Client::default(),
            )
            .await
            .expect("the fixtures' administrator signs in");
        let SignIn::Done(_, admin) = signed_in else {
            panic!("the fixtures' administrator has no second factor");
        };
        Self { app, admin }
    }

    /// The installation-wide administrator the fixtures are made with, for a use case a test
    /// calls as an administrator would.
    pub fn admin(&self) -> &StaffUser {
        &self.admin
    }

    /// An entity of `entity_type` (governorate, municipality, ministry, …).
    pub async fn entity(&self, code: &str, name_ar: &str, name_en: &str, entity_type: &str) -> &Self {
        self.app
            .add_entity(
                &self.admin,
                EntityRequest {
                    code: code.into(),
                    name_ar: name_ar.into(),
                    name_en: name_en.into(),
                    entity_type: entity_type.into(),
                },
            )
            .await
            .expect("entity");
        self
    }

    pub async fn department(&self, entity: &str, code: &str, name_ar: &str, name_en: &str) -> &Self {
        self.app
            .add_department(
                &self.admin,
                entity,
                DepartmentRequest {
                    code: code.into(),
                    name_ar: name_ar.into(),
                    name_en: name_en.into(),
                },
            )
            .await
            .expect("department");
        self
    }

    pub async fn service(&self, spec: ServiceSpec<'_>) -> &Self {
        let draft = ServiceDraft {
            code: spec.code.into(),
            name_ar: spec.name.0.into(),
            name_en: spec.name.1.into(),
            description_ar: spec.description.0.into(),
            description_en: spec.description.1.into(),
            kinds: spec.kinds.iter().map(|k| (*k).to_owned()).collect(),
            default_department: spec.department.into(),
            default_priority: "normal".into(),
            active: true,
            fix_photo_required: false,
        };
        self.app
            .add_service(&self.admin, spec.entity, draft)
            .await
            .expect("service");
        let fields: Vec<FormField> = serde_json::from_value(spec.fields).expect("a form");
        self.app
            .set_service_fields(&self.admin, spec.code, fields)
            .await
            .expect("the service's form");
        self
    }

    /// The capital governorate (`cap`) with its water department, the water-leak service
    /// with the given form, and its supervisor (`cap.supervisor`).
    pub async fn capital(&self, form: Value) -> &Self {
        self.entity("cap", "العاصمة", "Capital", "governorate").await;
        self.department("cap", "water", "المياه", "Water").await;
        self.service(ServiceSpec {
            entity: "cap",
            code: "water-leak",
            name: ("تسرب مياه", "Water leak"),
            description: ("تسرب المياه في الشوارع", "Water leaking in the streets"),
            kinds: &["complaint", "report"],
            department: "water",
            fields: form,
        })
        .await;
        self.staff("cap.supervisor", Role::Supervisor, Some("cap")).await
    }

    /// A reply template of `entity` in `language`.
    pub async fn reply_template(&self, entity: &str, key: &str, language: &str, title: &str, body: &str) -> &Self {
        let template = NewReplyTemplate {
            key: key.into(),
            language: language.into(),
            title: title.into(),
            body: body.into(),
        };
        self.app
            .add_reply_template(&self.admin, entity, template)
            .await
            .expect("reply template");
        self
    }

    /// A staff user with [`PASSWORD`], of `entity` or of the whole installation.
    pub async fn staff(&self, username: &str, role: Role, entity: Option<&str>) -> &Self {
        self.app
            .add_staff(username, PASSWORD, role, entity, None)
            .await
            .expect("staff");
        self
    }
}

/// The audit trail the test itself left: every row but the fixtures' own, newest first.
pub async fn audit_of_test(store: &tawasul_store::Store, limit: i64) -> Vec<tawasul_store::AuditRow> {
    let fixtures = store
        .staff_by_username(ADMIN)
        .await
        .expect("read")
        .map(|admin| admin.id);
    let rows = store.audit_log(limit).await.expect("audit");
    rows.into_iter()
        .filter(|row| fixtures.is_none() || row.staff_id != fixtures)
        .collect()
}
