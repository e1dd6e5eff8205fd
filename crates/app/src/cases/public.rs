//! The public read of cases, for open APIs (Open311 GeoReport v2): what anyone may see of a
//! case — its service, status, description, place and dates — and never who reported it or
//! who works it. And what the Open311 channel keeps beside the cases it brings: a public
//! look-up token of its own (never the case's secret tracking token) and the media URL.

use crate::cases::CasesResult;
use crate::error::Failure;
use crate::identity::auth::new_secret;
use crate::identity::clients::Client;
use crate::App;
use tawasul_domain::Invalid;
use tawasul_store::{Open311Insert, PublicCaseRow, PublicFilter, PublicStatus};

/// The most requests one public list returns (GeoReport v2's cap).
pub const MAX_PUBLIC_LIST: i64 = 1_000;
/// The most references one list may name.
pub const MAX_REFERENCES: usize = 200;

/// A public list of cases: by references (which override the rest), or over a creation
/// window (microseconds, `from` inclusive, `to` exclusive) by services and status.
#[derive(Debug, Clone, Default)]
pub struct PublicQuery {
    pub references: Vec<String>,
    pub service_codes: Vec<String>,
    pub created_from: i64,
    pub created_to: i64,
    /// `Some(true)` open cases only, `Some(false)` ended ones only.
    pub open: Option<bool>,
    pub limit: i64,
}

fn plausible_reference(r: &str) -> bool {
    (1..=40).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

impl App {
    /// Public cases, newest first. An unknown service code is `NotFound("service")`.
    pub async fn public_cases(&self, query: PublicQuery) -> CasesResult<Vec<PublicCaseRow>> {
        if query.references.len() > MAX_REFERENCES {
            return Err(Invalid::new(
                "too_many",
                "service_request_id",
                format!("at most {MAX_REFERENCES} service_request_id at once"),
            )
            .into());
        }
        let references: Vec<String> = query
            .references
            .into_iter()
            .filter(|r| plausible_reference(r))
            .collect();
        let mut service_ids = Vec::with_capacity(query.service_codes.len());
        for code in &query.service_codes {
            let service = self
                .store
                .managed_service(code)
                .await?
                .ok_or(Failure::NotFound("service"))?;
            service_ids.push(service.service.id);
        }
        if query.created_from > query.created_to {
            return Err(Invalid::new("invalid_window", "start_date", "start_date is after end_date").into());
        }
        let filter = PublicFilter {
            references,
            service_ids,
            created_from: query.created_from,
            created_to: query.created_to,
            status: query
                .open
                .map(|open| if open { PublicStatus::Open } else { PublicStatus::Ended }),
            limit: query.limit.clamp(1, MAX_PUBLIC_LIST),
        };
        Ok(self.store.public_cases(filter).await?)
    }

    /// One public case by its reference.
    pub async fn public_case(&self, reference: &str) -> CasesResult<PublicCaseRow> {
        if !plausible_reference(reference) {
            return Err(Failure::NotFound("case").into());
        }
        let filter = PublicFilter {
            references: vec![reference.to_owned()],
            limit: 1,
            ..PublicFilter::default()
        };
        let row = self.store.public_cases(filter).await?.into_iter().next();
        Ok(row.ok_or(Failure::NotFound("case"))?)
    }

    /// Records that a case came through Open311 from `client`, with the media URL it named;
    /// returns the case's new public look-up token.
    pub async fn record_open311(
        &self,
        reference: &str,
        client: &Client,
        media_url: Option<String>,
    ) -> CasesResult<String> {
        let token = new_secret();
        self.store
            .insert_open311(Open311Insert {
                reference: reference.to_owned(),
                token: token.clone(),
                client_id: client.id,
                media_url,
                created_at: self.now_micros(),
            })
            .await?;
        Ok(token)
    }

    /// The reference an Open311 look-up token stands for.
    pub async fn open311_token(&self, token: &str) -> CasesResult<String> {
        let plausible = (1..=64).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_hexdigit());
        if !plausible {
            return Err(Failure::NotFound("token").into());
        }
        Ok(self
            .store
            .open311_token(token)
            .await?
            .ok_or(Failure::NotFound("token"))?)
    }
}
