//! Operational level agreements between entities. An OLA's terms replace the receiver's own
//! deadlines for the cases it is sent, so the sending entity only proposes them: they bind
//! once the receiver's administrator accepts (issue 13, finding 7), and until then the terms
//! agreed before, if any, stay in force. The platform administrator, who answers for both
//! sides, sets agreed terms directly.

use super::admin::minutes;
use crate::error::Failure;
use crate::identity::authz::StaffUser;
use crate::workflow::WorkflowResult;
use crate::App;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use tawasul_domain::{from_micros, Invalid};
use tawasul_store::{EntityRow, OlaKey, OlaProposalRow, OlaRow};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OlaRequest {
    pub from_entity: String,
    pub to_entity: String,
    #[serde(default)]
    pub service: Option<String>,
    /// Business minutes of the receiver to accept or return the case.
    pub accept_minutes: i64,
    /// Business minutes of the receiver to resolve it.
    pub resolve_minutes: i64,
}

/// Which OLA a decision is about: the sending and receiving entities, and the service (none:
/// the OLA for any service).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OlaPair {
    pub from_entity: String,
    pub to_entity: String,
    #[serde(default)]
    pub service: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OlaState {
    /// Set by the sending entity; not binding until the receiver accepts it.
    Proposed,
    /// In force: transfers between the two are judged by it.
    Agreed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct OlaView {
    pub from_entity: String,
    pub to_entity: String,
    pub service: Option<String>,
    pub accept_minutes: i64,
    pub resolve_minutes: i64,
    pub state: OlaState,
    /// Who proposed it and when (proposals only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposed_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposed_at: Option<String>,
}

impl OlaView {
    /// Terms in force between `from` and `to` (entity codes).
    fn agreed(from: String, to: String, service: Option<String>, accept_minutes: i64, resolve_minutes: i64) -> Self {
        OlaView {
            from_entity: from,
            to_entity: to,
            service,
            accept_minutes,
            resolve_minutes,
            state: OlaState::Agreed,
            proposed_by: None,
            proposed_at: None,
        }
    }

    /// The same terms, proposed by `by` at `at` and not binding yet.
    fn proposed(self, by: String, at: i64) -> Self {
        OlaView {
            state: OlaState::Proposed,
            proposed_by: Some(by),
            proposed_at: Some(from_micros(at).to_rfc3339()),
            ..self
        }
    }
}

/// The platform administrator: an administrator of the whole installation, not of one entity.
fn is_platform(user: &StaffUser) -> bool {
    user.entity_id.is_none()
}

impl App {
    /// Sets the terms from one entity to another: agreed at once when the platform
    /// administrator sets them, otherwise proposed to the receiver.
    pub async fn set_ola(&self, user: &StaffUser, request: OlaRequest) -> WorkflowResult<OlaView> {
        let from = self.managed_entity(user, &request.from_entity, "from_entity").await?;
        let to = self.other_entity(&from, &request.to_entity).await?;
        let service_id = self.service_id(request.service.as_deref(), None).await?;
        let accept_minutes = minutes(request.accept_minutes, "accept_minutes")?;
        let resolve_minutes = minutes(request.resolve_minutes, "resolve_minutes")?;
        let mut view = OlaView::agreed(
            from.code.clone(),
            to.code.clone(),
            request.service,
            accept_minutes,
            resolve_minutes,
        );
        if is_platform(user) {
            self.store
                .upsert_ola(OlaRow {
                    from_entity_id: from.id,
                    to_entity_id: to.id,
                    service_id,
                    accept_minutes,
                    resolve_minutes,
                })
                .await?;
        } else {
            let now = self.now_micros();
            self.store
                .upsert_ola_proposal(OlaProposalRow {
                    from_entity_id: from.id,
                    to_entity_id: to.id,
                    service_id,
                    accept_minutes,
                    resolve_minutes,
                    proposed_by: user.username.clone(),
                    proposed_at: now,
                })
                .await?;
            view = view.proposed(user.username.clone(), now);
        }
        let action = match view.state {
            OlaState::Agreed => "set_ola",
            OlaState::Proposed => "propose_ola",
        };
        self.audited(
            Some(user),
            action,
            format!("entity:{}", from.code),
            serde_json::to_value(&view).map_err(anyhow::Error::from)?,
        )
        .await?;
        Ok(view)
    }

    /// The receiver's administrator (or the platform administrator) accepts a proposal: its
    /// terms replace those agreed before, for transfers made from now on.
    pub async fn accept_ola(&self, user: &StaffUser, pair: OlaPair) -> WorkflowResult<OlaView> {
        let (key, from, to) = self.ola_key(user, &pair, Side::Receiver).await?;
        let agreed = self
            .store
            .accept_ola_proposal(key)
            .await?
            .ok_or(Failure::NotFound("OLA proposal"))?;
        let view = OlaView::agreed(
            from.code,
            to.code.clone(),
            pair.service,
            agreed.accept_minutes,
            agreed.resolve_minutes,
        );
        self.audited(
            Some(user),
            "accept_ola",
            format!("entity:{}", to.code),
            serde_json::to_value(&view).map_err(anyhow::Error::from)?,
        )
        .await?;
        Ok(view)
    }

    /// The receiver declines a proposal, or the sender withdraws it; the terms agreed before
    /// stay.
    pub async fn decline_ola(&self, user: &StaffUser, pair: OlaPair) -> WorkflowResult<()> {
        let (key, from, to) = self.ola_key(user, &pair, Side::Either).await?;
        if !self.store.delete_ola_proposal(key).await? {
            return Err(Failure::NotFound("OLA proposal").into());
        }
        let details = serde_json::json!({ "from": from.code, "to": to.code, "service": pair.service });
        self.audited(Some(user), "decline_ola", format!("entity:{}", to.code), details)
            .await?;
        Ok(())
    }

    /// The OLAs an entity sends and receives under, agreed and proposed, for its administrators.
    pub async fn olas_of(&self, user: &StaffUser, entity: &str) -> WorkflowResult<Vec<OlaView>> {
        let entity = self.managed_entity(user, entity, "entity").await?;
        let (entities, services, agreed, proposed) = tokio::try_join!(
            self.store.entities(),
            self.store.services(),
            self.store.olas(),
            self.store.ola_proposals()
        )?;
        let entity_code: HashMap<i64, String> = entities.into_iter().map(|e| (e.id, e.code)).collect();
        let service_code: HashMap<i64, String> = services.into_iter().map(|s| (s.id, s.code)).collect();
        let code = |id: i64| entity_code.get(&id).cloned().unwrap_or_default();
        let service = |id: Option<i64>| id.and_then(|id| service_code.get(&id).cloned());
        let concerns = |from: i64, to: i64| from == entity.id || to == entity.id;
        let agreed = agreed
            .into_iter()
            .filter(|o| concerns(o.from_entity_id, o.to_entity_id))
            .map(|o| {
                let (from, to) = (code(o.from_entity_id), code(o.to_entity_id));
                OlaView::agreed(from, to, service(o.service_id), o.accept_minutes, o.resolve_minutes)
            });
        let proposed = proposed
            .into_iter()
            .filter(|p| concerns(p.from_entity_id, p.to_entity_id))
            .map(|p| {
                let (from, to) = (code(p.from_entity_id), code(p.to_entity_id));
                OlaView::agreed(from, to, service(p.service_id), p.accept_minutes, p.resolve_minutes)
                    .proposed(p.proposed_by, p.proposed_at)
            });
        Ok(agreed.chain(proposed).collect())
    }

    async fn other_entity(&self, from: &EntityRow, code: &str) -> WorkflowResult<EntityRow> {
        Ok(self
            .store
            .entity_by_code(code)
            .await?
            .filter(|e| e.id != from.id)
            .ok_or_else(|| Invalid::new("unknown_entity", "to_entity", "name another existing entity"))?)
    }

    /// The OLA `pair` names, checked against who may decide on it: the receiver's
    /// administrators accept; either side's may decline (the sender withdraws).
    async fn ola_key(
        &self,
        user: &StaffUser,
        pair: &OlaPair,
        side: Side,
    ) -> WorkflowResult<(OlaKey, EntityRow, EntityRow)> {
        let unknown = |field: &str, code: &str| Invalid::new("unknown_entity", field, format!("no entity {code:?}"));
        let from = self
            .store
            .entity_by_code(&pair.from_entity)
            .await?
            .ok_or_else(|| unknown("from_entity", &pair.from_entity))?;
        let to = self.other_entity(&from, &pair.to_entity).await?;
        let receiver = self.managed_entity(user, &to.code, "to_entity").await;
        match (side, receiver) {
            (_, Ok(_)) => {}
            (Side::Either, Err(_)) => {
                self.managed_entity(user, &from.code, "from_entity").await?;
            }
            (Side::Receiver, Err(e)) => return Err(e.into()),
        }
        let service_id = self.service_id(pair.service.as_deref(), None).await?;
        let key = OlaKey {
            from_entity_id: from.id,
            to_entity_id: to.id,
            service_id,
        };
        Ok((key, from, to))
    }
}

#[derive(Debug, Clone, Copy)]
enum Side {
    Receiver,
    Either,
}
