//! The phone line: a telephony platform's webhooks driving the guided dialogue
//! (`tawasul-channels-dialogue`), answered in the two formats platforms speak. `POST
//! /hooks/ivr/twiml` takes Twilio-style form posts and answers TwiML; `POST /hooks/ivr/vxml`
//! answers W3C VoiceXML 2.1 documents whose submits come back to it. Both are signed with
//! `X-Twilio-Signature` (`signature.rs`): a request without a good one is refused (401) and
//! nothing is written. Without `TAWASUL_IVR_AUTH_TOKEN` the hooks are not mounted (404).
//! The calls the line places (call-backs) and the rating after a `<Dial>` to the agents are
//! `callback.rs`, signed alike.
//!
//! The conversation's address is the caller's number (`From`), so that the case carries the
//! reporter's phone and a dropped call picks up where it was when the caller rings again
//! (until housekeeping ends the idle conversation); a withheld number (`anonymous`, or the
//! numbers that spell ANONYMOUS, BLOCKED… on a keypad) falls back to the call (`CallSid`),
//! and that case has no phone. Each webhook of a call is one message, `CallSid/step`, the
//! step counted in the URLs each reply gives: a redelivered webhook is answered once, and
//! the redelivery is told to ask the current question again.

mod callback;
mod recording;
pub mod signature;
mod twiml;
mod vxml;
mod xml;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use std::sync::Arc;
use tawasul_app::cases::intake::Upload;
use tawasul_app::identity::limits::Client;
use tawasul_app::{App, CasesError, ConversationsError, Failure, IvrSettings};
use tawasul_channels_dialogue::{
    After, Answer, Dialogue, DialogueError, Expect, FetchMedia, Incoming, Input, Medium, Reply,
};
use tawasul_domain::attachment::MAX_ATTACHMENT_BYTES;
use tawasul_domain::intake::PhoneNumber;
use tawasul_domain::vocab::Channel;

pub const TWIML_PATH: &str = "/hooks/ivr/twiml";
pub const VXML_PATH: &str = "/hooks/ivr/vxml";
/// A platform's form post is a few hundred bytes of call details.
const FORM_LIMIT: usize = 16 * 1024;
/// A VoiceXML submit may carry the caller's recording.
const VXML_LIMIT: usize = MAX_ATTACHMENT_BYTES + 64 * 1024;
/// The longest call id and recording URL taken.
const MAX_CALL_SID: usize = 64;
const MAX_URL: usize = 2048;
/// Numbers platforms give for a withheld caller id: ANONYMOUS, UNAVAILABLE, UNKNOWN, BLOCKED
/// and RESTRICTED spelled on a keypad.
const WITHHELD: [&str; 5] = ["+266696687", "+86282452253", "+8656696", "+2562533", "+7378742833"];

/// The most a request to `route` may send, for the HTTP edge's check of Content-Length.
pub fn body_limit(route: &str) -> Option<usize> {
    match route {
        TWIML_PATH | callback::CALLBACK_PATH | callback::STATUS_PATH | callback::DIALLED_PATH => Some(FORM_LIMIT),
        VXML_PATH => Some(VXML_LIMIT),
        _ => None,
    }
}

#[derive(Clone)]
pub(crate) struct Hook {
    app: App,
    dialogue: Dialogue,
    settings: Arc<IvrSettings>,
}

/// The phone line's routes, to be merged into the server's router; none when it is off.
pub fn router<S: Clone + Send + Sync + 'static>(app: App) -> Router<S> {
    let Some(settings) = app.settings.hooks.ivr.clone() else {
        return Router::new();
    };
    let hook = Hook {
        dialogue: Dialogue::new(app.clone()),
        app,
        settings: Arc::new(settings),
    };
    Router::new()
        .route(TWIML_PATH, post(twiml).layer(DefaultBodyLimit::max(FORM_LIMIT)))
        .route(VXML_PATH, post(vxml).layer(DefaultBodyLimit::max(VXML_LIMIT)))
        .merge(callback::routes())
        .with_state(hook)
}

/// Which of a turn's ways out the provider took: the query's `on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum On {
    /// The call's first webhook, which the platform's number points at.
    Start,
    /// Keys or speech came.
    Gather,
    /// A recording came.
    Record,
    /// Nothing came before the time-out.
    Silence,
    /// Something came that fits no grammar (VoiceXML).
    NoMatch,
    /// After a redelivered webhook: the current question again.
    Repeat,
}

