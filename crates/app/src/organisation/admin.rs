//! Administration of the organisation: entities, their departments, and staff users with
//! their roles. Entities and departments need `ManageCatalogue`, staff `ManageStaff`, each on
//! the entity concerned (a global administrator, with no entity, acts on all). Every change is
//! validated, authorized and audited; entity and department changes reload the workflow
//! configuration, which holds their names.

use crate::error::{Failure, Outcome};
use crate::identity::auth::{check_new_password, check_username, hash_off_thread};
use crate::identity::authz::{Permission, StaffUser};
use crate::organisation::{OrganisationError, OrganisationResult};
use crate::App;
use tawasul_domain::intake::Email;
use tawasul_domain::text::CaseText;
use tawasul_domain::vocab::Role;
use tawasul_domain::Invalid;
use tawasul_store::{
    DepartmentInsert, DepartmentRow, EntityInsert, EntityRow, EntityUpdate, StaffInsert, StaffRow, StaffUpdate,
};

/// The kinds of government body an entity may be.
pub const ENTITY_TYPES: &[&str] = &["governorate", "municipality", "ministry", "authority"];
const MAX_NAME_CHARS: usize = 200;

/// A new entity, or new names for one (whose code then stays as it was).
#[derive(Debug, Clone, Default)]
pub struct EntityRequest {
    pub code: String,
    pub name_ar: String,
    pub name_en: String,
    pub entity_type: String,
}

/// A new department, or new names for one.
#[derive(Debug, Clone, Default)]
pub struct DepartmentRequest {
    pub code: String,
    pub name_ar: String,
    pub name_en: String,
}

/// A new staff user of an entity.
#[derive(Debug, Clone, Default)]
pub struct NewStaff {
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub entity: String,
    /// A department code of the entity, or empty for none.
    pub department: String,
    pub role: String,
    pub password: String,
}

/// What an administrator may change of a staff user.
#[derive(Debug, Clone, Default)]
pub struct StaffChange {
    pub display_name: String,
    pub email: String,
    pub department: String,
    pub role: String,
}

/// Codes of entities and departments: 2–32 lower-case ASCII letters, digits and '-'.
fn code(raw: &str) -> Outcome<String> {
    let code = raw.trim();
    let ok = (2..=32).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(code.to_owned())
    } else {
        Err(Invalid::new(
            "invalid_identifier",
            "code",
            "use 2–32 lower-case letters, digits or '-'",
        )
        .into())
    }
}

/// A name people read (an entity's, a department's, a staff user's): not empty, at most
/// `MAX_NAME_CHARS`, no control or direction-override characters.
pub(crate) fn name(raw: &str, field: &str) -> Outcome<String> {
    Ok(CaseText::parse(raw, field, MAX_NAME_CHARS)?.into_string())
}

fn entity_type(raw: &str) -> Outcome<String> {
    ENTITY_TYPES
        .iter()
        .find(|t| **t == raw)
        .map(|t| (*t).to_owned())
        .ok_or_else(|| Invalid::new("unknown_entity_type", "entity_type", "choose a type of entity").into())
}

fn role(raw: &str) -> Outcome<Role> {
    Ok(Role::parse(raw).map_err(|e| Invalid {
        field: "role".into(),
        ..e
    })?)
}

/// An optional e-mail address: empty is none.
fn email(raw: &str) -> Outcome<Option<String>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    Ok(Some(Email::parse(raw)?.as_str().to_owned()))
}

fn duplicate_at(field: &'static str) -> impl Fn(OrganisationError) -> OrganisationError {
    move |e| match e {
        OrganisationError::Duplicate(_) => Invalid::new("duplicate", field, "this is taken already").into(),
        other => other,
    }
}

impl App {
    /// The entities `user` may administer, in order of creation: all for a global administrator.
    pub async fn managed_entities(&self, user: &StaffUser) -> OrganisationResult<Vec<EntityRow>> {
        let entities = self.store.entities().await?;
        let mine: Vec<EntityRow> = entities
            .into_iter()
            .filter(|e| {
                user.may(Permission::ManageCatalogue, Some(e.id)) || user.may(Permission::ManageStaff, Some(e.id))
            })
            .collect();
        if mine.is_empty() && !user.may(Permission::ManageCatalogue, None) {
            return Err(Failure::Forbidden("only administrators manage the organisation".into()).into());
        }
        Ok(mine)
    }

    /// An entity `user` may administer with `permission`, by code.
    pub async fn administered_entity(
        &self,
        user: &StaffUser,
        code: &str,
        permission: Permission,
    ) -> OrganisationResult<EntityRow> {
        let entity = self
            .store
            .entity_by_code(code)
            .await?
            .ok_or(Failure::NotFound("entity"))?;
        user.require(permission, Some(entity.id))?;
        Ok(entity)
    }

