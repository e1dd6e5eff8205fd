//! Public posts on social media (a comment on the Facebook Page, a mention on X). A post is
//! no conversation, so it skips the dialogue: one that names a case's reference joins that
//! case (`App::comment_from_social`); any other becomes a case of the configured service and
//! kind through the one intake, whose retry key is the post's id, so a redelivery makes it
//! once; the id is then kept as long as providers redeliver (Meta: up to 36 hours). Either
//! way the adapter answers under the post in public with the case's reference only (never the
//! author's name nor what the case is about, [`public_reply`]); a case made of a post tells
//! its author the rest privately, through the outbox, at the post's private address.

use crate::{Hooks, Refused};
use tawasul_app::cases::intake::Intake;
use tawasul_app::cases::social::{Posted, SocialPost};
use tawasul_app::{CasesError, Failure};
use tawasul_domain::intake::IntakeDraft;
use tawasul_domain::text::{language_of, reference_in};
use tawasul_domain::vocab::Channel;

/// A post as an adapter read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Post {
    /// `facebook` or `x`.
    pub network: &'static str,
    pub id: String,
    /// `fb:…` or `x:…`, as the dialogue addresses the same person.
    pub author: String,
    /// Where the author hears back privately about a case the post makes: `fb-comment:…` (a
    /// private reply to the comment) or `x:…` (a direct message).
    pub private_address: String,
    pub author_name: Option<String>,
    pub text: String,
}

/// What became of a post, for the adapter to tell its author.
pub(crate) enum Taken {
    /// A new case: its reference and the language of the post.
    Case { reference: String, language: &'static str },
    /// Joined the case it names: its reference and the language of the post.
    Joined { reference: String, language: &'static str },
    /// Was taken before, or could be nothing: nothing to tell.
    Quiet,
}

/// The words to answer under a post in public, in the post's language: the reference only.
pub(crate) fn public_reply(hooks: &Hooks, taken: &Taken) -> Option<String> {
    let (id, reference, language) = match taken {
        Taken::Case { reference, language } => ("post-case", reference, language),
        Taken::Joined { reference, language } => ("post-joined", reference, language),
        Taken::Quiet => return None,
    };
    Some(hooks.dialogue.prompts().text(language, id, &[("reference", reference)]))
}

pub(crate) async fn take(hooks: &Hooks, post: Post) -> Result<Taken, Refused> {
    let text = post.text.trim();
    if text.is_empty() {
        // A sticker or a photo alone: nothing to act on.
        return Ok(Taken::Quiet);
    }
    hooks.app.admit_message(Channel::Social, &post.author)?;
    if let Some(reference) = reference_in(text) {
        let social = SocialPost {
            network: post.network.to_owned(),
            post_id: post.id.clone(),
            author: post.author.clone(),
            author_name: post.author_name.clone(),
            body: text.to_owned(),
        };
        match hooks.app.comment_from_social(&reference, social).await {
            Ok(Posted::Commented { reference }) => {
                tracing::info!(
                    network = post.network,
                    post = post.id,
                    reference,
                    "a social post joined its case"
                );
                return Ok(Taken::Joined {
                    reference,
                    language: language_of(text),
                });
            }
            Ok(Posted::Replayed { .. }) => return Ok(Taken::Quiet),
            // A reference of no case: the post is read as a new one.
            Err(CasesError::Common(Failure::NotFound(_))) => {}
            Err(CasesError::Common(Failure::Invalid(invalid))) => {
                tracing::warn!(
                    network = post.network,
                    post = post.id,
                    reason = invalid.message,
                    "a social post was not added to its case"
                );
                return Ok(Taken::Quiet);
            }
            Err(e) => return Err(e.into()),
        }
    }
    let settings = &hooks.app.settings.hooks.social_posts;
    let Some(service) = settings.service.clone() else {
        tracing::info!(
            network = post.network,
            post = post.id,
            "a social post names no case, and posts make none (no service is set)"
        );
        return Ok(Taken::Quiet);
    };
    // The intake's retry key holds for a day; the post's id is kept as long as providers retry.
    let taken_id = format!("{}:{}", post.network, post.id);
    if hooks.app.message_answered(Channel::Social, &taken_id).await? {
        return Ok(Taken::Quiet);
    }
    let language = language_of(text);
    let intake = Intake {
        draft: IntakeDraft {
            service,
            kind: settings.kind.as_str().to_owned(),
            description: text.to_owned(),
            answers: None,
            location: None,
            address: None,
            reporter: None,
            language: Some(language.to_owned()),
            channel: Some(Channel::Social),
        },
        files: vec![],
        idempotency_key: Some(format!("{}-post-{}", post.network, post.id)),
    };
    let made = hooks.app.submit_post(intake, &post.private_address).await;
    if made.is_ok() {
        hooks.app.take_message(Channel::Social, &taken_id).await?;
    }
    match made {
        Ok(receipt) if receipt.replayed => Ok(Taken::Quiet),
        Ok(receipt) => {
            tracing::info!(
                network = post.network,
                post = post.id,
                reference = receipt.reference,
                "a social post made a case"
            );
            Ok(Taken::Case {
                reference: receipt.reference,
                language,
            })
        }
        // The same id with other words: the first delivery's case stands.
        Err(CasesError::IdempotencyKeyReused) => Ok(Taken::Quiet),
        Err(CasesError::Common(Failure::Invalid(invalid))) => {
            tracing::warn!(
                network = post.network,
                post = post.id,
                reason = invalid.message,
                "a social post could not be a case"
            );
            Ok(Taken::Quiet)
        }
        Err(e) => Err(e.into()),
    }
}

/// A post's words without the mentions it opens with (`@account @other the lamp is out`).
pub(crate) fn without_leading_mentions(text: &str) -> &str {
    let mut rest = text.trim_start();
    while let Some(after) = rest.strip_prefix('@') {
        rest = after
            .trim_start_matches(|c: char| c.is_alphanumeric() || c == '_')
            .trim_start();
    }
    rest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_mentions_are_dropped_and_the_rest_kept() {
        assert_eq!(
            without_leading_mentions("@TawasulGov @mun_cap الإنارة مطفأة"),
            "الإنارة مطفأة"
        );
        assert_eq!(
            without_leading_mentions("The lamp @TawasulGov is out"),
            "The lamp @TawasulGov is out"
        );
        assert_eq!(without_leading_mentions("@TawasulGov"), "");
    }
}