impl On {
    fn as_str(self) -> &'static str {
        match self {
            On::Start => "start",
            On::Gather => "gather",
            On::Record => "record",
            On::Silence => "silence",
            On::NoMatch => "nomatch",
            On::Repeat => "repeat",
        }
    }

    fn parse(s: &str) -> Option<On> {
        [On::Start, On::Gather, On::Record, On::Silence, On::NoMatch, On::Repeat]
            .into_iter()
            .find(|on| on.as_str() == s)
    }
}

/// Who is calling.
#[derive(Debug)]
pub(crate) struct Call {
    pub sid: String,
    pub from: Option<String>,
}

impl Call {
    /// The conversation's address: the caller's number, or the call when it is withheld.
    fn address(&self) -> String {
        let number = self.from.as_deref().map(str::trim).and_then(|raw| {
            let international = if raw.starts_with('+') {
                raw.to_owned()
            } else {
                format!("+{raw}")
            };
            PhoneNumber::parse(&international).ok().map(|p| p.as_str().to_owned())
        });
        match number {
            Some(n) if !WITHHELD.contains(&n.as_str()) => n,
            _ => format!("call:{}", self.sid),
        }
    }
}

/// What a renderer needs beside the reply.
pub(crate) struct Turn<'a> {
    pub reply: &'a Reply,
    /// The hook, under the public address when there is one.
    pub hook: String,
    /// The step the provider's next request carries.
    pub step: u32,
    pub agent: &'a str,
    pub call: &'a Call,
    /// Where the platform goes when a `<Dial>` to the agents ends: the caller rates them.
    pub dialled: String,
    /// The rating after a VoiceXML `<transfer>`: its questions and where it is posted.
    pub rating: Rating,
}

/// What a VoiceXML document asks after the agent, in the caller's language.
pub(crate) struct Rating {
    pub agent_prompt: String,
    pub answer_prompt: String,
    pub link: String,
}

impl Turn<'_> {
    pub fn link(&self, on: On) -> String {
        format!("{}?on={}&step={}", self.hook, on.as_str(), self.step)
    }
}

/// Why a webhook was not answered with a turn.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// Not a form post (415).
    NotAForm,
    /// The post cannot be read or lacks what a call sends (400).
    Malformed(String),
    /// No signature, or not the provider's (401).
    Unsigned(&'static str),
    /// The body is larger than the hook takes (413).
    TooLarge,
    /// The conversation sends more than a caller could (429).
    Flood(u64),
    /// The dialogue could not answer; the provider may try again (500).
    Failed(String),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let text =
            |status: StatusCode, body: String| (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body);
        match self {
            Refusal::NotAForm => text(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "post the call as application/x-www-form-urlencoded (or multipart/form-data to /hooks/ivr/vxml)".into(),
            )
            .into_response(),
            Refusal::Malformed(why) => text(StatusCode::BAD_REQUEST, why).into_response(),
            Refusal::Unsigned(why) => text(StatusCode::UNAUTHORIZED, why.into()).into_response(),
            Refusal::TooLarge => text(StatusCode::PAYLOAD_TOO_LARGE, "the request is too large".into()).into_response(),
            Refusal::Flood(retry) => {
                let mut response =
                    text(StatusCode::TOO_MANY_REQUESTS, "too many messages in this call".into()).into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from(retry));
                response
            }
            Refusal::Failed(why) => {
                tracing::error!(error = %why, "the phone line could not answer a call's webhook");
                text(StatusCode::INTERNAL_SERVER_ERROR, "the turn could not be taken".into()).into_response()
            }
        }
    }
}

impl From<DialogueError> for Refusal {
    fn from(e: DialogueError) -> Self {
        let throttled = match &e {
            DialogueError::Conversation(ConversationsError::Common(Failure::TooManyRequests(t)))
            | DialogueError::Cases(CasesError::Common(Failure::TooManyRequests(t)))
            | DialogueError::Failure(Failure::TooManyRequests(t)) => Some(t.retry_after_secs),
            _ => None,
        };
        match throttled {
            Some(retry) => Refusal::Flood(retry),
            None => Refusal::Failed(e.to_string()),
        }
    }
}

/// The formats the hooks answer in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Twiml,
    Vxml,
}

impl Format {
    fn path(self) -> &'static str {
        match self {
            Format::Twiml => TWIML_PATH,
            Format::Vxml => VXML_PATH,
        }
    }
}

