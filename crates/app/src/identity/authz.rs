//! Who may do what. Decided here, in the application layer, for every staff request: a role
//! grants permissions, and a staff user of an entity acts only on that entity's cases.

use crate::error::{Failure, Outcome};
use tawasul_domain::lifecycle::Action;
use tawasul_domain::vocab::Role;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// `None`: an installation-wide user (the platform administrator).
    pub entity_id: Option<i64>,
    pub entity_code: Option<String>,
    pub department_id: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    ViewCase,
    /// Unmasked reporter name, phone and e-mail.
    ViewReporter,
    PublicReply,
    InternalNote,
    Transition(Action),
    UploadAttachment,
    /// Hand a misrouted case to another department or entity.
    Transfer,
    /// Accept or return a case another entity transferred.
    DecideTransfer,
    /// Merge a duplicate report into the case that stays.
    Merge,
    /// Watch the entity's breaches and escalations and reassign cases in bulk.
    Supervise,
    ManageStaff,
    ManageCatalogue,
    ViewAudit,
    /// Answer residents' live chats from the contact centre's queue.
    AnswerChats,
    /// Read the entity's KPIs.
    ViewKpis,
    /// Set the entity's KPI targets.
    SetKpiTargets,
}

/// What a role may do anywhere it may act at all.
pub fn role_grants(role: Role, permission: Permission) -> bool {
    use Action as A;
    use Permission as P;
    match role {
        Role::Admin => true,
        Role::Supervisor => !matches!(permission, P::ManageStaff | P::ManageCatalogue | P::SetKpiTargets),
        Role::Agent => matches!(
            permission,
            P::ViewCase
                | P::ViewReporter
                | P::PublicReply
                | P::InternalNote
                | P::UploadAttachment
                | P::Transfer
                | P::Merge
                | P::AnswerChats
                | P::Transition(A::Acknowledge | A::Assign | A::WaitOnReporter | A::Resume)
        ),
        Role::Officer => matches!(
            permission,
            P::ViewCase
                | P::ViewReporter
                | P::PublicReply
                | P::InternalNote
                | P::UploadAttachment
                | P::Transfer
                | P::Merge
                | P::Transition(A::Acknowledge | A::Start | A::WaitOnReporter | A::Resume | A::Resolve | A::Close)
        ),
        Role::Inspector => matches!(
            permission,
            P::ViewCase | P::InternalNote | P::UploadAttachment | P::Transition(A::Start)
        ),
        Role::Liaison => matches!(
            permission,
            P::ViewCase | P::PublicReply | P::InternalNote | P::DecideTransfer | P::Transition(A::Acknowledge)
        ),
        Role::Satisfaction => matches!(
            permission,
            P::ViewCase | P::ViewReporter | P::PublicReply | P::InternalNote | P::Transition(A::Reopen) | P::ViewKpis
        ),
        Role::Secretary => matches!(permission, P::ViewCase | P::InternalNote),
    }
}

impl StaffUser {
    /// May this user do `permission` on something belonging to `entity_id`?
    /// (`None` for installation-wide things such as the catalogue of every entity.)
    pub fn may(&self, permission: Permission, entity_id: Option<i64>) -> bool {
        let in_scope = match (self.entity_id, entity_id) {
            (None, _) => true,
            (Some(mine), Some(theirs)) => mine == theirs,
            (Some(_), None) => false,
        };
        in_scope && role_grants(self.role, permission)
    }

    /// May this user answer the contact centre's live chats?
    pub fn may_answer_chats(&self) -> bool {
        role_grants(self.role, Permission::AnswerChats)
    }

    /// May this user open the supervisor's board of their own entity (or of all, installation-wide)?
    /// May this user open the admin console (manage staff or the catalogue of their scope)?
    pub fn may_administer(&self) -> bool {
        self.may(Permission::ManageStaff, self.entity_id) || self.may(Permission::ManageCatalogue, self.entity_id)
    }

    /// May this user read the KPIs of their entity (or of all, installation-wide)?
    pub fn may_view_kpis(&self) -> bool {
        role_grants(self.role, Permission::ViewKpis)
    }

    pub fn may_supervise(&self) -> bool {
        role_grants(self.role, Permission::Supervise)
    }

