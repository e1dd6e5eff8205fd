//! The service catalogue as its administrators change it: a service's properties and its
//! form. Cases keep the answers they were given, whatever the form becomes, and a service that
//! cases use keeps its code.

use crate::catalogue::{CatalogueError, CatalogueResult};
use crate::error::Failure;
use crate::identity::authz::{Permission, StaffUser};
use crate::App;
use tawasul_domain::catalogue::{self, FormField};
use tawasul_domain::vocab::Priority;
use tawasul_domain::Invalid;
use tawasul_store::{AuditInsert, EntityRow, ManagedServiceRow, ServiceInsert, ServiceUpdate};

/// A service's properties as an administrator typed them, before they are checked.
#[derive(Debug, Clone, Default)]
pub struct ServiceDraft {
    pub code: String,
    pub name_ar: String,
    pub name_en: String,
    pub description_ar: String,
    pub description_en: String,
    pub kinds: Vec<String>,
    /// A department code of the entity; empty for none.
    pub default_department: String,
    pub default_priority: String,
    pub active: bool,
    /// Each resolution must bring a photo of the fix.
    pub fix_photo_required: bool,
}

/// Whether each resolution of a service must bring a photo of the fix.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FixPhotoRequest {
    pub required: bool,
}

/// A draft once checked.
struct CheckedService {
    code: String,
    name_ar: String,
    name_en: String,
    description_ar: String,
    description_en: String,
    kinds: String,
    default_department_id: Option<i64>,
    default_priority: Priority,
}

impl App {
    fn catalogue_audit(&self, user: &StaffUser, action: &str, entity: &str, details: serde_json::Value) -> AuditInsert {
        AuditInsert {
            at: self.now_micros(),
            staff_id: Some(user.id),
            action: action.into(),
            target: format!("entity:{entity}"),
            details: details.to_string(),
        }
    }

    async fn check_service(&self, entity: &EntityRow, draft: &ServiceDraft) -> CatalogueResult<CheckedService> {
        let code = catalogue::parse_code(draft.code.trim(), "code")?;
        let name_ar = catalogue::parse_name(&draft.name_ar, "name_ar")?;
        let name_en = catalogue::parse_name(&draft.name_en, "name_en")?;
        let description_ar = catalogue::parse_description(&draft.description_ar, "description_ar")?;
        let description_en = catalogue::parse_description(&draft.description_en, "description_en")?;
        let kinds = catalogue::parse_kinds(&draft.kinds)?;
        let default_priority = Priority::parse(&draft.default_priority).map_err(|e| Invalid {
            field: "default_priority".into(),
            ..e
        })?;
        let default_department_id = match draft.default_department.trim() {
            "" => None,
            department => Some(
                self.store
                    .department_by_code(entity.id, department)
                    .await?
                    .ok_or_else(|| {
                        Invalid::new(
                            "unknown_department",
                            "default_department",
                            "no such department in the entity",
                        )
                    })?
                    .id,
            ),
        };
        Ok(CheckedService {
            code,
            name_ar,
            name_en,
            description_ar,
            description_en,
            kinds: kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(","),
            default_department_id,
            default_priority,
        })
    }

    /// An entity's services, inactive ones too.
    pub async fn managed_services(&self, user: &StaffUser, entity: &str) -> CatalogueResult<Vec<ManagedServiceRow>> {
        let entity = self.managed_entity(user, entity, "entity").await?;
        Ok(self.store.managed_services(entity.id).await?)
    }

    /// One service, for a user who may manage its entity's catalogue.
    pub async fn managed_service(&self, user: &StaffUser, code: &str) -> CatalogueResult<ManagedServiceRow> {
        let service = self
            .store
            .managed_service(code)
            .await?
            .ok_or(Failure::NotFound("service"))?;
        user.require(Permission::ManageCatalogue, Some(service.service.entity_id))?;
        Ok(service)
    }

