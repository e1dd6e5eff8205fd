//! Reply templates, per entity and language: administrators manage them, staff answering a
//! case start from one filled in for that case in the reporter's language.

use crate::catalogue::{CatalogueError, CatalogueResult};
use crate::error::{Failure, Outcome};
use crate::identity::authz::{Permission, StaffUser};
use crate::App;
use tawasul_domain::reply;
use tawasul_domain::vocab::Language;
use tawasul_domain::Invalid;
use tawasul_store::{AuditInsert, ReplyTemplateEdit, ReplyTemplateInsert, ReplyTemplateRow};

/// A template as an administrator typed it, before it is checked.
#[derive(Debug, Clone)]
pub struct NewReplyTemplate {
    pub key: String,
    pub language: String,
    pub title: String,
    pub body: String,
}

impl App {
    fn template_audit(&self, user: &StaffUser, action: &str, entity: &str, details: serde_json::Value) -> AuditInsert {
        AuditInsert {
            at: self.now_micros(),
            staff_id: Some(user.id),
            action: action.into(),
            target: format!("entity:{entity}"),
            details: details.to_string(),
        }
    }

    /// An entity's templates, for its administrators.
    pub async fn reply_templates(&self, user: &StaffUser, entity: &str) -> CatalogueResult<Vec<ReplyTemplateRow>> {
        let entity = self.managed_entity(user, entity, "entity").await?;
        Ok(self.store.reply_templates(entity.id).await?)
    }

    /// The templates offered on a case of `entity` to staff who may answer the reporter there;
    /// none to anyone else.
    pub async fn reply_templates_for_reply(
        &self,
        user: &StaffUser,
        entity: &str,
    ) -> CatalogueResult<Vec<ReplyTemplateRow>> {
        let Some(entity) = self.store.entity_by_code(entity).await? else {
            return Ok(vec![]);
        };
        if !user.may(Permission::PublicReply, Some(entity.id)) {
            return Ok(vec![]);
        }
        Ok(self.store.reply_templates(entity.id).await?)
    }

    pub async fn add_reply_template(
        &self,
        user: &StaffUser,
        entity: &str,
        new: NewReplyTemplate,
    ) -> CatalogueResult<i64> {
        let entity = self.managed_entity(user, entity, "entity").await?;
        let key = reply::parse_key(&new.key)?;
        let language = Language::parse(new.language.trim())?;
        let title = reply::parse_title(&new.title)?;
        let body = reply::parse_body(&new.body)?;
        let details = serde_json::json!({ "key": key, "language": language, "title": title });
        let audit = self.template_audit(user, "add_reply_template", &entity.code, details);
        let row = ReplyTemplateInsert {
            entity_id: entity.id,
            key,
            language: language.as_str().into(),
            title,
            body,
            updated_at: self.now_micros(),
        };
        self.store
            .insert_reply_template(row, audit)
            .await
            .map_err(|e| match CatalogueError::from(e) {
                CatalogueError::Duplicate(_) => {
                    Invalid::new("duplicate", "key", "this key already has a template in this language").into()
                }
                other => other,
            })
    }

    /// A template that exists and that `user` may manage, with its entity's code.
    pub(crate) async fn managed_template(&self, user: &StaffUser, id: i64) -> Outcome<(ReplyTemplateRow, String)> {
        let template = self
            .store
            .reply_template(id)
            .await?
            .ok_or(Failure::NotFound("reply template"))?;
        user.require(Permission::ManageCatalogue, Some(template.entity_id))?;
        let entities = self.store.entities().await?;
        let entity = entities
            .into_iter()
            .find(|e| e.id == template.entity_id)
            .map(|e| e.code)
            .unwrap_or_default();
        Ok((template, entity))
    }

    pub async fn edit_reply_template(&self, user: &StaffUser, id: i64, title: &str, body: &str) -> CatalogueResult<()> {
        let (template, entity) = self.managed_template(user, id).await?;
        let title = reply::parse_title(title)?;
        let body = reply::parse_body(body)?;
        let details = serde_json::json!({ "key": template.key, "language": template.language, "title": title });
        let audit = self.template_audit(user, "edit_reply_template", &entity, details);
        let edit = ReplyTemplateEdit {
            id,
            title,
            body,
            updated_at: self.now_micros(),
        };
        if self.store.update_reply_template(edit, audit).await? {
            Ok(())
        } else {
            Err(Failure::NotFound("reply template").into())
        }
    }

    pub async fn delete_reply_template(&self, user: &StaffUser, id: i64) -> CatalogueResult<()> {
        let (template, entity) = self.managed_template(user, id).await?;
        let details = serde_json::json!({ "key": template.key, "language": template.language });
        let audit = self.template_audit(user, "delete_reply_template", &entity, details);
        if self.store.delete_reply_template(id, audit).await? {
            Ok(())
        } else {
            Err(Failure::NotFound("reply template").into())
        }
    }
}
