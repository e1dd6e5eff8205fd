//! The calls the phone line places (issue 15 §3, §4; issue 16 §1), in TwiML:
//!
//! - `POST /hooks/ivr/callback?id=N` — the call-back's document, fetched by the platform when
//!   the reporter picks up: the update in the case's language, then "1: your reference, 2: a
//!   person". A resolution's call first asks the closure survey by keys ("solved? 1 yes, 2
//!   no", then three scores 1–5), recorded as the survey link records it.
//! - `POST /hooks/ivr/callback/status?id=N` — the platform's report of how the call ended:
//!   a call not answered is placed again later or given up (`App::callback_report`); each
//!   CallSid and status is taken once.
//! - `POST /hooks/ivr/dialled` — the `action` of every `<Dial>` to the agents: when an agent
//!   served the caller (the agents' exchange names them in the SIP header `X-Tawasul-Agent`,
//!   which the platform posts as `DialSipHeader_X-Tawasul-Agent`), the caller rates the agent
//!   and the answer 1–5 by keys, stored with the chat ratings. A VoiceXML document's
//!   `<transfer>` asks the same in a form of its own and posts it here (`on=rated`).
//!
//! All three are signed as the dialogue's hooks are (`X-Twilio-Signature`): 401 and nothing
//! written otherwise. Every word comes from the dialogue's message files. A key that fits no
//! question is asked again once; then the call ends politely.

use crate::xml::{escape, speech_language};
use crate::{signed, Format, Hook, Refusal, FORM_LIMIT};
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use tawasul_app::cases::callbacks::{CallReport, CALLBACK_HOOK, CALLBACK_STATUS_HOOK};
use tawasul_app::conversations::CallRatingRequest;
use tawasul_app::{CasesError, ConversationsError, Failure};
use tawasul_channels_dialogue::engine::reference_digits;
use tawasul_channels_dialogue::prompts::{Prompts, FIRST_LANGUAGE};

pub const CALLBACK_PATH: &str = CALLBACK_HOOK;
pub const STATUS_PATH: &str = CALLBACK_STATUS_HOOK;
pub const DIALLED_PATH: &str = "/hooks/ivr/dialled";
/// The SIP header of the answering agent's staff username, as the platform posts it.
pub const AGENT_HEADER: &str = "DialSipHeader_X-Tawasul-Agent";
/// The survey's scores, in the order asked (the link's quality, speed, agent).
const SCORES: [&str; 3] = ["survey-quality", "survey-speed", "survey-agent"];
/// Times a question is asked again before the call ends.
const RETRIES: u32 = 1;

pub(crate) fn routes() -> Router<Hook> {
    Router::new()
        .route(CALLBACK_PATH, post(callback).layer(DefaultBodyLimit::max(FORM_LIMIT)))
        .route(STATUS_PATH, post(status).layer(DefaultBodyLimit::max(FORM_LIMIT)))
        .route(DIALLED_PATH, post(dialled).layer(DefaultBodyLimit::max(FORM_LIMIT)))
}

/// A TwiML document as it is built.
struct Doc<'a> {
    prompts: &'a Prompts,
    language: String,
    out: String,
}

impl<'a> Doc<'a> {
    fn new(prompts: &'a Prompts, language: &str) -> Self {
        let language = if prompts.has(language) {
            language.to_owned()
        } else {
            FIRST_LANGUAGE.to_owned()
        };
        Self {
            prompts,
            language,
            out: String::new(),
        }
    }

    fn text(&self, id: &str, args: &[(&str, &str)]) -> String {
        self.prompts.spoken(&self.language, id, args)
    }

    fn say_xml(&self, line: &str) -> String {
        format!(
            "<Say language=\"{}\">{}</Say>",
            speech_language(&self.language),
            escape(line)
        )
    }

    fn say(&mut self, id: &str, args: &[(&str, &str)]) {
        let line = self.say_xml(&self.text(id, args));
        self.out.push_str(&line);
    }

