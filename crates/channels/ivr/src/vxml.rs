//! The reply as a W3C VoiceXML 2.1 document: one `<form>` whose `<field>` takes the keys (a
//! DTMF grammar of any keys, so that the engine, not the grammar, says what is invalid),
//! `<record>` for a description in the caller's voice, `<transfer>` to the agents (then a
//! second form where the caller rates the agent who served them), a
//! `<disconnect/>` at the end; every way out `<submit>`s back to the hook with the call's
//! identity, `<noinput>` as silence and `<nomatch>` as an answer that fits nothing.

use crate::xml::{escape, speech_language};
use crate::{On, Turn};
use tawasul_channels_dialogue::{After, Expect};

pub const NAMESPACE: &str = "http://www.w3.org/2001/vxml";

/// The longest recording.
const MAX_RECORDING: &str = "120s";
/// The most keys a reference, a number or a date takes.
const MAX_DIGITS: usize = 20;

pub fn render(turn: &Turn) -> String {
    let reply = turn.reply;
    let language = speech_language(&reply.language);
    let prompts: String = reply
        .lines
        .iter()
        .map(|line| format!("<prompt>{}</prompt>", escape(line)))
        .collect();
    let mut out = head(turn, language);
    out.push_str("<form id=\"turn\">");
    match (reply.after, reply.expect) {
        (After::End, _) => {
            out.push_str(&format!("<block>{prompts}<disconnect/></block>"));
        }
        (After::HandOver, _) => {
            let dest = if turn.agent.starts_with("sip:") || turn.agent.starts_with("sips:") {
                turn.agent.to_owned()
            } else {
                format!("tel:{}", turn.agent)
            };
            // A bridge transfer returns when the agent hangs up (`far_end_disconnect`): the
            // caller is still there to rate them. Any other outcome ends the call.
            out.push_str(&format!(
                "<block>{prompts}</block><transfer name=\"agent\" dest=\"{}\" type=\"bridge\"><filled><if cond=\"agent == 'far_end_disconnect'\"><goto next=\"#rate\"/></if><disconnect/></filled></transfer></form>",
                escape(&dest)
            ));
            out.push_str(&rating_form(turn));
        }
        (After::Continue, Expect::Recording) => {
            out.push_str(&format!(
                "<record name=\"Recording\" beep=\"true\" maxtime=\"{MAX_RECORDING}\" finalsilence=\"4s\" dtmfterm=\"true\" type=\"audio/x-wav\">{prompts}{}{}<filled>{}</filled></record>",
                handler("noinput", turn, On::Silence),
                handler("nomatch", turn, On::NoMatch),
                submit(turn, On::Record, "Recording", true),
            ));
        }
        (After::Continue, expect) => {
            let longest = match expect {
                Expect::Choice => reply
                    .choices
                    .iter()
                    .map(|c| c.key.chars().count())
                    .max()
                    .unwrap_or(1)
                    .max(1),
                _ => MAX_DIGITS,
            };
            out.push_str(&format!(
                "<field name=\"Digits\">{}{prompts}{}{}<filled>{}</filled></field>",
                keys_grammar(longest),
                handler("noinput", turn, On::Silence),
                handler("nomatch", turn, On::NoMatch),
                submit(turn, On::Gather, "Digits", false),
            ));
        }
    }
    out.push_str("</form></vxml>\n");
    out
}

