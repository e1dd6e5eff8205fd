//! Organisation: entities, their departments, and staff users with their roles.

pub mod admin;