    /// One key, said over by `ids`; the time-out comes back to `action` with no digits.
    fn ask(&mut self, action: &str, ids: &[&str]) {
        let says: String = ids.iter().map(|id| self.say_xml(&self.text(id, &[]))).collect();
        self.out.push_str(&format!(
            "<Gather input=\"dtmf\" numDigits=\"1\" timeout=\"8\" action=\"{}\" method=\"POST\">{says}</Gather>",
            escape(action)
        ));
        self.out
            .push_str(&format!("<Redirect method=\"POST\">{}</Redirect>", escape(action)));
    }

    fn hang_up(&mut self) {
        self.out.push_str("<Hangup/>");
    }

    fn finish(self) -> Response {
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response>{}</Response>\n",
            self.out
        );
        ([(header::CONTENT_TYPE, "application/xml; charset=utf-8")], body).into_response()
    }
}

/// `path` with `pairs` as its query, under the public address when there is one.
fn link(hook: &Hook, path: &str, pairs: &[(&str, String)]) -> String {
    let query: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())))
        .finish();
    hook.app.settings.public_link(&format!("{path}?{query}"))
}

/// `<Dial>` to the agents, coming back to `/hooks/ivr/dialled` when it ends.
pub(crate) fn dial(agent: &str, action: &str) -> String {
    let target = if agent.starts_with("sip:") || agent.starts_with("sips:") {
        format!("<Sip>{}</Sip>", escape(agent))
    } else {
        format!("<Number>{}</Number>", escape(agent))
    };
    format!("<Dial action=\"{}\" method=\"POST\">{target}</Dial>", escape(action))
}

/// The `/hooks/ivr/dialled` link for a call in `language`, about `reference` when known.
pub(crate) fn dialled_link(hook: &Hook, language: &str, reference: Option<&str>) -> String {
    let mut pairs = vec![("lang", language.to_owned()), ("on", "dialled".to_owned())];
    if let Some(reference) = reference {
        pairs.push(("case", reference.to_owned()));
    }
    link(hook, DIALLED_PATH, &pairs)
}

/// The rating a VoiceXML document asks after its `<transfer>`, posted to
/// `/hooks/ivr/dialled?on=rated`.
pub(crate) fn rating(hook: &Hook, language: &str) -> crate::Rating {
    let doc = Doc::new(hook.dialogue.prompts(), language);
    crate::Rating {
        agent_prompt: doc.text("rate-agent", &[]),
        answer_prompt: doc.text("rate-answer", &[]),
        link: link(
            hook,
            DIALLED_PATH,
            &[("lang", doc_language(language)), ("on", "rated".to_owned())],
        ),
    }
}

/// A VoiceXML document's rating: the agent named by the exchange and the two scores, stored
/// once per call; the answer is VoiceXML, thanking the caller or, when no agent of ours was
/// named, saying goodbye with nothing stored.
async fn rated(hook: &Hook, signed: &crate::Signed) -> Result<Response, Refusal> {
    let sid = signed.call_sid()?.to_owned();
    let language = signed.query("lang").unwrap_or(FIRST_LANGUAGE);
    let doc = Doc::new(hook.dialogue.prompts(), language);
    let farewell = |id: &str| {
        let body = crate::vxml::farewell(&doc.language, &doc.text(id, &[]));
        (
            [(header::CONTENT_TYPE, "application/voicexml+xml; charset=utf-8")],
            body,
        )
            .into_response()
    };
    let Some(agent) = signed.param("Agent").filter(|a| a.len() <= 100) else {
        return Ok(farewell("goodbye"));
    };
    let (Some(agent_score), Some(answer)) = (score(signed.param("AgentScore")), score(signed.param("AnswerScore")))
    else {
        return Err(Refusal::Malformed("AgentScore and AnswerScore are keys 1 to 5".into()));
    };
    let address = signed
        .param("From")
        .map_or_else(|| format!("call:{sid}"), str::to_owned);
    let request = CallRatingRequest {
        call_sid: sid.clone(),
        address: address.chars().take(128).collect(),
        language: doc.language.clone(),
        reference: None,
        agent_username: agent.to_owned(),
        agent: agent_score,
        answer,
    };
    match hook.app.rate_call_agent(request).await {
        Ok(()) | Err(ConversationsError::Replayed) => Ok(farewell("rate-thanks")),
        Err(ConversationsError::Common(Failure::NotFound(_))) => {
            tracing::warn!(call = %sid, "a rating named no agent of ours; nothing was stored");
            Ok(farewell("goodbye"))
        }
        Err(e) => Err(failed(e)),
    }
}

