//! Identity: who the caller is (staff sign-in, residents' one-time codes, bearer secrets)
//! and what they may do (the authorization table).

pub mod auth;
pub mod authz;
