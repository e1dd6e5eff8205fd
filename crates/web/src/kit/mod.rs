//! What the pages share: form widgets, names in the page's language, the signed-in staff
//! user, what every admin page starts from, forms whose CSRF token is checked before any
//! handler sees them, a closure's photos before and after, and downloads of exports.

mod admin;
pub mod charts;
pub mod chat;
pub mod closure;
mod csrf;
pub mod download;
mod names;
mod session;
mod widgets;

pub use admin::{Admin, EntityAdmin, EntityAdminForm, ManageCatalogue, ManageStaff, SavedQuery};
pub use csrf::{CheckedForm, CheckedMultipart, NoFields};
pub use names::{ByLanguage, Named};
pub use session::{sign_out, signed_in, SignedIn, SESSION_COOKIE};
pub use widgets::{options, Checkbox, Input, Select, SelectOption};
