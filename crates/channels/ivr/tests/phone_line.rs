//! The phone line as a telephony platform drives it: every request signed as the provider
//! signs (`X-Twilio-Signature`), every next request taken from the links of our own answer
//! (a `<Gather>`'s action, the `<Redirect>` of a time-out, a `<Record>`'s action, a VoiceXML
//! `<submit>`), on both backends, in Arabic and English. The recording is served by a local
//! HTTP server in the provider's place; VoiceXML documents are validated with xmllint against
//! the W3C VoiceXML 2.1 schema vendored in `schemas/vxml21/`.

use std::path::Path;
use tawasul_app::identity::limits::Limits;
use tawasul_app::{HookSettings, IvrSettings};
use tawasul_channels_ivr::signature;
use tawasul_domain::vocab::Role;
use tawasul_testkit::fixtures::{Fixtures, ServiceSpec};
use tawasul_testkit::{on_both, spawn, Backend, Options, TestApp};

const TOKEN: &str = "ivr-test-auth-token";
const AGENT: &str = "+97317000000";
const CALLER: &str = "+97333123456";
/// A WAV header and a little silence: what the provider serves at RecordingUrl.
const WAV: &[u8] =
    b"RIFF\x2c\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0\x40\x1f\0\0\x80\x3e\0\0\x02\0\x10\0data\x08\0\0\0\0\0\0\0\0\0\0\0";

fn ivr_settings() -> IvrSettings {
    IvrSettings {
        auth_token: TOKEN.into(),
        agent: AGENT.into(),
        recording_hosts: vec!["127.0.0.1".into()],
        recording_private_addresses: true,
    }
}

fn options(backend: Backend) -> Options {
    Options {
        hooks: HookSettings {
            ivr: Some(ivr_settings()),
            ..HookSettings::default()
        },
        ..Options::on(backend)
    }
}

async fn setup(backend: Backend) -> TestApp {
    let t = spawn(options(backend)).await;
    let fixtures = Fixtures::new(&t.app).await;
    fixtures.capital(serde_json::json!([])).await;
    fixtures
        .service(ServiceSpec {
            entity: "cap",
            code: "street-light",
            name: ("إنارة الشوارع", "Street lights"),
            description: ("أعمدة إنارة معطلة", "Street lights out of order"),
            kinds: &["report", "complaint"],
            department: "water",
            fields: serde_json::json!([]),
        })
        .await;
    t
}

/// One call, as the provider makes it.
struct Call<'a> {
    t: &'a TestApp,
    sid: String,
    from: String,
}

/// An answer of ours, parsed.
struct Answered {
    status: u16,
    body: String,
}

impl Answered {
    fn doc(&self) -> roxmltree::Document<'_> {
        roxmltree::Document::parse(&self.body).unwrap_or_else(|e| panic!("not XML ({e}): {}", self.body))
    }

    /// Everything said, in order.
    fn said(&self) -> String {
        let doc = self.doc();
        let spoken: Vec<String> = doc
            .descendants()
            .filter(|n| n.has_tag_name("Say") || n.has_tag_name("prompt"))
            .map(|n| n.text().unwrap_or("").to_owned())
            .collect();
        spoken.join("\n")
    }

    /// The attribute of the first element named `tag`.
    fn attribute(&self, tag: &str, name: &str) -> Option<String> {
        self.doc()
            .descendants()
            .find(|n| n.has_tag_name(tag))
            .and_then(|n| n.attribute(name).map(str::to_owned))
    }

    fn has(&self, tag: &str) -> bool {
        self.doc().descendants().any(|n| n.has_tag_name(tag))
    }

    /// The `<Redirect>`'s target (the time-out).
    fn redirect(&self) -> String {
        self.doc()
            .descendants()
            .find(|n| n.has_tag_name("Redirect"))
            .and_then(|n| n.text())
            .expect("a <Redirect>")
            .to_owned()
    }
}

impl<'a> Call<'a> {
    fn new(t: &'a TestApp, sid: &str, from: &str) -> Self {
        Self {
            t,
            sid: sid.into(),
            from: from.into(),
        }
    }

    /// Posts `params` (and the call's own) to `link`, signed with `token`.
    async fn post_signed(&self, link: &str, extra: &[(&str, &str)], token: Option<&str>) -> Answered {
        let mut params: Vec<(String, String)> = vec![
            ("CallSid".into(), self.sid.clone()),
            ("From".into(), self.from.clone()),
            ("To".into(), "+97380008000".into()),
            ("AccountSid".into(), "AC0123456789abcdef0123456789abcdef".into()),
        ];
        params.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let url = self.t.url(link);
        let mut request = self.t.client.post(&url).form(&params);
        if let Some(token) = token {
            request = request.header("X-Twilio-Signature", signature::sign(token, &url, &params));
        }
        let response = request.send().await.expect("the hook answers");
        Answered {
            status: response.status().as_u16(),
            body: response.text().await.expect("a body"),
        }
    }

