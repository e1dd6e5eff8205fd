//! The dialogue engine against the real application, on both backends: transcripts of a
//! resident's conversation in Arabic and English (a new case end to end, the status of a
//! reference, a person, invalid input and silence), the state surviving a second node, a
//! redelivered message answered once, and a flood refused.

use serde_json::json;
use tawasul_app::conversations::ConversationsError;
use tawasul_app::identity::auth::Credentials;
use tawasul_app::identity::limits::Client;
use tawasul_app::identity::limits::Limits;
use tawasul_app::identity::second_factor::SignIn;
use tawasul_app::{App, Settings};
use tawasul_channels_dialogue::{After, Answer, Dialogue, Expect, Incoming, Input, Medium, Reply};
use tawasul_domain::intake::IntakeDraft;
use tawasul_domain::vocab::Channel;
use tawasul_domain::vocab::Role;
use tawasul_testkit::fixtures::{Fixtures, ServiceSpec, PASSWORD};
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
        // The transcript keeps what a key chose, not the key.
        let id = t.store.conversations_of_address("sms", PHONE).await.expect("read")[0].id;
        let heard: Vec<String> = t.store.transcript(id, 0, 100).await.expect("read").into_iter()
            .filter(|l| l.direction == "in").map(|l| l.body).collect();
        assert_eq!(heard[..5], ["مرحبا", "العربية", "تقديم بلاغ أو شكوى أو اقتراح جديد", "بلاغ عن مشكلة", "تسرب مياه"]);

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
        assert!(said(&done).contains(&format!("2 0 2 6, {}", spelled.join(" "))), "read out in English, with an English pause: {done:?}");
    }

    async fn a_person_on_request_and_after_two_reprompts(t: &TestApp) {
        let d = Dialogue::new(t.app.clone());
        sms(&d, "+97333000001", Input::Start).await;
        sms(&d, "+97333000001", text("2")).await;
        let handed = sms(&d, "+97333000001", text("agent")).await;
        assert_eq!(handed.after, After::HandOver, "the SMS waits in the staff's chat queue");
        assert!(said(&handed).contains("One of our staff will answer you here"), "{handed:?}");
        assert_eq!(conversation(t, "sms", "+97333000001").await, vec![(None, None)], "open, for the person");
        let waiting = t.store.open_conversation("sms", "+97333000001").await.expect("read").expect("open");
        assert!(waiting.waiting_since.is_some(), "in the queue");

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

on_both! { setup;
    async fn a_live_chat_waits_for_a_person_who_answers_makes_a_case_and_is_rated(t: &TestApp) {
        let fixtures = Fixtures::new(&t.app).await;
        fixtures.staff("cap.agent", Role::Agent, Some("cap")).await;
        fixtures.staff("cap.other", Role::Agent, Some("cap")).await;
        fixtures.staff("cap.inspector", Role::Inspector, Some("cap")).await;
        let user = |name: &'static str| async move {
            let credentials = Credentials { username: name.into(), password: PASSWORD.into() };
            match t.app.login(credentials, &Client::default()).await.expect("signed in") {
                SignIn::Done(_, user) => user,
                SignIn::SecondStep(_) => panic!("no second factor here"),
            }
        };
        let (agent, other, inspector) = (user("cap.agent").await, user("cap.other").await, user("cap.inspector").await);

        let d = Dialogue::new(t.app.clone());
        let chat = |input| turn(&d, Channel::Chat, Medium::Buttons, "web:session-1", input, None);
        chat(Input::Start).await;
        chat(text("1")).await;
        let waiting = chat(text("3")).await;
        assert_eq!(waiting.after, After::HandOver);
        assert!(said(&waiting).contains("سيتواصل معك أحد موظفينا هنا"), "{waiting:?}");
        let quiet = chat(text("عندي سؤال عن فاتورة المياه")).await;
        assert!(quiet.lines.is_empty(), "the engine leaves the resident to the person: {quiet:?}");

        assert!(t.app.chat_queue(&inspector).await.is_err(), "inspectors answer no chats");
        let queue = t.app.chat_queue(&agent).await.expect("the queue");
        assert_eq!(queue.len(), 1);
        let id = queue[0].conversation.id;
        assert!(queue[0].conversation.waiting_since.is_some());
        assert_eq!(queue[0].last_line.as_deref(), Some("عندي سؤال عن فاتورة المياه"));

        assert!(t.app.agent_says(&agent, id, "أهلاً").await.is_err(), "not before picking it up");
        t.app.pick_up_chat(&agent, id).await.expect("picked up");
        assert!(matches!(t.app.pick_up_chat(&other, id).await, Err(ConversationsError::Taken)));
        assert!(t.app.agent_says(&other, id, "أهلاً").await.is_err(), "only the agent who has it");
        let line = t.app.agent_says(&agent, id, "أهلاً بك، كيف أساعدك؟").await.expect("said");
        assert!(t.app.agent_says(&agent, id, "\u{202e}evil").await.is_err(), "direction overrides are refused");

        let seen = t.app.chat_for_resident("web:session-1", line - 1).await.expect("read").expect("the chat");
        assert_eq!(seen.lines.iter().map(|l| l.body.as_str()).collect::<Vec<_>>(), vec!["أهلاً بك، كيف أساعدك؟"]);
        assert_eq!(seen.lines[0].direction, "agent");

        let draft: IntakeDraft = serde_json::from_value(json!({
            "service": "street-light", "kind": "complaint", "description": "عمود إنارة مطفأ منذ أسبوع أمام المدرسة"}))
            .expect("a draft");
        let reference = t.app.case_from_chat(&agent, id, draft.clone()).await.expect("a case");
        assert_eq!(t.app.case_from_chat(&agent, id, draft).await.expect("again"), reference, "one case");
        let case = t.store.case_by_reference(&reference).await.expect("read").expect("the case");
        assert_eq!(case.channel.as_str(), "chat");

        assert!(t.app.rate_agent("web:session-1", id, 5, 4).await.is_ok(), "a chat being served may be rated");
        t.app.end_chat(&agent, id).await.expect("ended");
        let over = t.app.chat_for_resident("web:session-1", 0).await.expect("read").expect("the chat");
        assert!(!over.may_rate, "rated once already");
        assert!(matches!(t.app.rate_agent("web:session-1", id, 1, 1).await, Err(ConversationsError::Taken)));
        assert!(t.app.rate_agent("web:another", id, 5, 5).await.is_err(), "only the resident of the chat");
        assert_eq!(conversation(t, "chat", "web:session-1").await, vec![(Some("served".into()), Some(case.id))]);
        let rating = t.store.agent_rating(id).await.expect("read").expect("the rating");
        assert_eq!((rating.staff_id, rating.agent_score, rating.answer_score, rating.case_id), (agent.id, 5, 4, Some(case.id)));
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
