//! The reply as TwiML: the lines said inside a `<Gather>` (so that a key cuts them short) or
//! before a `<Record>`, a `<Redirect>` after either that marks the time-out (the provider
//! goes on to the next verb when nothing came), `<Dial>` to the agents for a person (whose `action` asks the caller to rate the agent), and
//! `<Hangup/>` at the end.

use crate::xml::{escape, speech_language};
use crate::{On, Turn};
use tawasul_channels_dialogue::{After, Expect};

/// The longest recording, in seconds.
pub const MAX_RECORDING_SECONDS: u32 = 120;

pub fn render(turn: &Turn) -> String {
    let reply = turn.reply;
    let language = speech_language(&reply.language);
    let says: String = reply
        .lines
        .iter()
        .map(|line| format!("<Say language=\"{language}\">{}</Say>", escape(line)))
        .collect();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response>");
    match (reply.after, reply.expect) {
        (After::End, _) => {
            out.push_str(&says);
            out.push_str("<Hangup/>");
        }
        (After::HandOver, _) => {
            out.push_str(&says);
            out.push_str(&crate::callback::dial(turn.agent, &turn.dialled));
        }
        (After::Continue, Expect::Recording) => {
            out.push_str(&says);
            out.push_str(&format!(
                "<Record action=\"{}\" method=\"POST\" maxLength=\"{MAX_RECORDING_SECONDS}\" finishOnKey=\"#\" playBeep=\"true\" timeout=\"5\"/>",
                escape(&turn.link(On::Record))
            ));
            out.push_str(&redirect(turn));
        }
        (After::Continue, expect) => {
            let (input, keys) = match expect {
                Expect::Digits => ("dtmf", "finishOnKey=\"#\" timeout=\"10\"".to_owned()),
                Expect::Text => (
                    "speech dtmf",
                    "speechTimeout=\"auto\" finishOnKey=\"#\" timeout=\"6\"".to_owned(),
                ),
                _ => {
                    let longest = reply
                        .choices
                        .iter()
                        .map(|c| c.key.chars().count())
                        .max()
                        .unwrap_or(1)
                        .max(1);
                    (
                        "dtmf speech",
                        format!("numDigits=\"{longest}\" speechTimeout=\"auto\" timeout=\"6\""),
                    )
                }
            };
            out.push_str(&format!(
                "<Gather input=\"{input}\" action=\"{}\" method=\"POST\" language=\"{language}\" {keys}>{says}</Gather>",
                escape(&turn.link(On::Gather))
            ));
            out.push_str(&redirect(turn));
        }
    }
    out.push_str("</Response>\n");
    out
}

/// Where the provider goes when the caller said nothing.
fn redirect(turn: &Turn) -> String {
    format!(
        "<Redirect method=\"POST\">{}</Redirect>",
        escape(&turn.link(On::Silence))
    )
}

/// A redelivered webhook's answer: the caller hears the current question again, as a new turn.
pub fn again(turn: &Turn) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Redirect method=\"POST\">{}</Redirect></Response>\n",
        escape(&turn.link(On::Repeat))
    )
}
