//! `POST /hooks/whatsapp`: a WhatsApp Cloud API notification, once its signature holds, read
//! into the dialogue's messages.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tawasul_channels_messaging::read_whatsapp;

fuzz_target!(|data: &[u8]| {
    let Ok(read) = read_whatsapp(data) else {
        return;
    };
    assert!(read.posts.is_empty(), "WhatsApp has no public posts");
    assert!(
        read.messages.len() <= data.len() / 8,
        "{} messages from {} bytes",
        read.messages.len(),
        data.len()
    );
    for said in &read.messages {
        assert!((1..=20).contains(&said.sender.len()) && said.sender.bytes().all(|b| b.is_ascii_digit()));
        let id = said.message_id.as_deref().expect("every WhatsApp message has an id");
        assert!(!id.is_empty() && id.len() <= 200);
    }
});