    /// Adds an entity: only a global administrator may.
    pub async fn add_entity(&self, user: &StaffUser, request: EntityRequest) -> OrganisationResult<EntityRow> {
        user.require(Permission::ManageCatalogue, None)?;
        let insert = EntityInsert {
            code: code(&request.code)?,
            name_ar: name(&request.name_ar, "name_ar")?,
            name_en: name(&request.name_en, "name_en")?,
            entity_type: entity_type(&request.entity_type)?,
        };
        let id = self
            .store
            .insert_entity(insert.clone())
            .await
            .map_err(OrganisationError::from)
            .map_err(duplicate_at("code"))?;
        let details =
            serde_json::json!({ "name_ar": insert.name_ar, "name_en": insert.name_en, "type": insert.entity_type });
        self.audited(Some(user), "add_entity", format!("entity:{}", insert.code), details)
            .await?;
        Ok(EntityRow {
            id,
            code: insert.code,
            name_ar: insert.name_ar,
            name_en: insert.name_en,
            entity_type: insert.entity_type,
        })
    }

    /// Renames an entity (and may change its type); its code stays.
    pub async fn update_entity(
        &self,
        user: &StaffUser,
        entity: &str,
        request: EntityRequest,
    ) -> OrganisationResult<()> {
        let entity = self.managed_entity(user, entity, "entity").await?;
        let update = EntityUpdate {
            id: entity.id,
            name_ar: name(&request.name_ar, "name_ar")?,
            name_en: name(&request.name_en, "name_en")?,
            entity_type: entity_type(&request.entity_type)?,
        };
        // The type is the level whose map the entity's areas are on: moved to another level,
        // they would compete with that level's entities for cases.
        if update.entity_type != entity.entity_type && user.entity_id.is_some() {
            return Err(Invalid::new(
                "needs_platform_administrator",
                "entity_type",
                "only the platform administrator changes an entity's type",
            )
            .into());
        }
        let details =
            serde_json::json!({ "name_ar": update.name_ar, "name_en": update.name_en, "type": update.entity_type });
        if !self.store.update_entity(update).await? {
            return Err(Failure::NotFound("entity").into());
        }
        Ok(self
            .audited(Some(user), "update_entity", format!("entity:{}", entity.code), details)
            .await?)
    }

    pub async fn departments_of(&self, user: &StaffUser, entity: &str) -> OrganisationResult<Vec<DepartmentRow>> {
        let entity = self.managed_entity(user, entity, "entity").await?;
        let all = self.store.departments().await?;
        Ok(all.into_iter().filter(|d| d.entity_id == entity.id).collect())
    }

    pub async fn add_department(
        &self,
        user: &StaffUser,
        entity: &str,
        request: DepartmentRequest,
    ) -> OrganisationResult<()> {
        let entity = self.managed_entity(user, entity, "entity").await?;
        let insert = DepartmentInsert {
            entity_id: entity.id,
            code: code(&request.code)?,
            name_ar: name(&request.name_ar, "name_ar")?,
            name_en: name(&request.name_en, "name_en")?,
        };
        let target = format!("department:{}/{}", entity.code, insert.code);
        let details = serde_json::json!({ "name_ar": insert.name_ar, "name_en": insert.name_en });
        self.store
            .insert_department(insert)
            .await
            .map_err(OrganisationError::from)
            .map_err(duplicate_at("code"))?;
        Ok(self.audited(Some(user), "add_department", target, details).await?)
    }

    pub async fn rename_department(
        &self,
        user: &StaffUser,
        entity: &str,
        department: &str,
        request: DepartmentRequest,
    ) -> OrganisationResult<()> {
        let entity = self.managed_entity(user, entity, "entity").await?;
        let row = self
            .store
            .department_by_code(entity.id, department)
            .await?
            .ok_or(Failure::NotFound("department"))?;
        let name_ar = name(&request.name_ar, "name_ar")?;
        let name_en = name(&request.name_en, "name_en")?;
        let details = serde_json::json!({ "name_ar": name_ar, "name_en": name_en });
        if !self.store.update_department(row.id, name_ar, name_en).await? {
            return Err(Failure::NotFound("department").into());
        }
        let target = format!("department:{}/{}", entity.code, row.code);
        Ok(self.audited(Some(user), "rename_department", target, details).await?)
    }

    /// The staff of an entity, in order of creation.
    pub async fn staff_of(&self, user: &StaffUser, entity: &str) -> OrganisationResult<Vec<StaffRow>> {
        let entity = self.administered_entity(user, entity, Permission::ManageStaff).await?;
        let all = self.store.staff().await?;
        Ok(all.into_iter().filter(|s| s.entity_id == Some(entity.id)).collect())
    }

    /// A staff user `user` may manage, by username.
    pub async fn managed_staff(&self, user: &StaffUser, username: &str) -> OrganisationResult<StaffRow> {
        let row = self
            .store
            .staff_by_username(username)
            .await?
            .ok_or(Failure::NotFound("staff user"))?;
        user.require(Permission::ManageStaff, row.entity_id)?;
        Ok(row)
    }

