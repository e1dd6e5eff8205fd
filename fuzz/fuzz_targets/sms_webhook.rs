//! `POST /hooks/sms`: a national SMS gateway's post (a form, or JSON), once its signature
//! holds, read by the configured field names. Input: the first byte says JSON (odd) or a form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tawasul_app::SmsHookSettings;
use tawasul_channels_dialogue::Input;
use tawasul_channels_messaging::read_sms;
use tawasul_domain::intake::PhoneNumber;

fuzz_target!(|data: &[u8]| {
    let Some((first, body)) = data.split_first() else {
        return;
    };
    let settings = SmsHookSettings {
        secret: "unused here".into(),
        from_field: "msisdn".into(),
        text_field: "text".into(),
        id_field: "messageId".into(),
    };
    let Ok(said) = read_sms(body, first % 2 == 1, &settings) else {
        return;
    };
    // The sender is a number in its normal form: it reads back as itself.
    let again = PhoneNumber::parse(&said.sender).expect("the sender reads again");
    assert_eq!(again.as_str(), said.sender);
    let Input::Text(text) = &said.input else {
        panic!("an SMS is text: {said:?}");
    };
    assert!(text.chars().count() <= 1_600);
    assert!(said
        .message_id
        .as_ref()
        .is_none_or(|id| !id.is_empty() && id.chars().count() <= 200));
});