    async fn post(&self, link: &str, extra: &[(&str, &str)]) -> Answered {
        let answered = self.post_signed(link, extra, Some(TOKEN)).await;
        assert_eq!(answered.status, 200, "{link}: {}", answered.body);
        answered
    }

    /// The call's first webhook.
    async fn ring(&self) -> Answered {
        self.post("/hooks/ivr/twiml", &[("CallStatus", "ringing")]).await
    }

    /// Presses `keys` at the `<Gather>` of `at`.
    async fn press(&self, at: &Answered, keys: &str) -> Answered {
        let action = at.attribute("Gather", "action").expect("a <Gather>");
        self.post(&action, &[("Digits", keys)]).await
    }

    /// Says nothing at `at`: the provider follows its `<Redirect>`.
    async fn silence(&self, at: &Answered) -> Answered {
        self.post(&at.redirect(), &[]).await
    }
}

/// A local server in the provider's place, serving the recording.
async fn recordings() -> String {
    let app = axum::Router::new().route(
        "/Recordings/{sid}",
        axum::routing::get(|| async { ([("content-type", "audio/x-wav")], WAV) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{address}")
}

async fn endings(t: &TestApp, address: &str) -> Vec<(Option<String>, Option<i64>)> {
    let rows = t
        .store
        .conversations_of_address("phone", address)
        .await
        .expect("conversations");
    rows.into_iter().map(|r| (r.end_reason, r.case_id)).collect()
}

/// Validates a VoiceXML document against the vendored W3C schema, never the network.
fn validate_vxml(document: &str) {
    let schemas = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/vxml21");
    let file = tempfile_path("turn.vxml");
    std::fs::write(&file, document).expect("write the document");
    let output = std::process::Command::new("xmllint")
        .args(["--nonet", "--noout", "--schema"])
        .arg(schemas.join("vxml.xsd"))
        .arg(&file)
        .env("XML_CATALOG_FILES", schemas.join("catalog.xml"))
        .output()
        .expect("xmllint runs (Debian's libxml2-utils; scripts/test installs it)");
    assert!(
        output.status.success(),
        "not valid VoiceXML 2.1: {}\n{document}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn tempfile_path(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "tawasul-ivr-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    dir.join(name)
}

on_both! { setup;
    async fn a_new_case_by_phone_in_arabic_with_its_recording_attached(t: &TestApp) {
        let provider = recordings().await;
        let call = Call::new(t, "CA0000000000000000000000000000arab", CALLER);
        let languages = call.ring().await;
        assert!(languages.said().contains("للعربية اضغط 1"), "{}", languages.body);
        assert_eq!(languages.attribute("Gather", "numDigits").as_deref(), Some("1"));
        assert_eq!(languages.attribute("Say", "language").as_deref(), Some("ar-SA"));
        let menu = call.press(&languages, "1").await;
        assert!(menu.said().contains("أهلاً بك"), "{}", menu.body);
        assert_eq!(menu.attribute("Gather", "language").as_deref(), Some("ar-SA"));
        let kinds = call.press(&menu, "1").await;
        let services = call.press(&kinds, "4").await;
        assert!(services.said().contains("إنارة الشوارع"), "{}", services.body);
        let describe = call.press(&services, "2").await;
        let record = describe.attribute("Record", "action").expect("a <Record>");
        assert_eq!(describe.attribute("Record", "finishOnKey").as_deref(), Some("#"));
        assert!(describe.attribute("Record", "maxLength").is_some());
        let recording_url = format!("{provider}/Recordings/RE0001");
        let location = call
            .post(&record, &[("RecordingUrl", &recording_url), ("RecordingDuration", "14"), ("Digits", "#")])
            .await;
        assert!(location.said().contains("1"), "{}", location.body);
        let confirm = call.press(&location, "1").await;
        assert!(confirm.said().contains("تسجيل صوتي") || confirm.said().contains("تسجيل"), "{}", confirm.body);
        let done = call.press(&confirm, "1").await;
        assert!(done.has("Hangup"), "{}", done.body);
        assert!(!done.has("Gather"), "{}", done.body);

        let ended = endings(t, CALLER).await;
        assert_eq!(ended.len(), 1, "{ended:?}");
        assert_eq!(ended[0].0.as_deref(), Some("submitted"));
        let case_id = ended[0].1.expect("the case is linked");
        let reference = t.store.case_reference(case_id).await.expect("read").expect("a reference");
        let case = t.store.case_by_reference(&reference).await.expect("read").expect("the case");
        assert_eq!(case.channel.as_str(), "phone");
        assert_eq!(case.reporter_phone.as_deref(), Some(CALLER));
        assert_eq!(case.language.as_str(), "ar");
        let number = reference.rsplit('-').next().expect("number").trim_start_matches('0');
        let spelled: Vec<String> = number.chars().map(String::from).collect();
        assert!(done.said().contains(&spelled.join(" ")), "the reference digit by digit: {}", done.body);
        let attachments = t.store.attachments(case_id).await.expect("attachments");
        assert_eq!(attachments.len(), 1, "{attachments:?}");
        assert_eq!(attachments[0].mime, "audio/wav");
        assert_eq!(attachments[0].filename, "attachment.wav");
        assert_eq!(attachments[0].size_bytes, WAV.len() as i64);
    }

    async fn status_by_reference_in_english(t: &TestApp) {
        let (reference, _) = t
            .submit(serde_json::json!({"service": "street-light", "kind": "report",
                                       "description": "The street light by the school gate is out"}))
            .await;
        let call = Call::new(t, "CA0000000000000000000000000000engl", "+97333000011");
        let languages = call.ring().await;
        let menu = call.press(&languages, "2").await;
        assert_eq!(menu.attribute("Gather", "language").as_deref(), Some("en-US"));
        let ask = call.press(&menu, "2").await;
        assert_eq!(ask.attribute("Gather", "finishOnKey").as_deref(), Some("#"));
        assert_eq!(ask.attribute("Gather", "input").as_deref(), Some("dtmf"));
        let keys: String = reference.chars().filter(char::is_ascii_digit).collect::<String>();
        let (year, number) = keys.split_at(4);
        let status = call.press(&ask, &format!("{year}{}", number.trim_start_matches('0'))).await;
        assert!(status.said().contains("about Street lights: received, waiting for review"), "{}", status.body);
        assert!(status.said().contains("How can we help you?"), "the menu follows: {}", status.body);
    }

    async fn a_person_is_dialled_on_request(t: &TestApp) {
        let call = Call::new(t, "CA0000000000000000000000000000pers", "+97333000012");
        let languages = call.ring().await;
        let menu = call.press(&languages, "2").await;
        let handed = call.press(&menu, "0").await;
        let doc = handed.doc();
        let number = doc.descendants().find(|n| n.has_tag_name("Number")).expect("<Dial><Number>");
        assert_eq!(number.parent().map(|p| p.tag_name().name()), Some("Dial"));
        assert_eq!(number.text(), Some(AGENT));
        assert!(!handed.has("Gather") && !handed.has("Hangup"), "{}", handed.body);
        assert_eq!(endings(t, "+97333000012").await, vec![(Some("handed_over".into()), None)]);
    }

    async fn silence_and_wrong_keys_are_reprompted_then_a_person_offered_then_a_polite_end(t: &TestApp) {
        let who = "+97333000013";
        let call = Call::new(t, "CA0000000000000000000000000000quie", who);
        let languages = call.ring().await;
        let menu = call.press(&languages, "2").await;
        let wrong = call.press(&menu, "7").await;
        assert!(wrong.said().starts_with("Sorry, that is not one of the choices."), "{}", wrong.body);
        let quiet = call.silence(&wrong).await;
        assert!(quiet.has("Gather"), "re-prompted: {}", quiet.body);
        let offer = call.silence(&quiet).await;
        assert!(offer.said().contains("speak to one of our staff"), "{}", offer.body);
        let ended = call.silence(&offer).await;
        assert!(ended.said().contains("We did not hear from you"), "{}", ended.body);
        assert!(ended.has("Hangup") && !ended.has("Gather"), "{}", ended.body);
        assert_eq!(endings(t, who).await, vec![(Some("no_input".into()), None)]);
    }

    async fn forged_and_missing_signatures_are_refused_and_nothing_is_written(t: &TestApp) {
        let who = "+97333000014";
        let call = Call::new(t, "CA0000000000000000000000000000forg", who);
        let missing = call.post_signed("/hooks/ivr/twiml", &[], None).await;
        assert_eq!(missing.status, 401, "{}", missing.body);
        let forged = call.post_signed("/hooks/ivr/twiml", &[], Some("not-the-token")).await;
        assert_eq!(forged.status, 401, "{}", forged.body);
        let vxml = call.post_signed("/hooks/ivr/vxml", &[], Some("not-the-token")).await;
        assert_eq!(vxml.status, 401, "{}", vxml.body);
        // Signed for other parameters than those sent: a tampered Digits.
        let url = t.url("/hooks/ivr/twiml?on=gather&step=1");
        let signed = signature::sign(TOKEN, &url, &[("CallSid".into(), call.sid.clone()), ("From".into(), who.into()), ("Digits".into(), "1".into())]);
        let tampered = t
            .client
            .post(&url)
            .header("X-Twilio-Signature", signed)
            .form(&[("CallSid", call.sid.as_str()), ("From", who), ("Digits", "0")])
            .send()
            .await
            .expect("answered");
        assert_eq!(tampered.status().as_u16(), 401);
        assert!(endings(t, who).await.is_empty(), "nothing is written");
    }

    async fn a_redelivered_webhook_is_answered_once(t: &TestApp) {
        let who = "+97333000015";
        let call = Call::new(t, "CA0000000000000000000000000000repl", who);
        let languages = call.ring().await;
        let action = languages.attribute("Gather", "action").expect("a <Gather>");
        let menu = call.post(&action, &[("Digits", "2")]).await;
        assert!(menu.said().contains("How can we help you?"), "{}", menu.body);
        let again = call.post(&action, &[("Digits", "2")]).await;
        assert!(again.said().is_empty() && !again.has("Gather"), "{}", again.body);
        let repeat = again.redirect();
        assert!(repeat.contains("on=repeat"), "{repeat}");
        let repeated = call.post(&repeat, &[]).await;
        assert!(repeated.said().contains("How can we help you?"), "the same question, not the next: {}", repeated.body);
        let kinds = call.press(&repeated, "1").await;
        assert!(kinds.said().contains("What would you like to tell us?"), "{}", kinds.body);
    }

    async fn oversized_malformed_and_unsupported_bodies_are_refused(t: &TestApp) {
        let who = "+97333000016";
        let url = t.url("/hooks/ivr/twiml");
        let huge = format!("CallSid=CA1&From=%2B97333000016&SpeechResult={}", "a".repeat(20 * 1024));
        let signature = signature::sign(TOKEN, &url, &form_urlencoded_pairs(&huge));
        let oversized = t
            .client
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("X-Twilio-Signature", signature)
            .body(huge)
            .send()
            .await
            .expect("answered");
        assert_eq!(oversized.status().as_u16(), 413);
        let json = t
            .client
            .post(&url)
            .json(&serde_json::json!({"CallSid": "CA1"}))
            .send()
            .await
            .expect("answered");
        assert_eq!(json.status().as_u16(), 415);
        let not_utf8 = t
            .client
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(&b"CallSid=CA\xff\xfe"[..])
            .send()
            .await
            .expect("answered");
        assert_eq!(not_utf8.status().as_u16(), 400);
        // Signed, but not a call: no CallSid, a hostile CallSid, an unknown step.
        let no_sid = Call::new(t, "", who).post_signed("/hooks/ivr/twiml", &[], Some(TOKEN)).await;
        assert_eq!(no_sid.status, 400, "{}", no_sid.body);
        let hostile = Call::new(t, "CA1'\"><x", who).post_signed("/hooks/ivr/twiml", &[], Some(TOKEN)).await;
        assert_eq!(hostile.status, 400, "{}", hostile.body);
        let call = Call::new(t, "CA0000000000000000000000000000malf", who);
        let step = call.post_signed("/hooks/ivr/twiml?on=gather&step=-1", &[], Some(TOKEN)).await;
        assert_eq!(step.status, 400, "{}", step.body);
        let on = call.post_signed("/hooks/ivr/twiml?on=explode", &[], Some(TOKEN)).await;
        assert_eq!(on.status, 400, "{}", on.body);
        assert!(endings(t, who).await.is_empty(), "nothing is written");
    }

    async fn a_voicexml_call_in_english_makes_its_case_with_the_recording(t: &TestApp) {
        let who = "+97333000017";
        let call = Call::new(t, "CA0000000000000000000000000000vxml", who);
        let languages = call.post("/hooks/ivr/vxml", &[]).await;
        validate_vxml(&languages.body);
        assert!(languages.said().contains("For English, press 2"), "{}", languages.body);
        // The <filled> submit: what the caller keyed.
        let next = |at: &Answered| {
            at.doc()
                .descendants()
                .find(|n| n.has_tag_name("submit") && n.parent().is_some_and(|p| p.has_tag_name("filled")))
                .and_then(|n| n.attribute("next").map(str::to_owned))
                .expect("a <filled> submit")
        };
        let menu = call.post(&next(&languages), &[("Digits", "2")]).await;
        validate_vxml(&menu.body);
        assert_eq!(
            menu.doc().root_element().attribute(("http://www.w3.org/XML/1998/namespace", "lang")),
            Some("en-US")
        );
        // A <noinput> submits to the silence link: the question again.
        let noinput = menu
            .doc()
            .descendants()
            .find(|n| n.has_tag_name("noinput"))
            .and_then(|n| n.children().find(|c| c.has_tag_name("submit")))
            .and_then(|s| s.attribute("next").map(str::to_owned))
            .expect("a <noinput> submit");
        let quiet = call.post(&noinput, &[]).await;
        validate_vxml(&quiet.body);
        assert!(quiet.said().contains("We did not hear you") || quiet.said().contains("How can we help you?"), "{}", quiet.body);
        let kinds = call.post(&next(&quiet), &[("Digits", "1")]).await;
        let services = call.post(&next(&kinds), &[("Digits", "4")]).await;
        validate_vxml(&services.body);
        let describe = call.post(&next(&services), &[("Digits", "2")]).await;
        validate_vxml(&describe.body);
        assert!(describe.has("record"), "{}", describe.body);
        let location = call.record_vxml(&describe).await;
        validate_vxml(&location.body);
        let confirm = call.post(&next(&location), &[("Digits", "1")]).await;
        validate_vxml(&confirm.body);
        let done = call.post(&next(&confirm), &[("Digits", "1")]).await;
        validate_vxml(&done.body);
        assert!(done.has("disconnect"), "{}", done.body);
        let ended = endings(t, who).await;
        assert_eq!(ended[0].0.as_deref(), Some("submitted"), "{ended:?}");
        let case_id = ended[0].1.expect("a case");
        let attachments = t.store.attachments(case_id).await.expect("attachments");
        assert_eq!(attachments.iter().map(|a| a.mime.as_str()).collect::<Vec<_>>(), vec!["audio/wav"]);

        // A person: <transfer> to the agent, valid too.
        let other = Call::new(t, "CA0000000000000000000000000000vxm2", "+97333000018");
        let first = other.post("/hooks/ivr/vxml", &[]).await;
        let menu = other.post(&next(&first), &[("Digits", "1")]).await;
        let handed = other.post(&next(&menu), &[("Digits", "0")]).await;
        validate_vxml(&handed.body);
        assert_eq!(handed.attribute("transfer", "dest").as_deref(), Some(format!("tel:{AGENT}").as_str()));

        // When the agent hangs up, the transfer returns to a form that asks the rating by keys.
        let doc = handed.doc();
        let goto = doc.descendants().find(|n| n.has_tag_name("goto")).expect("a <goto> after the transfer");
        assert_eq!(goto.attribute("next"), Some("#rate"));
        assert!(goto.ancestors().any(|n| n.has_tag_name("transfer")), "in the transfer's <filled>");
        let rate = doc.descendants().find(|n| n.has_tag_name("form") && n.attribute("id") == Some("rate")).expect("the rating form");
        let fields: Vec<&str> = rate.descendants().filter(|n| n.has_tag_name("field")).filter_map(|n| n.attribute("name")).collect();
        assert_eq!(fields, ["AgentScore", "AnswerScore"]);
        let prompts: Vec<&str> = rate.descendants().filter(|n| n.has_tag_name("prompt")).filter_map(|n| n.text()).collect();
        assert!(prompts[0].contains("يرجى تقييم الموظف") && prompts[1].contains("للإجابة التي تلقيتها"), "in the caller's language: {prompts:?}");
        let submit = rate.descendants().find(|n| n.has_tag_name("submit")).expect("the rating is posted");
        assert_eq!(submit.attribute("namelist"), Some("CallSid From Agent AgentScore AnswerScore"));
        let rated = submit.attribute("next").expect("where").to_owned();
        assert!(rated.starts_with("/hooks/ivr/dialled?") && rated.contains("on=rated"), "{rated}");

        // The platform posts it, signed; the exchange named one of our agents.
        Fixtures::new(&t.app).await.staff("cap.agent", Role::Agent, Some("cap")).await;
        let out_of_range = other.post_signed(&rated, &[("Agent", "cap.agent"), ("AgentScore", "7"), ("AnswerScore", "4")], Some(TOKEN)).await;
        assert_eq!(out_of_range.status, 400, "{}", out_of_range.body);
        let forged = other.post_signed(&rated, &[("Agent", "cap.agent"), ("AgentScore", "5"), ("AnswerScore", "4")], Some("not-the-token")).await;
        assert_eq!(forged.status, 401);
        let thanks = other.post(&rated, &[("Agent", "cap.agent"), ("AgentScore", "5"), ("AnswerScore", "4")]).await;
        validate_vxml(&thanks.body);
        assert!(thanks.has("disconnect") && thanks.said().contains("شكراً لتقييمك"), "{}", thanks.body);
        // Redelivered: rated once.
        other.post(&rated, &[("Agent", "cap.agent"), ("AgentScore", "5"), ("AnswerScore", "4")]).await;
        let agent = t.store.staff_by_username("cap.agent").await.expect("read").expect("agent");
        let served: Vec<_> = t.store.conversations_of_address("phone", "+97333000018").await.expect("read")
            .into_iter().filter(|c| c.end_reason.as_deref() == Some("served")).collect();
        assert_eq!(served.len(), 1, "one served call");
        let rating = t.store.agent_rating(served[0].id).await.expect("read").expect("a rating");
        assert_eq!((rating.staff_id, rating.agent_score, rating.answer_score), (agent.id, 5, 4));
        // An agent the exchange did not name, or no agent of ours: goodbye, nothing stored.
        let nobody = Call::new(t, "CA0000000000000000000000000000vxm3", "+97333000019");
        let bye = nobody.post(&rated, &[("Agent", "someone.else"), ("AgentScore", "1"), ("AnswerScore", "1")]).await;
        validate_vxml(&bye.body);
        assert!(bye.said().contains("مع السلامة") && !bye.said().contains("شكراً لتقييمك"), "{}", bye.body);
        assert!(t.store.conversations_of_address("phone", "+97333000019").await.expect("read").is_empty());
    }
}

impl Call<'_> {
    /// The VoiceXML `<record>`'s multipart submit: the recording in the submit itself, signed
    /// over the form's other fields.
    async fn record_vxml(&self, describe: &Answered) -> Answered {
        let recorded = describe.doc();
        let submit = recorded
            .descendants()
            .find(|n| n.has_tag_name("submit") && n.attribute("enctype") == Some("multipart/form-data"))
            .expect("a multipart submit");
        let url = self.t.url(submit.attribute("next").expect("next"));
        let fields: Vec<(String, String)> =
            vec![("CallSid".into(), self.sid.clone()), ("From".into(), self.from.clone())];
        let form = reqwest::multipart::Form::new()
            .text("CallSid", self.sid.clone())
            .text("From", self.from.clone())
            .part(
                "Recording",
                reqwest::multipart::Part::bytes(WAV.to_vec())
                    .file_name("recording.wav")
                    .mime_str("audio/x-wav")
                    .expect("mime"),
            );
        let response = self
            .t
            .client
            .post(&url)
            .header("X-Twilio-Signature", signature::sign(TOKEN, &url, &fields))
            .multipart(form)
            .send()
            .await
            .expect("answered");
        assert_eq!(response.status().as_u16(), 200);
        Answered {
            status: 200,
            body: response.text().await.expect("body"),
        }
    }
}

/// The link a VoiceXML document's `<filled>` submits what the caller keyed to.
fn filled_next(at: &Answered) -> String {
    at.doc()
        .descendants()
        .find(|n| n.has_tag_name("submit") && n.parent().is_some_and(|p| p.has_tag_name("filled")))
        .and_then(|n| n.attribute("next").map(str::to_owned))
        .unwrap_or_else(|| panic!("a <filled> submit: {}", at.body))
}

/// The link a VoiceXML document's `<noinput>` submits to: the caller's silence.
fn noinput_next(at: &Answered) -> String {
    at.doc()
        .descendants()
        .find(|n| n.has_tag_name("noinput"))
        .and_then(|n| n.children().find(|c| c.has_tag_name("submit")))
        .and_then(|s| s.attribute("next").map(str::to_owned))
        .unwrap_or_else(|| panic!("a <noinput> submit: {}", at.body))
}

/// A street-light case and its reference as keys: the year, then the number.
async fn keyed_reference(t: &TestApp) -> String {
    let (reference, _) = t
        .submit(serde_json::json!({"service": "street-light", "kind": "report",
                                   "description": "The street light by the school gate is out"}))
        .await;
    let keys: String = reference.chars().filter(char::is_ascii_digit).collect();
    let (year, number) = keys.split_at(4);
    format!("{year}{}", number.trim_start_matches('0'))
}

on_both! { setup;
    async fn a_new_case_by_phone_in_english_with_its_recording_attached(t: &TestApp) {
        let provider = recordings().await;
        let who = "+97333000020";
        let call = Call::new(t, "CA0000000000000000000000000000enew", who);
        let languages = call.ring().await;
        let menu = call.press(&languages, "2").await;
        assert_eq!(menu.attribute("Say", "language").as_deref(), Some("en-US"));
        let kinds = call.press(&menu, "1").await;
        let services = call.press(&kinds, "4").await;
        assert!(services.said().contains("Street lights"), "{}", services.body);
        let describe = call.press(&services, "2").await;
        let record = describe.attribute("Record", "action").expect("a <Record>");
        let recording_url = format!("{provider}/Recordings/RE0001");
        let location = call
            .post(&record, &[("RecordingUrl", &recording_url), ("RecordingDuration", "9"), ("Digits", "#")])
            .await;
        let confirm = call.press(&location, "1").await;
        let done = call.press(&confirm, "1").await;
        assert!(done.has("Hangup") && done.said().contains("Its reference is"), "{}", done.body);
        let ended = endings(t, who).await;
        assert_eq!(ended[0].0.as_deref(), Some("submitted"), "{ended:?}");
        let case_id = ended[0].1.expect("the case is linked");
        let reference = t.store.case_reference(case_id).await.expect("read").expect("a reference");
        let case = t.store.case_by_reference(&reference).await.expect("read").expect("the case");
        assert_eq!((case.channel.as_str(), case.language.as_str()), ("phone", "en"));
        assert_eq!(t.store.attachments(case_id).await.expect("attachments").len(), 1, "the recording");
    }

    async fn status_by_reference_wrong_keys_silence_and_a_person_in_arabic(t: &TestApp) {
        let keys = keyed_reference(t).await;
        let who = "+97333000021";
        let call = Call::new(t, "CA0000000000000000000000000000arst", who);
        let languages = call.ring().await;
        let menu = call.press(&languages, "1").await;
        let ask = call.press(&menu, "2").await;
        assert_eq!(ask.attribute("Gather", "finishOnKey").as_deref(), Some("#"));
        let status = call.press(&ask, &keys).await;
        assert!(status.said().contains("عن إنارة الشوارع: استُلم وينتظر المراجعة"), "{}", status.body);
        assert!(status.said().contains("كيف نخدمك"), "the menu follows: {}", status.body);
        let wrong = call.press(&status, "7").await;
        assert!(wrong.said().starts_with("عذراً، هذا ليس من الخيارات."), "{}", wrong.body);
        let quiet = call.silence(&wrong).await;
        assert!(quiet.said().starts_with("لم يصلنا اختيارك."), "{}", quiet.body);
        let offer = call.silence(&quiet).await;
        assert!(offer.said().contains("هل تود التحدث إلى أحد موظفينا؟"), "{}", offer.body);
        let ended = call.silence(&offer).await;
        assert!(ended.said().contains("لم يصلنا ردك") && ended.has("Hangup"), "{}", ended.body);
        assert_eq!(endings(t, who).await, vec![(Some("no_input".into()), None)]);

        let other = "+97333000022";
        let call = Call::new(t, "CA0000000000000000000000000000arpe", other);
        let languages = call.ring().await;
        let menu = call.press(&languages, "1").await;
        let handed = call.press(&menu, "0").await;
        assert!(handed.said().contains("سنحولك الآن إلى أحد موظفينا"), "{}", handed.body);
        let number = handed.doc().descendants().find(|n| n.has_tag_name("Number")).and_then(|n| n.text().map(str::to_owned));
        assert_eq!(number.as_deref(), Some(AGENT));
        assert_eq!(endings(t, other).await, vec![(Some("handed_over".into()), None)]);
    }

    async fn voicexml_status_by_reference_in_arabic_and_english(t: &TestApp) {
        let keys = keyed_reference(t).await;
        for (sid, who, language, said) in [
            ("CA0000000000000000000000000000vxsa", "+97333000031", "1", "عن إنارة الشوارع: استُلم وينتظر المراجعة"),
            ("CA0000000000000000000000000000vxse", "+97333000032", "2", "about Street lights: received, waiting for review"),
        ] {
            let call = Call::new(t, sid, who);
            let languages = call.post("/hooks/ivr/vxml", &[]).await;
            let menu = call.post(&filled_next(&languages), &[("Digits", language)]).await;
            let ask = call.post(&filled_next(&menu), &[("Digits", "2")]).await;
            validate_vxml(&ask.body);
            let status = call.post(&filled_next(&ask), &[("Digits", &keys)]).await;
            validate_vxml(&status.body);
            assert!(status.said().contains(said), "{}", status.body);
        }
    }

    async fn a_voicexml_call_in_arabic_makes_its_case_with_the_recording(t: &TestApp) {
        let who = "+97333000035";
        let call = Call::new(t, "CA0000000000000000000000000000vxar", who);
        let languages = call.post("/hooks/ivr/vxml", &[]).await;
        let menu = call.post(&filled_next(&languages), &[("Digits", "1")]).await;
        assert_eq!(
            menu.doc().root_element().attribute(("http://www.w3.org/XML/1998/namespace", "lang")),
            Some("ar-SA")
        );
        let kinds = call.post(&filled_next(&menu), &[("Digits", "1")]).await;
        let services = call.post(&filled_next(&kinds), &[("Digits", "4")]).await;
        assert!(services.said().contains("إنارة الشوارع"), "{}", services.body);
        let describe = call.post(&filled_next(&services), &[("Digits", "2")]).await;
        let location = call.record_vxml(&describe).await;
        let confirm = call.post(&filled_next(&location), &[("Digits", "1")]).await;
        let done = call.post(&filled_next(&confirm), &[("Digits", "1")]).await;
        validate_vxml(&done.body);
        assert!(done.has("disconnect") && done.said().contains("سُجّل طلبك. رقم الطلب هو"), "{}", done.body);
        let ended = endings(t, who).await;
        assert_eq!(ended[0].0.as_deref(), Some("submitted"), "{ended:?}");
        let case_id = ended[0].1.expect("a case");
        let reference = t.store.case_reference(case_id).await.expect("read").expect("a reference");
        let case = t.store.case_by_reference(&reference).await.expect("read").expect("the case");
        assert_eq!((case.channel.as_str(), case.language.as_str()), ("phone", "ar"));
        assert_eq!(t.store.attachments(case_id).await.expect("attachments").len(), 1, "the recording");
    }

    async fn voicexml_wrong_keys_and_silence_in_arabic_and_a_person_in_english(t: &TestApp) {
        let who = "+97333000033";
        let call = Call::new(t, "CA0000000000000000000000000000vxqa", who);
        let languages = call.post("/hooks/ivr/vxml", &[]).await;
        let menu = call.post(&filled_next(&languages), &[("Digits", "1")]).await;
        let wrong = call.post(&filled_next(&menu), &[("Digits", "7")]).await;
        validate_vxml(&wrong.body);
        assert!(wrong.said().starts_with("عذراً، هذا ليس من الخيارات."), "{}", wrong.body);
        let quiet = call.post(&noinput_next(&wrong), &[]).await;
        let offer = call.post(&noinput_next(&quiet), &[]).await;
        validate_vxml(&offer.body);
        assert!(offer.said().contains("هل تود التحدث إلى أحد موظفينا؟"), "{}", offer.body);
        let ended = call.post(&noinput_next(&offer), &[]).await;
        validate_vxml(&ended.body);
        assert!(ended.said().contains("لم يصلنا ردك") && ended.has("disconnect"), "{}", ended.body);
        assert_eq!(endings(t, who).await, vec![(Some("no_input".into()), None)]);

        let other = "+97333000034";
        let call = Call::new(t, "CA0000000000000000000000000000vxpe", other);
        let languages = call.post("/hooks/ivr/vxml", &[]).await;
        let menu = call.post(&filled_next(&languages), &[("Digits", "2")]).await;
        let wrong = call.post(&filled_next(&menu), &[("Digits", "7")]).await;
        assert!(wrong.said().contains("Sorry, that is not one of the choices."), "{}", wrong.body);
        let handed = call.post(&filled_next(&wrong), &[("Digits", "0")]).await;
        validate_vxml(&handed.body);
        assert!(handed.said().contains("putting you through"), "{}", handed.body);
        assert_eq!(handed.attribute("transfer", "dest").as_deref(), Some(format!("tel:{AGENT}").as_str()));
        assert_eq!(endings(t, other).await, vec![(Some("handed_over".into()), None)]);

        // The agent hangs up: the caller rates them in English.
        let doc = handed.doc();
        let rate = doc.descendants().find(|n| n.has_tag_name("form") && n.attribute("id") == Some("rate")).expect("the rating form");
        let prompts: Vec<&str> = rate.descendants().filter(|n| n.has_tag_name("prompt")).filter_map(|n| n.text()).collect();
        assert!(prompts[0].contains("Please rate the staff member") && prompts[1].contains("the answer you received"), "{prompts:?}");
        let rated = rate.descendants().find(|n| n.has_tag_name("submit")).and_then(|n| n.attribute("next")).expect("where").to_owned();
        Fixtures::new(&t.app).await.staff("cap.agent", Role::Agent, Some("cap")).await;
        let thanks = call.post(&rated, &[("Agent", "cap.agent"), ("AgentScore", "3"), ("AnswerScore", "5")]).await;
        validate_vxml(&thanks.body);
        assert!(thanks.said().contains("Thank you for your rating"), "{}", thanks.body);
        let served: Vec<_> = t.store.conversations_of_address("phone", other).await.expect("read")
            .into_iter().filter(|c| c.end_reason.as_deref() == Some("served")).collect();
        let rating = t.store.agent_rating(served[0].id).await.expect("read").expect("a rating");
        assert_eq!((rating.agent_score, rating.answer_score), (3, 5));
    }
}

/// `a=b&c=d` as pairs, as the server reads them.
fn form_urlencoded_pairs(body: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body.as_bytes()).into_owned().collect()
}

#[tokio::test]
async fn the_phone_line_is_off_without_its_token() {
    let t = spawn(Options::on(Backend::Sqlite)).await;
    for hook in ["/hooks/ivr/twiml", "/hooks/ivr/vxml"] {
        let answered = Call::new(&t, "CA1", CALLER).post_signed(hook, &[], Some(TOKEN)).await;
        assert_eq!(answered.status, 404, "{hook}");
    }
}

#[tokio::test]
async fn a_flooding_call_is_refused_with_retry_after() {
    let mut limits = Limits::generous();
    limits.set("messages_per_conversation", "3/min").expect("a rate");
    let t = spawn(Options {
        limits,
        ..options(Backend::Sqlite)
    })
    .await;
    let call = Call::new(&t, "CA0000000000000000000000000000floo", CALLER);
    let mut statuses = vec![];
    for step in 0..6 {
        let link = format!("/hooks/ivr/twiml?on=silence&step={step}");
        statuses.push(call.post_signed(&link, &[], Some(TOKEN)).await.status);
    }
    assert_eq!(&statuses[..3], &[200, 200, 200], "{statuses:?}");
    assert!(statuses[3..].iter().all(|s| *s == 429), "{statuses:?}");
}

#[tokio::test]
async fn the_signature_is_checked_against_the_public_url_when_there_is_one() {
    let t = spawn(Options {
        public_url: Some("https://tawasul.example.gov".into()),
        ..options(Backend::Sqlite)
    })
    .await;
    let params: Vec<(String, String)> = vec![
        ("CallSid".into(), "CA0000000000000000000000000000publ".into()),
        ("From".into(), CALLER.into()),
    ];
    let public = "https://tawasul.example.gov/hooks/ivr/twiml";
    for (signed_for, expected) in [(public.to_owned(), 200), (t.url("/hooks/ivr/twiml"), 401)] {
        let response = t
            .client
            .post(t.url("/hooks/ivr/twiml"))
            .header("X-Twilio-Signature", signature::sign(TOKEN, &signed_for, &params))
            .form(&params)
            .send()
            .await
            .expect("answered");
        assert_eq!(response.status().as_u16(), expected, "signed for {signed_for}");
        if expected == 200 {
            let body = response.text().await.expect("body");
            assert!(
                body.contains("action=\"https://tawasul.example.gov/hooks/ivr/twiml?on=gather&amp;step=1\""),
                "{body}"
            );
        }
    }
}