/// After the agent: the caller rates them and the answer by a key 1–5 each, posted to
/// `/hooks/ivr/dialled?on=rated` with the agent's staff username. The agents' exchange names
/// the agent in the SIP header `X-Tawasul-Agent` (as for TwiML's `<Dial>`), which the platform
/// exposes under `session.connection.protocol.sip.headers`; where it does not, nobody is
/// named and the call ends without asking. (The form's closing tag is the document's.)
fn rating_form(turn: &Turn) -> String {
    let rating = &turn.rating;
    let field = |name: &str, prompt: &str| {
        format!(
            "<field name=\"{name}\">{}<prompt>{}</prompt><noinput count=\"1\"><reprompt/></noinput><nomatch count=\"1\"><reprompt/></nomatch><noinput count=\"2\"><disconnect/></noinput><nomatch count=\"2\"><disconnect/></nomatch></field>",
            scores_grammar(&format!("{name}Keys")),
            escape(prompt)
        )
    };
    format!(
        "<form id=\"rate\"><script>{AGENT_SCRIPT}</script><var name=\"Agent\" expr=\"tawasulAgent()\"/><block><if cond=\"Agent == ''\"><disconnect/></if></block>{}{}<block><submit next=\"{}\" method=\"post\" namelist=\"CallSid From Agent AgentScore AnswerScore\"/></block>",
        field("AgentScore", &rating.agent_prompt),
        field("AnswerScore", &rating.answer_prompt),
        escape(&rating.link),
    )
}

/// The agent's staff username from the SIP header the exchange set, or nothing.
const AGENT_SCRIPT: &str = "function tawasulAgent() { try { var v = session.connection.protocol.sip.headers['X-Tawasul-Agent']; return v ? String(v) : ''; } catch (e) { return ''; } }";

/// One key from 1 to 5; `rule` is the grammar's id, unique in the document.
fn scores_grammar(rule: &str) -> String {
    let items: String = ["1", "2", "3", "4", "5"]
        .iter()
        .map(|k| format!("<item>{k}</item>"))
        .collect();
    format!(
        "<grammar mode=\"dtmf\" version=\"1.0\" root=\"{rule}\"><rule id=\"{rule}\" scope=\"public\"><one-of>{items}</one-of></rule></grammar>"
    )
}

/// What the platform is told after a rating (or when there was none to give): the thanks,
/// or a goodbye, and the end of the call.
pub fn farewell(language: &str, line: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<vxml xmlns=\"{NAMESPACE}\" version=\"2.1\" xml:lang=\"{}\"><form><block><prompt>{}</prompt><disconnect/></block></form></vxml>\n",
        speech_language(language),
        escape(line)
    )
}

/// The document's start: the call's identity kept in variables for every submit.
fn head(turn: &Turn, language: &str) -> String {
    // JSON strings are ECMAScript string literals.
    let literal = |s: &str| escape(&serde_json::Value::String(s.to_owned()).to_string());
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<vxml xmlns=\"{NAMESPACE}\" version=\"2.1\" xml:lang=\"{language}\"><var name=\"CallSid\" expr=\"{}\"/><var name=\"From\" expr=\"{}\"/>",
        literal(&turn.call.sid),
        literal(turn.call.from.as_deref().unwrap_or("")),
    )
}

/// Any sequence of up to `longest` keys.
fn keys_grammar(longest: usize) -> String {
    let items: String = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "*", "#"]
        .iter()
        .map(|k| format!("<item>{k}</item>"))
        .collect();
    format!(
        "<grammar mode=\"dtmf\" version=\"1.0\" root=\"keys\"><rule id=\"keys\" scope=\"public\"><item repeat=\"1-{longest}\"><one-of>{items}</one-of></item></rule></grammar>"
    )
}

fn handler(event: &str, turn: &Turn, on: On) -> String {
    format!("<{event}>{}</{event}>", submit(turn, on, "", false))
}

fn submit(turn: &Turn, on: On, variable: &str, multipart: bool) -> String {
    let namelist = if variable.is_empty() {
        "CallSid From".to_owned()
    } else {
        format!("CallSid From {variable}")
    };
    let enctype = if multipart {
        " enctype=\"multipart/form-data\""
    } else {
        ""
    };
    format!(
        "<submit next=\"{}\" method=\"post\"{enctype} namelist=\"{namelist}\"/>",
        escape(&turn.link(on))
    )
}

/// A redelivered fetch's answer: the current question again, as a new turn.
pub fn again(turn: &Turn) -> String {
    let mut out = head(turn, speech_language(&turn.reply.language));
    out.push_str(&format!(
        "<form id=\"turn\"><block>{}</block></form></vxml>\n",
        submit(turn, On::Repeat, "", false)
    ));
    out
}