fn failed<E: std::fmt::Display>(e: E) -> Refusal {
    Refusal::Failed(e.to_string())
}

/// A 1–5 key.
fn score(digits: Option<&str>) -> Option<i64> {
    digits
        .and_then(|d| d.parse::<i64>().ok())
        .filter(|n| (1..=5).contains(n))
}

fn strikes(signed: &crate::Signed) -> u32 {
    signed.query("strikes").and_then(|s| s.parse().ok()).unwrap_or(0)
}

async fn callback(State(hook): State<Hook>, request: Request) -> Result<Response, Refusal> {
    let hook = &hook;
    let signed = signed(hook, Format::Twiml, request).await?;
    let sid = signed.call_sid()?.to_owned();
    let id: i64 = signed
        .query("id")
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| Refusal::Malformed("id is not a call-back".into()))?;
    let callback = match hook.app.callback_call(id, &sid).await {
        Ok(c) => c,
        Err(CasesError::Common(Failure::NotFound(_))) => {
            return Ok((StatusCode::NOT_FOUND, "no such call-back for this call").into_response())
        }
        Err(e) => return Err(failed(e)),
    };
    let prompts = hook.dialogue.prompts();
    let mut doc = Doc::new(prompts, &callback.language);
    let to = |on: &str, extra: &[(&str, String)]| here(hook, id, on, extra);
    let digits = signed.param("Digits");
    let strikes = strikes(&signed);
    match signed.query("on").unwrap_or("start") {
        "start" => {
            let service = if doc.language == "ar" || callback.service_en.is_empty() {
                callback.service_ar.clone()
            } else {
                callback.service_en.clone()
            };
            doc.say("callback-hello", &[("service", &service)]);
            let status = doc.text(&format!("status-{}", callback.status.as_str()), &[]);
            doc.say("callback-status", &[("status", &status)]);
            if callback.survey {
                doc.ask(&to("solved", &[]), &["survey-solved"]);
            } else {
                doc.ask(&to("menu", &[]), &["callback-menu"]);
            }
        }
        "menu" => match digits {
            Some("1") => {
                let spoken = reference_digits(doc.prompts, &doc.language, &callback.reference);
                doc.say("callback-reference", &[("digits", &spoken)]);
                doc.ask(&to("menu", &[]), &["callback-menu"]);
            }
            Some("2") => {
                doc.say("handover", &[]);
                let action = dialled_link(hook, &doc.language, Some(&callback.reference));
                doc.out.push_str(&dial(&hook.settings.agent, &action));
            }
            _ => again(
                &mut doc,
                strikes,
                &to("menu", &[("strikes", (strikes + 1).to_string())]),
                "callback-menu",
            ),
        },
        "solved" => match digits {
            Some(key @ ("1" | "2")) => {
                let solved = if key == "1" { "1" } else { "0" };
                doc.ask(&to("score", &[("solved", solved.into())]), &[SCORES[0]]);
            }
            _ => again(
                &mut doc,
                strikes,
                &to("solved", &[("strikes", (strikes + 1).to_string())]),
                "survey-solved",
            ),
        },
        "score" => survey_step(hook, &mut doc, &signed, id, &sid).await?,
        other => return Err(Refusal::Malformed(format!("unknown on={other}"))),
    }
    Ok(doc.finish())
}

