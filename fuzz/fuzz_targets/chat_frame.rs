//! The live chat's WebSocket frames from a resident's or an agent's page (`read_frame`, what
//! the socket of either side reads a text frame with), then an agent's message as the app
//! checks it before saving it. A frame is a message of bounded length or typing; anything
//! else closes the socket.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tawasul_app::conversations::MAX_CHAT_MESSAGE;
use tawasul_domain::text::CaseText;
use tawasul_web::{read_frame, ChatFrame, MAX_CHAT_FRAME};

fuzz_target!(|data: &[u8]| {
    // The socket takes text frames of at most this many bytes (WebSocketUpgrade's limit).
    if data.len() > MAX_CHAT_FRAME {
        return;
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some(frame) = read_frame(text) else {
        return;
    };
    // What the page would send for this frame reads back as the same frame.
    let again = serde_json::to_string(&frame).expect("a frame serialises");
    assert_eq!(read_frame(&again).as_ref(), Some(&frame));
    let ChatFrame::Message { body } = frame else {
        return;
    };
    assert!(body.chars().count() <= MAX_CHAT_MESSAGE);
    if let Ok(said) = CaseText::parse(&body, "message", MAX_CHAT_MESSAGE) {
        let said = said.into_string();
        assert!(!said.trim().is_empty() && said.chars().count() <= MAX_CHAT_MESSAGE);
        assert_eq!(
            CaseText::parse(&said, "message", MAX_CHAT_MESSAGE).map(CaseText::into_string),
            Ok(said.clone()),
            "a checked message checks as itself"
        );
    }
});
