//! `POST /hooks/ivr/twiml` and `/hooks/ivr/vxml`: a telephony platform's form post and the
//! query of the link it follows, once the signature holds, read into the dialogue's input.
//! Input: the first byte chooses TwiML (even) or VoiceXML, then the query, NUL, the form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tawasul_channels_dialogue::Input;
use tawasul_channels_ivr::read_call;
use tawasul_domain::intake::PhoneNumber;
use tawasul_fuzz::cut;

fuzz_target!(|data: &[u8]| {
    let Some((first, rest)) = data.split_first() else {
        return;
    };
    let vxml = first % 2 == 1;
    let parts = cut(rest, 2);
    let Ok(query) = std::str::from_utf8(parts[0]) else {
        return;
    };
    let Ok(heard) = read_call(vxml, parts[1], query) else {
        return;
    };
    // One message per webhook: the call's id, then the step; the id is a call id.
    let id = heard.message_id();
    let (sid, step) = id.rsplit_once('/').expect("CallSid/step");
    assert_eq!(step, heard.step.to_string());
    assert!(!sid.is_empty() && sid.len() <= 64);
    assert!(sid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    // The conversation is the caller's number in its normal form, or the call.
    let address = heard.address();
    match address.strip_prefix("call:") {
        Some(call) => assert_eq!(call, sid),
        None => assert_eq!(
            PhoneNumber::parse(&address).map(|p| p.as_str().to_owned()).as_deref(),
            Ok(address.as_str())
        ),
    }
    match &heard.input {
        Some(Input::Text(said)) => assert!(said.chars().count() <= 1_000),
        Some(Input::Recording { url }) => assert!(!vxml && url.len() <= 2_048),
        Some(Input::Start | Input::Silence) => {}
        None => panic!("a recording to keep without one posted"),
        Some(other) => panic!("the phone line cannot hear {other:?}"),
    }
});
