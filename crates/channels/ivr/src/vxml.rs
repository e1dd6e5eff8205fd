//! The reply as a W3C VoiceXML 2.1 document: one `<form>` whose `<field>` takes the keys (a
//! DTMF grammar of any keys, so that the engine, not the grammar, says what is invalid),
//! `<record>` for a description in the caller's voice, `<transfer>` to the agents, a
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
            out.push_str(&format!(
                "<block>{prompts}</block><transfer name=\"agent\" dest=\"{}\" type=\"bridge\"/><block><disconnect/></block>",
                escape(&dest)
            ));
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