    /// A department of `entity_id` by code, or none for an empty code.
    async fn department_of(&self, entity_id: i64, raw: &str) -> OrganisationResult<Option<i64>> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        let row =
            self.store.department_by_code(entity_id, raw).await?.ok_or_else(|| {
                Invalid::new("unknown_department", "department", "choose a department of this entity")
            })?;
        Ok(Some(row.id))
    }

    /// Adds a staff user to an entity, with an initial password (hashed with argon2id).
    pub async fn create_staff(&self, user: &StaffUser, request: NewStaff) -> OrganisationResult<i64> {
        let entity = self
            .store
            .entity_by_code(&request.entity)
            .await?
            .ok_or_else(|| Invalid::new("unknown_entity", "entity", "choose an entity"))?;
        user.require(Permission::ManageStaff, Some(entity.id))?;
        let username = request.username.trim().to_owned();
        check_username(&username)?;
        let display_name = name(&request.display_name, "display_name")?;
        let email = email(&request.email)?;
        let role = role(&request.role)?;
        let department_id = self.department_of(entity.id, &request.department).await?;
        check_new_password(&request.password)?;
        let password_hash = hash_off_thread(&request.password).await?;
        let id = self
            .store
            .insert_staff(StaffInsert {
                username: username.clone(),
                password_hash,
                role,
                entity_id: Some(entity.id),
                department_id,
                display_name: display_name.clone(),
                email: email.clone(),
                created_at: self.now_micros(),
            })
            .await
            .map_err(OrganisationError::from)
            .map_err(duplicate_at("username"))?;
        let details = serde_json::json!({
            "entity": entity.code, "role": role, "department": request.department.trim(),
            "display_name": display_name, "email": email,
        });
        self.audit_staff(user, "add_staff", &username, details).await?;
        Ok(id)
    }

    /// Changes a staff user's name, e-mail, department and role. Nobody removes their own
    /// administrator role: an entity would be left with no one to undo it.
    pub async fn change_staff(&self, user: &StaffUser, username: &str, change: StaffChange) -> OrganisationResult<()> {
        let row = self.managed_staff(user, username).await?;
        let display_name = name(&change.display_name, "display_name")?;
        let email = email(&change.email)?;
        let role = role(&change.role)?;
        if row.id == user.id && user.role == Role::Admin && role != Role::Admin {
            return Err(Invalid::new(
                "own_admin_role",
                "role",
                "you may not remove your own administrator role",
            )
            .into());
        }
        let department_id = match row.entity_id {
            Some(entity_id) => self.department_of(entity_id, &change.department).await?,
            None if change.department.trim().is_empty() => None,
            None => {
                return Err(Invalid::new("unknown_department", "department", "a global user has no department").into())
            }
        };
        let update = StaffUpdate {
            id: row.id,
            display_name: display_name.clone(),
            role,
            department_id,
            email: email.clone(),
        };
        if !self.store.update_staff(update).await? {
            return Err(Failure::NotFound("staff user").into());
        }
        let details = serde_json::json!({
            "role": role, "department": change.department.trim(), "display_name": display_name, "email": email,
        });
        self.audit_staff(user, "change_staff", &row.username, details).await
    }

    /// Deactivates a staff user (who can then neither sign in nor use a session) or reactivates
    /// one. Nobody deactivates themself.
    pub async fn set_staff_active(&self, user: &StaffUser, username: &str, active: bool) -> OrganisationResult<()> {
        let row = self.managed_staff(user, username).await?;
        if row.id == user.id && !active {
            return Err(Invalid::new("own_account", "active", "you may not deactivate yourself").into());
        }
        if !self.store.set_staff_active(row.id, active).await? {
            return Err(Failure::NotFound("staff user").into());
        }
        let action = if active { "reactivate_staff" } else { "deactivate_staff" };
        self.audit_staff(user, action, &row.username, serde_json::json!({}))
            .await
    }

    /// Gives a staff user a new password; their open sessions end.
    pub async fn reset_staff_password(
        &self,
        user: &StaffUser,
        username: &str,
        password: &str,
    ) -> OrganisationResult<()> {
        let row = self.managed_staff(user, username).await?;
        check_new_password(password)?;
        let hash = hash_off_thread(password).await?;
        if !self.store.set_staff_password(row.id, hash).await? {
            return Err(Failure::NotFound("staff user").into());
        }
        self.audit_staff(user, "reset_staff_password", &row.username, serde_json::json!({}))
            .await
    }

    /// Staff changes touch no workflow configuration, so they are audited without a reload.
    async fn audit_staff(
        &self,
        user: &StaffUser,
        action: &str,
        username: &str,
        details: serde_json::Value,
    ) -> OrganisationResult<()> {
        self.store
            .audit(tawasul_store::AuditInsert {
                at: self.now_micros(),
                staff_id: Some(user.id),
                action: action.into(),
                target: format!("staff:{username}"),
                details: details.to_string(),
            })
            .await?;
        Ok(())
    }
}
