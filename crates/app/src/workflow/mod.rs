//! Workflow: the configuration cases are judged by (routing, calendars, SLA targets, the
//! escalation ladder, OLAs) and its administration, the SLA sweep and escalation, transfers.

pub mod admin;
pub mod config;
pub mod escalation;
pub mod transfers;
