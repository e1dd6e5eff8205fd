//! Cases from social media's public posts: a comment on the Facebook Page or a mention on X
//! that names a case's reference joins that case. Posts that name none become cases through
//! [`App::submit`] like every channel's. The messaging channel verifies the provider's
//! signature and calls these; the system writes on the author's behalf.

use crate::cases::work::MAX_COMMENT;
use crate::cases::CasesResult;
use crate::App;
use tawasul_domain::text::CaseText;
use tawasul_domain::vocab::Channel;
use tawasul_store::{CaseChange, EventInsert, StoreError};

/// A public post on a social network that names a case.
#[derive(Debug, Clone)]
pub struct SocialPost {
    /// `facebook` or `x`.
    pub network: String,
    /// The provider's id of the post: a post delivered again is taken once.
    pub post_id: String,
    /// Who wrote it on the network: `fb:` + their id on the Page, `x:` + their user id.
    pub author: String,
    /// The name they show there, if the provider said it.
    pub author_name: Option<String>,
    pub body: String,
}

/// What became of a post offered to a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Posted {
    /// Added to the case's timeline for its staff.
    Commented { reference: String },
    /// This very post was taken before: a repeated delivery.
    Replayed { reference: String },
}

impl App {
    /// Adds a social post naming `reference` to that case's timeline, as an internal entry:
    /// anyone can name a reference in public, so the author is not the case's reporter, and
    /// their words neither reach the reporter's view nor change the case's status. Its staff
    /// read it and answer on the network. The post's id is taken once, with the entry.
    pub async fn comment_from_social(&self, reference: &str, post: SocialPost) -> CasesResult<Posted> {
        let case = self.case_row(reference).await?;
        let inbound = (
            Channel::Social.as_str().to_owned(),
            format!("{}:{}", post.network, post.post_id),
        );
        if self.store.inbound_seen(&inbound.0, &inbound.1).await? {
            return Ok(Posted::Replayed {
                reference: case.reference,
            });
        }
        let body = CaseText::parse(&post.body, "body", MAX_COMMENT)?.into_string();
        let at = self.now_micros();
        let details = serde_json::json!({
            "channel": Channel::Social.as_str(),
            "network": post.network,
            "post": post.post_id,
            "author_name": post.author_name,
        });
        let change = CaseChange {
            case_id: case.id,
            expected_status: case.status,
            at,
            event: EventInsert {
                case_id: case.id,
                at,
                actor_type: "social".into(),
                actor_id: None,
                actor_name: post.author,
                action: "social_comment".into(),
                from_status: None,
                to_status: None,
                public: false,
                body: Some(body),
                details: details.to_string(),
            },
            inbound: Some(inbound),
            ..Default::default()
        };
        match self.store.change_case(change).await {
            Ok(()) => Ok(Posted::Commented {
                reference: case.reference,
            }),
            // The same delivery, twice at once: the other took it.
            Err(StoreError::Duplicate(what)) if what == "inbound message" => Ok(Posted::Replayed {
                reference: case.reference,
            }),
            Err(e) => Err(e.into()),
        }
    }
}
