//! The webhooks' signature headers: `X-Hub-Signature-256` and `X-Tawasul-Signature`
//! (`sha256=<hex>`), `x-twitter-webhooks-signature` (`sha256=<base64>`) and
//! `X-Twilio-Signature` (base64 over the URL and the parameters, the URL as the request's
//! Host made it). Input: the header, NUL, the URL, NUL, the body (also read as a form).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tawasul_channels_ivr::signature as twilio;
use tawasul_channels_messaging::signature::{sha256_base64, valid_sha256, valid_sha256_base64};
use tawasul_fuzz::cut;

const SECRET: &str = "the app secret";

fuzz_target!(|data: &[u8]| {
    let parts = cut(data, 3);
    let header = String::from_utf8_lossy(parts[0]);
    let url = String::from_utf8_lossy(parts[1]);
    let body = parts[2];
    // Any header is judged without a panic.
    let _ = valid_sha256(SECRET, body, Some(&header));
    let _ = valid_sha256_base64(SECRET, body, Some(&header));
    // What we sign verifies, and not for another body.
    let signed = sha256_base64(SECRET, body);
    assert!(valid_sha256_base64(SECRET, body, Some(&signed)));
    assert!(!valid_sha256_base64(SECRET, &[body, b"!"].concat(), Some(&signed)));
    // Twilio's: the parameters as the phone line reads them.
    let params: Vec<(String, String)> = String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let _ = twilio::verify(SECRET, &url, &params, &header);
    let signature = twilio::sign(SECRET, &url, &params);
    assert!(
        twilio::verify(SECRET, &url, &params, &signature),
        "our own signature of {url:?}"
    );
    assert!(!twilio::verify("another token", &url, &params, &signature));
});