async fn twiml(State(hook): State<Hook>, request: Request) -> Response {
    answer(hook, Format::Twiml, request).await
}

async fn vxml(State(hook): State<Hook>, request: Request) -> Response {
    answer(hook, Format::Vxml, request).await
}

async fn answer(hook: Hook, format: Format, request: Request) -> Response {
    match take(&hook, format, request).await {
        Ok(document) => {
            let media_type = match format {
                Format::Twiml => "application/xml; charset=utf-8",
                Format::Vxml => "application/voicexml+xml; charset=utf-8",
            };
            ([(header::CONTENT_TYPE, media_type)], document).into_response()
        }
        Err(refusal) => refusal.into_response(),
    }
}

/// What was posted: the parameters (signed) and, from a VoiceXML `<record>`, the audio.
pub(crate) struct Posted {
    params: Vec<(String, String)>,
    recording: Option<Upload>,
}

/// A webhook whose signature is the provider's: what it posted and its URL's query.
pub(crate) struct Signed {
    posted: Posted,
    query: Vec<(String, String)>,
}

impl Signed {
    /// A posted parameter, trimmed; none when it is missing or blank.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.posted
            .params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// A parameter of the URL's query (ours: the links we gave the provider).
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The call's id, checked.
    pub fn call_sid(&self) -> Result<&str, Refusal> {
        let sid = self
            .param("CallSid")
            .ok_or_else(|| Refusal::Malformed("CallSid is missing".into()))?;
        if sid.len() > MAX_CALL_SID || !sid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(Refusal::Malformed("CallSid is not a call id".into()));
        }
        Ok(sid)
    }
}

/// Reads a webhook and checks its `X-Twilio-Signature`: 401, and nothing read further, when
/// it is missing or not the provider's.
pub(crate) async fn signed(hook: &Hook, format: Format, request: Request) -> Result<Signed, Refusal> {
    let url = signed_url(hook, &request);
    let headers = request.headers().clone();
    let query = request.uri().query().unwrap_or("").to_owned();
    let posted = read(format, request).await?;
    let signature = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| refuse_unsigned(&url, "no X-Twilio-Signature"))?;
    if !signature::verify(&hook.settings.auth_token, &url, &posted.params, signature) {
        return Err(refuse_unsigned(&url, "the X-Twilio-Signature is not the provider's"));
    }
    Ok(Signed {
        posted,
        query: form_urlencoded::parse(query.as_bytes()).into_owned().collect(),
    })
}

/// What a call's webhook asks of the dialogue.
#[derive(Debug)]
pub struct Heard {
    pub(crate) call: Call,
    /// The step the request carries (`step` of the link it follows).
    pub step: u32,
    /// `None` for a VoiceXML recording, which the hook keeps among the blobs first.
    pub input: Option<Input>,
}

impl Heard {
    /// The conversation's address: the caller's number, or the call when it is withheld.
    pub fn address(&self) -> String {
        self.call.address()
    }

    /// The message's id: one per webhook of the call.
    pub fn message_id(&self) -> String {
        format!("{}/{}", self.call.sid, self.step)
    }
}

/// A call's webhook as the hooks read it once its signature holds: the form (`form`, as
/// posted) and the query of its URL (`query`, ours). Public for the fuzz targets (`fuzz/`).
pub fn read_call(vxml: bool, form: &[u8], query: &str) -> Result<Heard, String> {
    let signed = Signed {
        posted: Posted {
            params: form_params(form).map_err(|r| format!("{r:?}"))?,
            recording: None,
        },
        query: form_urlencoded::parse(query.as_bytes()).into_owned().collect(),
    };
    let format = if vxml { Format::Vxml } else { Format::Twiml };
    heard(format, &signed).map_err(|r| format!("{r:?}"))
}

/// A VoiceXML or TwiML hook's whole post as the hooks read it once its signature holds: the
/// body of this `Content-Type` (a form, or for VoiceXML a multipart form whose `Recording`
/// part is the caller's audio) and the query of its URL, with the recording it carried.
/// Public for the fuzz targets (`fuzz/`).
pub async fn read_post(
    vxml: bool,
    content_type: &str,
    body: Vec<u8>,
    query: &str,
) -> Result<(Heard, Option<Upload>), String> {
    let format = if vxml { Format::Vxml } else { Format::Twiml };
    let request = Request::builder()
        .method("POST")
        .header(header::CONTENT_TYPE, content_type)
        .body(axum::body::Body::from(body))
        .map_err(|e| e.to_string())?;
    let mut signed = Signed {
        posted: read(format, request).await.map_err(|r| format!("{r:?}"))?,
        query: form_urlencoded::parse(query.as_bytes()).into_owned().collect(),
    };
    let heard = heard(format, &signed).map_err(|r| format!("{r:?}"))?;
    Ok((heard, signed.posted.recording.take()))
}