    pub fn require(&self, permission: Permission, entity_id: Option<i64>) -> Outcome<()> {
        if self.may(permission, entity_id) {
            Ok(())
        } else {
            Err(Failure::Forbidden(format!(
                "a {} of this entity may not do this",
                self.role.as_str()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action as A;
    use Permission as P;

    fn user(role: Role) -> StaffUser {
        StaffUser {
            id: 1,
            username: "u".into(),
            display_name: "u".into(),
            role,
            entity_id: Some(10),
            entity_code: Some("cap".into()),
            department_id: None,
        }
    }

    const OWN: Option<i64> = Some(10);
    const OTHER: Option<i64> = Some(20);

    /// role × permission × own entity → allowed; on another entity's case every answer is no.
    #[test]
    fn the_policy_table() {
        let table: &[(Role, Permission, bool)] = &[
            (Role::Admin, P::ManageStaff, true),
            (Role::Admin, P::Transition(A::Reject), true),
            (Role::Supervisor, P::Transition(A::Reject), true),
            (Role::Supervisor, P::Transition(A::Assign), true),
            (Role::Supervisor, P::ViewAudit, true),
            (Role::Supervisor, P::ManageStaff, false),
            (Role::Agent, P::ViewReporter, true),
            (Role::Agent, P::Transition(A::Acknowledge), true),
            (Role::Agent, P::Transition(A::Assign), true),
            (Role::Agent, P::Transition(A::Resolve), false),
            (Role::Agent, P::Transition(A::Reject), false),
            (Role::Officer, P::Transition(A::Resolve), true),
            (Role::Officer, P::Transition(A::Close), true),
            (Role::Officer, P::Transition(A::Assign), false),
            (Role::Officer, P::ManageCatalogue, false),
            (Role::Inspector, P::UploadAttachment, true),
            (Role::Inspector, P::ViewReporter, false),
            (Role::Inspector, P::PublicReply, false),
            (Role::Liaison, P::Transition(A::Acknowledge), true),
            (Role::Liaison, P::ViewReporter, false),
            (Role::Satisfaction, P::Transition(A::Reopen), true),
            (Role::Satisfaction, P::Transition(A::Close), false),
            (Role::Secretary, P::ViewCase, true),
            (Role::Secretary, P::PublicReply, false),
            (Role::Secretary, P::ViewReporter, false),
            (Role::Agent, P::Transfer, true),
            (Role::Officer, P::Transfer, true),
            (Role::Inspector, P::Transfer, false),
            (Role::Liaison, P::DecideTransfer, true),
            (Role::Supervisor, P::DecideTransfer, true),
            (Role::Officer, P::DecideTransfer, false),
            (Role::Liaison, P::Transfer, false),
            (Role::Supervisor, P::Merge, true),
            (Role::Agent, P::Merge, true),
            (Role::Officer, P::Merge, true),
            (Role::Admin, P::Merge, true),
            (Role::Inspector, P::Merge, false),
            (Role::Liaison, P::Merge, false),
            (Role::Satisfaction, P::Merge, false),
            (Role::Secretary, P::Merge, false),
            (Role::Supervisor, P::Supervise, true),
            (Role::Admin, P::Supervise, true),
            (Role::Agent, P::Supervise, false),
            (Role::Officer, P::Supervise, false),
            (Role::Inspector, P::Supervise, false),
            (Role::Liaison, P::Supervise, false),
            (Role::Satisfaction, P::Supervise, false),
            (Role::Secretary, P::Supervise, false),
            (Role::Admin, P::ViewKpis, true),
            (Role::Supervisor, P::ViewKpis, true),
            (Role::Satisfaction, P::ViewKpis, true),
            (Role::Agent, P::ViewKpis, false),
            (Role::Officer, P::ViewKpis, false),
            (Role::Secretary, P::ViewKpis, false),
            (Role::Admin, P::SetKpiTargets, true),
            (Role::Supervisor, P::SetKpiTargets, false),
            (Role::Satisfaction, P::SetKpiTargets, false),
        ];
        for &(role, permission, own) in table {
            let u = user(role);
            assert_eq!(u.may(permission, OWN), own, "{role:?} {permission:?} on own entity");
            assert!(!u.may(permission, OTHER), "{role:?} {permission:?} on another entity");
            assert!(!u.may(permission, None), "{role:?} {permission:?} installation-wide");
        }
    }

    #[test]
    fn an_installation_wide_admin_acts_everywhere_and_no_one_else_does() {
        let mut root = user(Role::Admin);
        root.entity_id = None;
        assert!(root.may(P::ManageCatalogue, None));
        assert!(root.may(P::Transition(A::Close), OTHER));
        let mut global_officer = user(Role::Officer);
        global_officer.entity_id = None;
        assert!(
            !global_officer.may(P::ManageStaff, None),
            "scope never adds to what a role grants"
        );
    }

    #[test]
    fn every_role_may_view_the_cases_of_its_entity() {
        for role in Role::ALL {
            assert!(user(*role).may(P::ViewCase, OWN), "{role:?}");
        }
    }
}
