//! `POST /hooks/x`: X Account Activity, once its signature holds, read into direct messages
//! for the dialogue and mentions as public posts (of the account `ACCOUNT`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tawasul_channels_dialogue::Input;
use tawasul_channels_messaging::read_x;

const ACCOUNT: &str = "1700000000000000001";

fuzz_target!(|data: &[u8]| {
    let Ok(Some(read)) = read_x(data, ACCOUNT) else {
        return;
    };
    let usable = |id: &str| (1..=32).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit());
    for said in &read.messages {
        assert!(usable(&said.sender) && said.sender != ACCOUNT, "{said:?}");
        assert!(usable(said.message_id.as_deref().unwrap_or("")));
        assert!(matches!(&said.input, Input::Text(t) if t.len() <= data.len()));
    }
    for post in &read.posts {
        assert_eq!(post.network, "x");
        assert!(usable(&post.id) && usable(post.author.trim_start_matches("x:")));
        assert_ne!(post.author, format!("x:{ACCOUNT}"), "the account's own post");
        assert!(!post.text.starts_with('@'), "a leading mention kept: {post:?}");
        assert!(post.text.len() <= data.len());
    }
});
