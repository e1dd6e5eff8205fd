//! The dialogue engine against the real application, on both backends: transcripts of a
//! resident's conversation in Arabic and English (a new case end to end, the status of a
//! reference, a person, invalid input and silence), the state surviving a second node, a
//! redelivered message answered once, and a flood refused.

use serde_json::json;
use tawasul_app::identity::limits::Limits;
use tawasul_app::{App, Settings};
use tawasul_channels_dialogue::{After, Answer, Dialogue, Expect, Incoming, Input, Medium, Reply};
use tawasul_domain::vocab::Channel;
use tawasul_testkit::fixtures::{Fixtures, ServiceSpec};
use tawasul_testkit::{on_both, spawn, Backend, Options, TestApp};

const PHONE: &str = "+97333123456";

async fn setup(backend: Backend) -> TestApp {
    let t = spawn(Options::on(backend)).await;
    let form = json!([
        {"key": "source", "label_ar": "المصدر", "label_en": "Source", "type": "single_choice", "required": true,
         "options": [{"value": "pipe", "label_ar": "أنبوب", "label_en": "A pipe"}, {"value": "tank", "label_ar": "خزان", "label_en": "A tank"}]},
        {"key": "note", "label_ar": "ملاحظة", "label_en": "Note", "type": "text"},
        {"key": "floors", "label_ar": "عدد الطوابق المتأثرة", "label_en": "Floors affected", "type": "number", "required": true, "min": 1, "max": 50}
    ]);
    let fixtures = Fixtures::new(&t.app).await;
    fixtures.capital(form).await;
    fixtures
        .service(ServiceSpec {
            entity: "cap",
            code: "street-light",
            name: ("إنارة الشوارع", "Street lights"),
            description: ("أعمدة إنارة معطلة", "Street lights out of order"),
            kinds: &["report", "complaint"],
            department: "water",
            fields: json!([]),
        })
        .await;
    t
}

/// One message from `address` on SMS.
async fn sms(d: &Dialogue, address: &str, input: Input) -> Reply {
    turn(d, Channel::Sms, Medium::Text, address, input, None).await
}

async fn turn(d: &Dialogue, channel: Channel, medium: Medium, address: &str, input: Input, id: Option<&str>) -> Reply {
    let incoming = Incoming {
        channel,
        address: address.into(),
        medium,
        input,
        message_id: id.map(str::to_owned),
        fetch: None,
    };
    match d.respond(incoming).await.expect("the dialogue answers") {
        Answer::Reply(reply) => reply,
        Answer::Replayed => panic!("answered as a redelivery"),
    }
}

fn text(s: &str) -> Input {
    Input::Text(s.into())
}

fn said(reply: &Reply) -> String {
    reply.lines.join("\n")
}

/// The open conversation's ending and state, read straight from the database.
async fn conversation(t: &TestApp, channel: &str, address: &str) -> Vec<(Option<String>, Option<i64>)> {
    let rows = t
        .store
        .conversations_of_address(channel, address)
        .await
        .expect("conversations");
    rows.into_iter().map(|r| (r.end_reason, r.case_id)).collect()
}

