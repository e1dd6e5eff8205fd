//! `POST /hooks/facebook`: a Page notification, once its signature holds, read into Messenger
//! messages for the dialogue and comments as public posts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tawasul_channels_dialogue::Input;
use tawasul_channels_messaging::read_facebook;

fuzz_target!(|data: &[u8]| {
    let Ok(read) = read_facebook(data) else {
        return;
    };
    assert!(read.messages.len() + read.posts.len() <= data.len() / 8);
    for said in &read.messages {
        assert!((1..=32).contains(&said.sender.len()) && said.sender.bytes().all(|b| b.is_ascii_digit()));
        if let Input::Media { url } = &said.input {
            assert!(url.starts_with("https://") || url.starts_with("http://"));
        }
        if let Input::Text(text) = &said.input {
            assert!(text.len() <= data.len());
        }
    }
    for post in &read.posts {
        assert_eq!(post.network, "facebook");
        assert!(post.author.starts_with("fb:") && post.author.len() > 3);
        assert!(!post.id.is_empty() && post.id.len() <= 300);
        assert!(post.text.chars().count() <= 8_000);
    }
});
