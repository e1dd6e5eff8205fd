//! The staff console: sign-in (with its second factor), queues with filters, the case page with its actions, the
//! supervisor's board, and downloads of cases.

pub mod actions;
pub mod board;
pub mod case;
pub mod chats;
pub mod dashboard;
pub mod export;
pub mod oversight;
pub mod queue;
pub mod report;
pub mod second_factor;
pub mod sign_in;

use crate::kit::Named;
use std::collections::HashMap;
use tawasul_app::rows::{DepartmentRow, StaffRow};

/// Names, in the page's language, for the department codes and staff usernames that cases
/// carry; a code or username not found is shown as it is.
pub struct Names {
    departments: HashMap<(String, String), String>,
    staff: HashMap<String, String>,
}

impl Names {
    pub fn new(departments: &[DepartmentRow], staff: &[StaffRow], lang: &str) -> Self {
        Self {
            departments: departments
                .iter()
                .map(|d| ((d.entity_code.clone(), d.code.clone()), d.name_in(lang).to_owned()))
                .collect(),
            staff: staff
                .iter()
                .map(|s| (s.username.clone(), s.display_name.clone()))
                .collect(),
        }
    }

    pub fn department<'a>(&'a self, entity: &str, code: &'a str) -> &'a str {
        self.departments
            .get(&(entity.to_owned(), code.to_owned()))
            .map_or(code, String::as_str)
    }

    pub fn staff<'a>(&'a self, username: &'a str) -> &'a str {
        self.staff.get(username).map_or(username, String::as_str)
    }
}