/// Asks `id` again after a key that fits no question or silence, once; then ends the call.
fn again(doc: &mut Doc, strikes: u32, retry: &str, id: &str) {
    if strikes < RETRIES {
        doc.say("invalid-choice", &[]);
        doc.ask(retry, &[id]);
    } else {
        doc.say("callback-goodbye", &[]);
        doc.hang_up();
    }
}

/// The call-back's own link for the turn `on`.
fn here(hook: &Hook, id: i64, on: &str, extra: &[(&str, String)]) -> String {
    let mut pairs = vec![("id", id.to_string()), ("on", on.to_owned())];
    pairs.extend(extra.iter().cloned());
    link(hook, CALLBACK_PATH, &pairs)
}

/// The survey's scores, one per turn (those given so far in `scores`), then the answer
/// recorded as the link's is, and the menu.
async fn survey_step(
    hook: &Hook,
    doc: &mut Doc<'_>,
    signed: &crate::Signed,
    id: i64,
    sid: &str,
) -> Result<(), Refusal> {
    let solved = signed.query("solved") == Some("1");
    let mut given: Vec<i64> = signed
        .query("scores")
        .unwrap_or("")
        .split(',')
        .filter_map(|s| s.parse().ok())
        .filter(|n| (1..=5).contains(n))
        .collect();
    given.truncate(SCORES.len() - 1);
    let strikes = strikes(signed);
    let pairs = |scores: &[i64], strikes: u32| {
        let list: Vec<String> = scores.iter().map(i64::to_string).collect();
        let mut pairs = vec![
            ("solved", if solved { "1" } else { "0" }.to_owned()),
            ("scores", list.join(",")),
        ];
        if strikes > 0 {
            pairs.push(("strikes", strikes.to_string()));
        }
        pairs
    };
    let Some(value) = score(signed.param("Digits")) else {
        let retry = here(hook, id, "score", &pairs(&given, strikes + 1));
        again(doc, strikes, &retry, SCORES[given.len()]);
        return Ok(());
    };
    given.push(value);
    if given.len() < SCORES.len() {
        doc.ask(&here(hook, id, "score", &pairs(&given, 0)), &[SCORES[given.len()]]);
        return Ok(());
    }
    match hook
        .app
        .survey_by_phone(id, sid, solved, (given[0], given[1], given[2]))
        .await
    {
        Ok(view) => {
            doc.say("survey-thanks", &[]);
            if view.solved == Some(false) || view.low {
                doc.say("survey-reopened", &[]);
            }
        }
        // Answered already (a redelivered webhook, the link meanwhile): nothing more to record.
        Err(CasesError::Conflict(_) | CasesError::SurveyLink(_)) => doc.say("survey-thanks", &[]),
        Err(e) => return Err(failed(e)),
    }
    doc.ask(&here(hook, id, "menu", &[]), &["callback-menu"]);
    Ok(())
}

async fn status(State(hook): State<Hook>, request: Request) -> Result<StatusCode, Refusal> {
    report(&hook, request).await.map(|()| StatusCode::NO_CONTENT)
}

async fn report(hook: &Hook, request: Request) -> Result<(), Refusal> {
    let signed = signed(hook, Format::Twiml, request).await?;
    let sid = signed.call_sid()?.to_owned();
    let id: i64 = signed
        .query("id")
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| Refusal::Malformed("id is not a call-back".into()))?;
    let status = signed
        .param("CallStatus")
        .ok_or_else(|| Refusal::Malformed("CallStatus is missing".into()))?;
    if status.len() > 32 {
        return Err(Refusal::Malformed("CallStatus is not a call status".into()));
    }
    match hook.app.callback_report(id, &sid, status).await.map_err(failed)? {
        CallReport::Taken => tracing::info!(callback = id, call = %sid, status, "call-back call reported"),
        CallReport::Repeated | CallReport::Ignored => {}
    }
    Ok(())
}

