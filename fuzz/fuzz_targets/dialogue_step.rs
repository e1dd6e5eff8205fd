//! The dialogue engine's step (`Dialogue::step`, the turn `respond` takes between reading a
//! conversation and saving it) from any saved state, on any input, against the real
//! application on SQLite with the demo's catalogue. A state may be stale (a service renamed,
//! its form changed, a language file removed) and an input anything a provider sends; the
//! engine must answer, keep a conversation that goes on expecting something, and leave a
//! state that saves and reads back as itself.
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};
use std::sync::OnceLock;
use tawasul_channels_dialogue::{After, Dialogue, Expect, Incoming, Input, Medium, Stage, State};
use tawasul_domain::vocab::Channel;

const STAGES: [&str; 17] = [
    "language",
    "menu",
    "faq",
    "kind",
    "service",
    "words",
    "pick",
    "field",
    "describe",
    "location",
    "confirm",
    "reference",
    "offer_person",
    "with_person",
    "rate_agent",
    "rate_answer",
    "over",
];
const KINDS: [&str; 6] = [
    "complaint",
    "suggestion",
    "inquiry",
    "report",
    "compliment",
    "escalation",
];
const ENDINGS: [&str; 7] = [
    "submitted",
    "handed_over",
    "no_input",
    "invalid_input",
    "refused",
    "rated",
    "rating_dropped",
];
const LANGUAGES: [&str; 3] = ["ar", "en", "fr"];

/// A saved state, from names the state's JSON uses; a service is one of the catalogue's
/// (or, past its end, one that no longer exists).
#[derive(Arbitrary, Debug)]
struct Saved {
    stage: u8,
    shown: bool,
    language: Option<u8>,
    strikes: u8,
    offered_from: Option<u8>,
    silent: bool,
    kind: Option<u8>,
    service: Option<u8>,
    page: u16,
    candidates: Vec<u8>,
    field: u16,
    answers: Vec<(u8, String)>,
    description: Option<String>,
    recording: Option<String>,
    media: Vec<String>,
    location: Option<(f64, f64)>,
    address: Option<String>,
    submitted: u32,
    reference: Option<String>,
    ended: Option<u8>,
    /// A served conversation to rate (one of ours or not) and the agent's score given.
    rating_of: Option<i64>,
    agent_score: Option<i64>,
}

#[derive(Arbitrary, Debug)]
enum Sent {
    Start,
    Text(String),
    Key(u8),
    Location {
        lat: f64,
        lon: f64,
        address: Option<String>,
    },
    Recording(String),
    Media(String),
    Silence,
}

#[derive(Arbitrary, Debug)]
struct Turn {
    saved: Saved,
    medium: u8,
    sent: Sent,
}

struct World {
    runtime: tokio::runtime::Runtime,
    dialogue: Dialogue,
    services: Vec<String>,
    /// Field keys of the catalogue's forms.
    keys: Vec<String>,
}

fn world() -> World {
    let (runtime, app) = tawasul_fuzz::demo_app();
    let services = runtime.block_on(app.find_services("", None)).expect("the catalogue");
    World {
        runtime,
        dialogue: Dialogue::new(app),
        keys: services
            .iter()
            .flat_map(|s| s.fields.iter().map(|f| f.key.clone()))
            .collect(),
        services: services.into_iter().map(|s| s.code).collect(),
    }
}

fn pick<T: Clone>(list: &[T], i: u8) -> Option<T> {
    list.get(usize::from(i) % (list.len() + 1)).cloned()
}

fn state(saved: &Saved, world: &World) -> Option<State> {
    let stage = |i: u8| STAGES[usize::from(i) % STAGES.len()];
    let service = |i: u8| pick(&world.services, i).unwrap_or_else(|| "no-longer-offered".into());
    let answers: serde_json::Map<String, Value> = saved
        .answers
        .iter()
        .map(|(k, v)| (pick(&world.keys, *k).unwrap_or_else(|| "gone".into()), json!(v)))
        .collect();
    let finite = |(lat, lon): (f64, f64)| lat.is_finite() && lon.is_finite();
    serde_json::from_value(json!({
        "stage": stage(saved.stage),
        "shown": saved.shown,
        "language": saved.language.map(|i| LANGUAGES[usize::from(i) % LANGUAGES.len()]),
        "strikes": saved.strikes,
        "offered_from": saved.offered_from.map(stage),
        "silent": saved.silent,
        "kind": saved.kind.map(|i| KINDS[usize::from(i) % KINDS.len()]),
        "service": saved.service.map(service),
        "page": saved.page,
        "candidates": saved.candidates.iter().map(|i| service(*i)).collect::<Vec<_>>(),
        "field": saved.field,
        "answers": answers,
        "description": saved.description,
        "recording": saved.recording,
        "media": saved.media,
        "location": saved.location.filter(|l| finite(*l)),
        "address": saved.address,
        "submitted": saved.submitted,
        "reference": saved.reference,
        "ended": saved.ended.map(|i| ENDINGS[usize::from(i) % ENDINGS.len()]),
        "rating_of": saved.rating_of,
        "agent_score": saved.agent_score,
    }))
    .ok()
}

fuzz_target!(|turn: Turn| {
    static WORLD: OnceLock<World> = OnceLock::new();
    let world = WORLD.get_or_init(world);
    let Some(mut state) = state(&turn.saved, world) else {
        return;
    };
    let (channel, medium) = match turn.medium % 3 {
        0 => (Channel::Phone, Medium::Voice),
        1 => (Channel::Sms, Medium::Text),
        _ => (Channel::Whatsapp, Medium::Buttons),
    };
    // A phone conversation is never handed to the live chat (its person is dialled): a state
    // no phone conversation is saved in (the first run's only finding, in this harness).
    if channel == Channel::Phone && state.stage == Stage::WithPerson {
        return;
    }
    let input = match turn.sent {
        Sent::Start => Input::Start,
        Sent::Text(text) => Input::Text(text),
        Sent::Key(k) => Input::Text((k % 10).to_string()),
        Sent::Location { lat, lon, address } => Input::Location { lat, lon, address },
        Sent::Recording(url) => Input::Recording { url },
        Sent::Media(url) => Input::Media { url },
        Sent::Silence => Input::Silence,
    };
    let incoming = Incoming {
        channel,
        address: "+97333000001".into(),
        medium,
        input,
        message_id: None,
        fetch: None,
    };
    let reply = world
        .runtime
        .block_on(world.dialogue.step(1, &mut state, &incoming))
        .unwrap_or_else(|e| panic!("{state:?} on {:?}: {e}", incoming.input));
    let with_person = reply.after == After::HandOver && channel != Channel::Phone;
    assert!(!reply.lines.is_empty() || with_person, "said nothing: {reply:?}");
    if reply.after == After::Continue {
        assert_ne!(
            reply.expect,
            Expect::Nothing,
            "a conversation that goes on expects something: {reply:?}"
        );
    }
    let saved = serde_json::to_string(&state).expect("the state saves");
    let read: State = serde_json::from_str(&saved).expect("the saved state reads");
    assert_eq!(read, state, "the state read back differently from {saved}");
});