    /// Adds a service, with an empty form; returns its code.
    pub async fn add_service(&self, user: &StaffUser, entity: &str, draft: ServiceDraft) -> CatalogueResult<String> {
        let entity = self.managed_entity(user, entity, "entity").await?;
        let checked = self.check_service(&entity, &draft).await?;
        let details = serde_json::json!({
            "code": checked.code, "active": draft.active, "fix_photo_required": draft.fix_photo_required,
        });
        let audit = self.catalogue_audit(user, "add_service", &entity.code, details);
        let insert = ServiceInsert {
            entity_id: entity.id,
            code: checked.code.clone(),
            name_ar: checked.name_ar,
            name_en: checked.name_en,
            description_ar: checked.description_ar,
            description_en: checked.description_en,
            kinds: checked.kinds,
            fields: "[]".into(),
            default_department_id: checked.default_department_id,
            default_priority: checked.default_priority,
            fix_photo_required: draft.fix_photo_required,
        };
        self.store
            .add_service(insert, draft.active, audit)
            .await
            .map_err(duplicate_code)?;
        self.workflow_changed().await;
        Ok(checked.code)
    }

    /// Changes a service's properties; returns its code (new, if it could change).
    pub async fn update_service(&self, user: &StaffUser, code: &str, draft: ServiceDraft) -> CatalogueResult<String> {
        let current = self.managed_service(user, code).await?;
        let entity = self
            .managed_entity(user, &current.service.entity_code, "entity")
            .await?;
        let checked = self.check_service(&entity, &draft).await?;
        let code_kept = || Invalid::new("code_kept", "code", "a service that cases use keeps its code");
        if current.has_cases && checked.code != current.service.code {
            return Err(code_kept().into());
        }
        let details = serde_json::json!({
            "code": current.service.code, "new_code": checked.code, "kinds": checked.kinds,
            "default_priority": checked.default_priority, "active": draft.active,
            "fix_photo_required": draft.fix_photo_required,
        });
        let audit = self.catalogue_audit(user, "update_service", &entity.code, details);
        let update = ServiceUpdate {
            id: current.service.id,
            code: checked.code.clone(),
            name_ar: checked.name_ar,
            name_en: checked.name_en,
            description_ar: checked.description_ar,
            description_en: checked.description_en,
            kinds: checked.kinds,
            default_department_id: checked.default_department_id,
            default_priority: checked.default_priority,
            fix_photo_required: draft.fix_photo_required,
            active: draft.active,
        };
        // False only when a case arrived since the check above and the code was to change.
        if !self.store.update_service(update, audit).await.map_err(duplicate_code)? {
            return Err(code_kept().into());
        }
        self.workflow_changed().await;
        Ok(checked.code)
    }

    /// Says whether each resolution of the service must bring a photo of the fix.
    pub async fn set_fix_photo_required(
        &self,
        user: &StaffUser,
        code: &str,
        required: bool,
    ) -> CatalogueResult<ManagedServiceRow> {
        let current = self.managed_service(user, code).await?;
        let s = &current.service;
        let draft = ServiceDraft {
            code: s.code.clone(),
            name_ar: s.name_ar.clone(),
            name_en: s.name_en.clone(),
            description_ar: s.description_ar.clone(),
            description_en: s.description_en.clone(),
            kinds: s.kinds.split(',').map(str::to_owned).collect(),
            default_department: s.default_department_code.clone().unwrap_or_default(),
            default_priority: s.default_priority.as_str().to_owned(),
            active: current.active,
            fix_photo_required: required,
        };
        self.update_service(user, code, draft).await?;
        self.managed_service(user, code).await
    }

    /// Replaces a service's form with `fields`, checked as a whole. The answers stored with
    /// earlier cases stay as they were.
    pub async fn set_service_fields(
        &self,
        user: &StaffUser,
        code: &str,
        fields: Vec<FormField>,
    ) -> CatalogueResult<()> {
        let current = self.managed_service(user, code).await?;
        let clean = catalogue::validate_form(&fields)?;
        let keys: Vec<&str> = clean.iter().map(|f| f.key.as_str()).collect();
        let details = serde_json::json!({ "code": current.service.code, "fields": keys });
        let audit = self.catalogue_audit(user, "set_service_fields", &current.service.entity_code, details);
        let json = serde_json::to_string(&clean).map_err(anyhow::Error::from)?;
        if !self.store.set_service_fields(current.service.id, json, audit).await? {
            return Err(Failure::NotFound("service").into());
        }
        Ok(())
    }
}

fn duplicate_code(e: tawasul_store::StoreError) -> CatalogueError {
    match CatalogueError::from(e) {
        CatalogueError::Duplicate(_) => Invalid::new("duplicate", "code", "another service has this code").into(),
        other => other,
    }
}