/// Which way out the call took, its step, who calls and what they said.
fn heard(format: Format, signed: &Signed) -> Result<Heard, Refusal> {
    let on = match signed.query("on") {
        None => On::Start,
        Some(raw) => On::parse(raw).ok_or_else(|| Refusal::Malformed(format!("unknown on={raw}")))?,
    };
    let step: u32 = match signed.query("step") {
        None => 0,
        Some(raw) => raw
            .parse()
            .map_err(|_| Refusal::Malformed(format!("step={raw} is not a step")))?,
    };
    let call = Call {
        sid: signed.call_sid()?.to_owned(),
        from: signed.param("From").map(|f| f.chars().take(128).collect()),
    };
    let input = match on {
        On::Start | On::Repeat => Some(Input::Start),
        On::Silence => Some(Input::Silence),
        On::NoMatch => Some(Input::Text(NO_MATCH.into())),
        On::Gather => Some(match signed.param("Digits").or_else(|| signed.param("SpeechResult")) {
            Some(said) => Input::Text(said.chars().take(1000).collect()),
            None => Input::Silence,
        }),
        On::Record => match (format, &signed.posted.recording) {
            (Format::Vxml, Some(_)) => None,
            (Format::Vxml, None) => Some(Input::Silence),
            (Format::Twiml, _) => Some(match signed.param("RecordingUrl") {
                Some(url) if url.len() <= MAX_URL => Input::Recording { url: url.to_owned() },
                Some(_) => return Err(Refusal::Malformed("RecordingUrl is too long".into())),
                None => Input::Silence,
            }),
        },
    };
    Ok(Heard { call, step, input })
}

async fn take(hook: &Hook, format: Format, request: Request) -> Result<String, Refusal> {
    let signed = signed(hook, format, request).await?;
    let heard = heard(format, &signed)?;
    let input = match (heard.input.clone(), &signed.posted.recording) {
        (Some(input), _) => input,
        (None, Some(audio)) => Input::Recording {
            url: keep_recording(hook, audio).await?,
        },
        (None, None) => Input::Silence,
    };
    let incoming = Incoming {
        channel: Channel::Phone,
        address: heard.address(),
        medium: Medium::Voice,
        input,
        message_id: Some(heard.message_id()),
        fetch: Some(fetcher(hook, format)),
    };
    let (call, step) = (&heard.call, heard.step);
    let hook_link = hook.app.settings.public_link(format.path());
    let answered = hook.dialogue.respond(incoming).await?;
    let blank;
    let reply = match &answered {
        Answer::Reply(reply) => reply,
        Answer::Replayed => {
            blank = Reply {
                language: tawasul_channels_dialogue::prompts::FIRST_LANGUAGE.to_owned(),
                lines: vec![],
                choices: vec![],
                expect: Expect::Nothing,
                after: After::Continue,
            };
            &blank
        }
    };
    let turn = Turn {
        reply,
        hook: hook_link,
        step: step.saturating_add(1),
        agent: &hook.settings.agent,
        call,
        dialled: callback::dialled_link(hook, &reply.language, None),
        rating: callback::rating(hook, &reply.language),
    };
    Ok(match (&answered, format) {
        (Answer::Replayed, Format::Twiml) => twiml::again(&turn),
        (Answer::Replayed, Format::Vxml) => vxml::again(&turn),
        (Answer::Reply(_), Format::Twiml) => twiml::render(&turn),
        (Answer::Reply(_), Format::Vxml) => vxml::render(&turn),
    })
}

/// What a `<nomatch>` is taken as: an answer no question of the dialogue accepts as a choice.
const NO_MATCH: &str = "?";

fn refuse_unsigned(url: &str, why: &'static str) -> Refusal {
    tracing::warn!(url, why, "a phone line webhook was refused");
    Refusal::Unsigned(why)
}