/// After a `<Dial>` to the agents: the caller rates the agent who served them, then the answer.
async fn dialled(State(hook): State<Hook>, request: Request) -> Result<Response, Refusal> {
    let hook = &hook;
    let signed = signed(hook, Format::Twiml, request).await?;
    if signed.query("on") == Some("rated") {
        return rated(hook, &signed).await;
    }
    let sid = signed.call_sid()?.to_owned();
    let language = signed.query("lang").unwrap_or(FIRST_LANGUAGE).to_owned();
    let mut doc = Doc::new(hook.dialogue.prompts(), &language);
    let reference = signed.query("case").map(str::to_owned);
    let agent = match signed.query("on").unwrap_or("dialled") {
        "dialled" => signed.param(AGENT_HEADER).map(str::to_owned),
        _ => signed.query("agent").map(str::to_owned),
    };
    let Some(agent) = agent.filter(|a| a.len() <= 100) else {
        // No agent took the call, or the exchange did not say who: nobody to rate.
        doc.say("goodbye", &[]);
        doc.hang_up();
        return Ok(doc.finish());
    };
    let here = |on: &str, extra: &[(&str, String)]| {
        let mut pairs = vec![
            ("lang", doc_language(&language)),
            ("on", on.to_owned()),
            ("agent", agent.clone()),
        ];
        if let Some(reference) = &reference {
            pairs.push(("case", reference.clone()));
        }
        pairs.extend(extra.iter().cloned());
        link(hook, DIALLED_PATH, &pairs)
    };
    let strikes = strikes(&signed);
    match signed.query("on").unwrap_or("dialled") {
        "dialled" => {
            let served = signed.param("DialCallStatus") == Some("completed");
            if served && hook.app.agent_known(&agent).await.map_err(failed)? {
                doc.ask(&here("agent", &[]), &["rate-agent"]);
            } else {
                doc.say("goodbye", &[]);
                doc.hang_up();
            }
        }
        "agent" => match score(signed.param("Digits")) {
            Some(n) => doc.ask(&here("answer", &[("a", n.to_string())]), &["rate-answer"]),
            None => again(
                &mut doc,
                strikes,
                &here("agent", &[("strikes", (strikes + 1).to_string())]),
                "rate-agent",
            ),
        },
        "answer" => {
            let agent_score =
                score(signed.query("a")).ok_or_else(|| Refusal::Malformed("a is not the agent's score".into()))?;
            match score(signed.param("Digits")) {
                Some(answer) => {
                    let address = signed
                        .param("From")
                        .map_or_else(|| format!("call:{sid}"), str::to_owned);
                    let request = CallRatingRequest {
                        call_sid: sid.clone(),
                        address: address.chars().take(128).collect(),
                        language: doc.language.clone(),
                        reference: reference.clone(),
                        agent_username: agent.clone(),
                        agent: agent_score,
                        answer,
                    };
                    match hook.app.rate_call_agent(request).await {
                        Ok(()) | Err(ConversationsError::Replayed) => {}
                        Err(e) => return Err(failed(e)),
                    }
                    doc.say("rate-thanks", &[]);
                    doc.hang_up();
                }
                None => again(
                    &mut doc,
                    strikes,
                    &here(
                        "answer",
                        &[("a", agent_score.to_string()), ("strikes", (strikes + 1).to_string())],
                    ),
                    "rate-answer",
                ),
            }
        }
        other => return Err(Refusal::Malformed(format!("unknown on={other}"))),
    }
    Ok(doc.finish())
}

/// The language tag kept in the links: the caller's, or Arabic for one without a file.
fn doc_language(language: &str) -> String {
    if language.len() <= 16 && language.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        language.to_owned()
    } else {
        FIRST_LANGUAGE.to_owned()
    }
}