on_both! { setup;
    async fn a_new_case_by_sms_in_arabic_end_to_end(t: &TestApp) {
        let d = Dialogue::new(t.app.clone());
        let first = sms(&d, PHONE, text("مرحبا")).await;
        assert_eq!(first.expect, Expect::Choice);
        assert!(said(&first).contains("1. العربية") && said(&first).contains("2. English"), "{first:?}");

        let menu = sms(&d, PHONE, text("١")).await;
        assert_eq!(menu.language, "ar");
        assert!(said(&menu).contains("أهلاً بك") && said(&menu).contains("2. الاستعلام عن بلاغ برقمه"), "{menu:?}");

        let kinds = sms(&d, PHONE, text("1")).await;
        assert!(said(&kinds).contains("4. بلاغ عن مشكلة"), "{kinds:?}");
        let services = sms(&d, PHONE, text("4")).await;
        assert!(said(&services).contains("1. تسرب مياه") && said(&services).contains("2. إنارة الشوارع"), "{services:?}");
        assert!(said(&services).contains("7. وصف الموضوع بكلماتك"), "{services:?}");

        // The service's required questions, in order; the optional one is not asked.
        let source = sms(&d, PHONE, text("1")).await;
        assert!(said(&source).contains("المصدر") && said(&source).contains("2. خزان"), "{source:?}");
        let floors = sms(&d, PHONE, text("2")).await;
        assert!(said(&floors).contains("عدد الطوابق المتأثرة"), "{floors:?}");
        let out_of_range = sms(&d, PHONE, text("٩٩")).await;
        assert!(said(&out_of_range).contains("لا تصلح"), "{out_of_range:?}");
        let describe = sms(&d, PHONE, text("٣")).await;
        assert_eq!(describe.expect, Expect::Text);
        let short = sms(&d, PHONE, text("تسرب")).await;
        assert!(said(&short).contains("وصفاً أطول"), "{short:?}");
        let location = sms(&d, PHONE, text("تسرب مياه من خزان السطح يغرق الدرج منذ الصباح")).await;
        assert_eq!(location.expect, Expect::Location);
        let confirm = sms(&d, PHONE, text("شارع الملك فيصل، مبنى 12")).await;
        assert!(said(&confirm).contains("بلاغ عن مشكلة عن «تسرب مياه»"), "{confirm:?}");
        let done = sms(&d, PHONE, text("1")).await;
        assert_eq!(done.after, After::End);
        let reference = said(&done)
            .split_whitespace()
            .find(|w| w.starts_with("TW-"))
            .expect("the reference is given")
            .trim_end_matches('.')
            .to_owned();

        let case = t.store.case_by_reference(&reference).await.expect("read").expect("the case exists");
        assert_eq!(case.channel.as_str(), "sms");
        assert_eq!(case.reporter_phone.as_deref(), Some(PHONE));
        assert_eq!(case.language.as_str(), "ar");
        assert_eq!(case.address.as_deref(), Some("شارع الملك فيصل، مبنى 12"));
        let answers: serde_json::Value = serde_json::from_str(&case.answers).expect("answers");
        assert_eq!(answers, json!({"source": "tank", "floors": 3.0}));
        assert_eq!(conversation(t, "sms", PHONE).await, vec![(Some("submitted".into()), Some(case.id))]);

        // The next message begins a new conversation.
        let again = sms(&d, PHONE, text("مرحبا")).await;
        assert!(said(&again).contains("1. العربية"), "{again:?}");
    }

    async fn status_by_reference_in_english_then_the_menu_again(t: &TestApp) {
        let (reference, _) = t
            .submit(json!({"service": "water-leak", "kind": "report", "description": "Water leaking near the school gate",
                           "answers": {"source": "pipe", "floors": 1}}))
            .await;
        let d = Dialogue::new(t.app.clone());
        sms(&d, PHONE, Input::Start).await;
        sms(&d, PHONE, text("English")).await;
        let ask = sms(&d, PHONE, text("2")).await;
        assert!(said(&ask).contains("reference"), "{ask:?}");
        let unknown = sms(&d, PHONE, text("TW-2026-9999999")).await;
        assert!(said(&unknown).contains("no case with this reference"), "{unknown:?}");
        let status = sms(&d, PHONE, text(&reference.to_lowercase().replace('-', " "))).await;
        assert!(
            said(&status).contains(&format!("Case {reference} about \"Water leak\": received, waiting for review")),
            "{status:?}"
        );
        assert!(said(&status).contains("1. a new report"), "the menu follows: {status:?}");
    }

    async fn the_phone_line_says_the_reference_digit_by_digit(t: &TestApp) {
        let d = Dialogue::new(t.app.clone());
        let call = |input| turn(&d, Channel::Phone, Medium::Voice, PHONE, input, None);
        let languages = call(Input::Start).await;
        assert!(said(&languages).contains("للعربية اضغط 1") && said(&languages).contains("For English, press 2"));
        call(text("2")).await;
        call(text("1")).await;
        let services = call(text("4")).await;
        assert!(said(&services).contains("For Street lights, press 2."), "{services:?}");
        let describe = call(text("2")).await;
        assert_eq!(describe.expect, Expect::Recording);
        let location = call(Input::Recording { url: "http://127.0.0.1:9/recording.wav".into() }).await;
        assert!(said(&location).contains("press 1 to skip"), "{location:?}");
        let confirm = call(text("1")).await;
        assert!(said(&confirm).contains("voice recording"), "{confirm:?}");
        let done = call(text("1")).await;
        let reference = done.lines.iter().find_map(|l| l.split_whitespace().find(|w| w.starts_with("TW-")));
        assert_eq!(reference, None, "a reference is not read out as letters: {done:?}");
        let case = t.store.conversations_of_address("phone", PHONE).await.expect("read")[0].case_id.expect("a case");
        let reference = t.store.case_reference(case).await.expect("read").expect("the reference");
        let number = reference.rsplit('-').next().expect("number").trim_start_matches('0');
        let spelled: Vec<String> = number.chars().map(String::from).collect();
        assert!(said(&done).contains(&format!("2 0 2 6، {}", spelled.join(" "))), "{done:?}");
    }

    async fn a_person_on_request_and_after_two_reprompts(t: &TestApp) {
        let d = Dialogue::new(t.app.clone());
        sms(&d, "+97333000001", Input::Start).await;
        sms(&d, "+97333000001", text("2")).await;
        let handed = sms(&d, "+97333000001", text("agent")).await;
        assert_eq!(handed.after, After::HandOver);
        assert_eq!(conversation(t, "sms", "+97333000001").await, vec![(Some("handed_over".into()), None)]);

        // Invalid, invalid, invalid: re-prompted twice, then a person is offered; declined,
        // the question comes back.
        let who = "+97333000002";
        sms(&d, who, Input::Start).await;
        sms(&d, who, text("2")).await;
        let first = sms(&d, who, text("banana")).await;
        assert!(said(&first).starts_with("Sorry, that is not one of the choices."), "{first:?}");
        sms(&d, who, text("42")).await;
        let offer = sms(&d, who, text("?")).await;
        assert!(said(&offer).contains("speak to one of our staff"), "{offer:?}");
        let declined = sms(&d, who, text("2")).await;
        assert!(said(&declined).contains("How can we help you?"), "{declined:?}");
        // Silence three times, then once more at the offer: the conversation ends, saying why.
        for _ in 0..3 {
            sms(&d, who, Input::Silence).await;
        }
        let ended = sms(&d, who, Input::Silence).await;
        assert_eq!(ended.after, After::End);
        assert!(said(&ended).contains("We did not hear from you"), "{ended:?}");
        assert_eq!(conversation(t, "sms", who).await, vec![(Some("no_input".into()), None)]);
    }

    async fn words_instead_of_a_menu_and_back(t: &TestApp) {
        let d = Dialogue::new(t.app.clone());
        let who = "+97333000003";
        sms(&d, who, Input::Start).await;
        sms(&d, who, text("1")).await;
        sms(&d, who, text("1")).await;
        sms(&d, who, text("1")).await;
        let pick = sms(&d, who, text("انارة")).await;
        assert!(said(&pick).contains("1. إنارة الشوارع"), "{pick:?}");
        let back = sms(&d, who, text("رجوع")).await;
        assert!(said(&back).contains("اختر الخدمة"), "{back:?}");
        let back = sms(&d, who, text("*")).await;
        assert!(said(&back).contains("ما الذي تود تقديمه"), "{back:?}");
        let repeat = sms(&d, who, text("9")).await;
        assert!(said(&repeat).contains("ما الذي تود تقديمه"), "{repeat:?}");
    }

    async fn a_second_node_continues_the_conversation(t: &TestApp) {
        let d = Dialogue::new(t.app.clone());
        let who = "+97333000004";
        sms(&d, who, Input::Start).await;
        sms(&d, who, text("2")).await;
        let other = App::open(Settings {
            data_dir: t.data_dir.path().to_path_buf(),
            database_url: t.database_url.clone(),
            limits: Limits::generous(),
            ..Settings::default()
        })
        .await
        .expect("a second node");
        let second = Dialogue::new(other);
        let kinds = sms(&second, who, text("1")).await;
        assert_eq!(kinds.language, "en");
        assert!(said(&kinds).contains("What would you like to tell us?"), "{kinds:?}");
    }

    async fn a_redelivered_message_is_answered_once(t: &TestApp) {
        let d = Dialogue::new(t.app.clone());
        let who = "+97333000005";
        turn(&d, Channel::Whatsapp, Medium::Buttons, who, Input::Start, Some("wamid.1")).await;
        let menu = turn(&d, Channel::Whatsapp, Medium::Buttons, who, text("1"), Some("wamid.2")).await;
        assert_eq!(menu.choices.len(), 4, "buttons: {menu:?}");
        assert!(!said(&menu).contains("1. "), "buttons are not written out: {menu:?}");
        let again = d
            .respond(Incoming {
                channel: Channel::Whatsapp,
                address: who.into(),
                medium: Medium::Buttons,
                input: text("1"),
                message_id: Some("wamid.2".into()),
                fetch: None,
            })
            .await
            .expect("answered");
        assert!(matches!(again, Answer::Replayed), "{again:?}");
        let kinds = turn(&d, Channel::Whatsapp, Medium::Buttons, who, text("1"), Some("wamid.3")).await;
        assert!(said(&kinds).contains("ما الذي تود تقديمه"), "one step on, not two: {kinds:?}");
    }
}

/// A flood of messages from one resident is refused before it is read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_is_refused() {
    let mut limits = Limits::generous();
    limits.set("messages_per_conversation", "5/min").expect("a rate");
    let t = spawn(Options {
        limits,
        ..Options::on(Backend::Sqlite)
    })
    .await;
    let d = Dialogue::new(t.app.clone());
    let mut refused = 0;
    for _ in 0..12 {
        let incoming = Incoming {
            channel: Channel::Sms,
            address: PHONE.into(),
            medium: Medium::Text,
            input: text("1"),
            message_id: None,
            fetch: None,
        };
        if let Err(e) = d.respond(incoming).await {
            assert!(e.to_string().contains("too many messages"), "{e}");
            refused += 1;
        }
    }
    assert!(refused >= 6, "refused {refused} of 12");
}