/// The URL the provider signed: the public one when it is configured, else the one this
/// request reached (its Host, over TLS when the client resolver says so).
fn signed_url(hook: &Hook, request: &Request) -> String {
    let path_and_query = request
        .uri()
        .path_and_query()
        .map_or_else(|| request.uri().path().to_owned(), |p| p.as_str().to_owned());
    if hook.app.settings.public_url.is_some() {
        return hook.app.settings.public_link(&path_and_query);
    }
    let tls = request.extensions().get::<Client>().is_some_and(|c| c.tls);
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    format!("{}://{host}{path_and_query}", if tls { "https" } else { "http" })
}

fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Reads the post: a form, or for VoiceXML a multipart form whose `Recording` is the audio.
async fn read(format: Format, request: Request) -> Result<Posted, Refusal> {
    let kind = media_type(request.headers());
    match kind.as_str() {
        "application/x-www-form-urlencoded" => {
            let body = Bytes::from_request(request, &()).await.map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    Refusal::TooLarge
                } else {
                    Refusal::Malformed(e.body_text())
                }
            })?;
            Ok(Posted {
                params: form_params(&body)?,
                recording: None,
            })
        }
        "multipart/form-data" if format == Format::Vxml => {
            let mut multipart = Multipart::from_request(request, &())
                .await
                .map_err(|e| Refusal::Malformed(e.body_text()))?;
            let mut posted = Posted {
                params: vec![],
                recording: None,
            };
            let broken = |e: axum::extract::multipart::MultipartError| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    Refusal::TooLarge
                } else {
                    Refusal::Malformed(format!("the multipart form cannot be read: {}", e.body_text()))
                }
            };
            while let Some(field) = multipart.next_field().await.map_err(broken)? {
                let name = field.name().unwrap_or("").to_owned();
                if field.file_name().is_some() || name == "Recording" {
                    if posted.recording.is_some() {
                        return Err(Refusal::Malformed("one recording at a time".into()));
                    }
                    let content_type = field.content_type().map(str::to_owned);
                    let bytes = field.bytes().await.map_err(broken)?;
                    if bytes.len() > MAX_ATTACHMENT_BYTES {
                        return Err(Refusal::TooLarge);
                    }
                    posted.recording = Some(Upload {
                        bytes: bytes.to_vec(),
                        content_type,
                        filename: None,
                    });
                } else {
                    let value = field.text().await.map_err(broken)?;
                    posted.params.push((name, value));
                }
            }
            Ok(posted)
        }
        _ => Err(Refusal::NotAForm),
    }
}

/// A form's parameters, in order; a form that is not UTF-8 is refused.
fn form_params(body: &[u8]) -> Result<Vec<(String, String)>, Refusal> {
    let text = std::str::from_utf8(body).map_err(|_| Refusal::Malformed("the form is not UTF-8".into()))?;
    Ok(form_urlencoded::parse(text.as_bytes()).into_owned().collect())
}

/// A VoiceXML caller's recording, kept among the blobs under its digest until the case is
/// made (the case's attachment is then the same blob), named `blob:DIGEST` in the dialogue.
async fn keep_recording(hook: &Hook, audio: &Upload) -> Result<String, Refusal> {
    use sha2::Digest;
    if audio.bytes.is_empty() {
        return Err(Refusal::Malformed("the recording is empty".into()));
    }
    let key = hex::encode(sha2::Sha256::digest(&audio.bytes));
    hook.app
        .blobs
        .put(&key, audio.bytes.clone())
        .await
        .map_err(|e| Refusal::Failed(format!("keeping a recording: {e}")))?;
    Ok(format!("{BLOB}{key}"))
}

const BLOB: &str = "blob:";

/// How the case's recording is fetched when it is made: from the provider for TwiML, from
/// the blobs for VoiceXML.
fn fetcher(hook: &Hook, format: Format) -> FetchMedia {
    let settings = hook.settings.clone();
    let blobs = hook.app.blobs.clone();
    Arc::new(move |url: String| {
        let settings = settings.clone();
        let blobs = blobs.clone();
        Box::pin(async move {
            match (format, url.strip_prefix(BLOB)) {
                (Format::Vxml, Some(key)) if key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit()) => {
                    let bytes = blobs
                        .get(key)
                        .await
                        .map_err(|e| e.to_string())?
                        .ok_or("the recording is no longer kept")?;
                    Ok(Upload {
                        bytes,
                        content_type: None,
                        filename: None,
                    })
                }
                (Format::Twiml, None) => recording::fetch(&settings, &url).await,
                _ => Err(format!("{url} is not a recording of this hook")),
            }
        })
    })
}
