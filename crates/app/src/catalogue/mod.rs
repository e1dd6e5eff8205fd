//! Catalogue: services with their forms, and reply templates.

pub mod reply_templates;
pub mod services;
