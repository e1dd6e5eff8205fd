//! The guided dialogue of the smart contact centre: one engine for the phone line, SMS,
//! WhatsApp, the website's chat and social media. Each channel's adapter turns what its
//! provider sends into an [`Input`], asks [`Dialogue::respond`], and renders the [`Reply`]
//! in its own format (TwiML, VoiceXML, an SMS, WhatsApp buttons…). The conversation's state
//! is saved with every turn, so a restart or a second node continues it.

mod dialogue;
pub mod engine;
pub mod prompts;

pub use dialogue::{Answer, Dialogue, DialogueError, FetchMedia, Incoming};
pub use engine::{After, Choice, Ending, Expect, Input, Medium, Reply, Stage, State};
