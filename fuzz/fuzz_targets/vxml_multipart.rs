//! `POST /hooks/ivr/vxml` (and `/twiml`): the whole post a telephony platform sends once its
//! signature holds, a form or, for VoiceXML, a multipart form whose `Recording` part is the
//! caller's audio, read with the same function the hook reads it with. Input: the first byte
//! chooses VoiceXML (odd) or TwiML and the multipart boundary or a form, then the query, NUL,
//! the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tawasul_channels_dialogue::Input;
use tawasul_channels_ivr::read_post;
use tawasul_domain::attachment::MAX_ATTACHMENT_BYTES;
use tawasul_fuzz::cut;

const TYPES: [&str; 4] = [
    "multipart/form-data; boundary=vxml",
    "multipart/form-data; boundary=\"----VoiceXML 2.1\"",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
];

fuzz_target!(|data: &[u8]| {
    let runtime = tawasul_fuzz::runtime();
    let Some((first, rest)) = data.split_first() else {
        return;
    };
    let vxml = first % 2 == 1;
    let content_type = TYPES[usize::from(first / 2) % TYPES.len()];
    let parts = cut(rest, 2);
    let Ok(query) = std::str::from_utf8(parts[0]) else {
        return;
    };
    let Ok((heard, recording)) = runtime.block_on(read_post(vxml, content_type, parts[1].to_vec(), query)) else {
        return;
    };
    // Only a VoiceXML multipart post carries audio, never more than an attachment may hold,
    // and the dialogue is given it (input `None`) only when it came.
    if let Some(audio) = &recording {
        assert!(vxml && content_type.starts_with("multipart/"));
        assert!(audio.bytes.len() <= MAX_ATTACHMENT_BYTES);
        assert!(audio.bytes.len() <= parts[1].len());
    }
    if heard.input.is_none() {
        assert!(recording.is_some(), "a recording to keep without one posted");
    }
    let id = heard.message_id();
    let (sid, step) = id.rsplit_once('/').expect("CallSid/step");
    assert_eq!(step, heard.step.to_string());
    assert!(!sid.is_empty() && sid.len() <= 64);
    assert!(sid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    match &heard.input {
        Some(Input::Text(said)) => assert!(said.chars().count() <= 1_000),
        Some(Input::Recording { url }) => assert!(!vxml && url.len() <= 2_048),
        Some(Input::Start | Input::Silence) | None => {}
        Some(other) => panic!("the phone line cannot hear {other:?}"),
    }
});
