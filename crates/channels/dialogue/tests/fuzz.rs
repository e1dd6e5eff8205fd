//! The dialogue engine under random input, against the real application: hundreds of
//! conversations of keys, words in both scripts, commands, silence, hostile text, absurd
//! locations and files at the wrong moment, on both backends. Whatever comes, every message is
//! answered (never an error), every answer says something or leaves the resident with a
//! person, a conversation never stalls (at most three strikes at a stage before a person is
//! offered, and one more ends it), and every case it makes is whole. Deterministic: the seed is
//! fixed and printed with any failure.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use tawasul_channels_dialogue::{After, Answer, Dialogue, Expect, Incoming, Input, Medium};
use tawasul_domain::vocab::Channel;
use tawasul_testkit::fixtures::{Fixtures, ServiceSpec};
use tawasul_testkit::{on_both, spawn, Backend, Options, TestApp};

const CONVERSATIONS: usize = 60;
const TURNS: usize = 40;

async fn setup(backend: Backend) -> TestApp {
    let t = spawn(Options::on(backend)).await;
    let fixtures = Fixtures::new(&t.app).await;
    fixtures
        .capital(json!([
            {"key": "floors", "label_ar": "الطوابق", "label_en": "Floors", "type": "number", "required": true, "min": 1, "max": 9},
            {"key": "since", "label_ar": "منذ", "label_en": "Since", "type": "date", "required": true},
            {"key": "kinds", "label_ar": "الأنواع", "label_en": "Kinds", "type": "multiple_choice", "required": true,
             "options": [{"value": "a", "label_ar": "أ", "label_en": "A"}, {"value": "b", "label_ar": "ب", "label_en": "B"}]}
        ]))
        .await;
    fixtures
        .service(ServiceSpec {
            entity: "cap",
            code: "street-light",
            name: ("إنارة الشوارع", "Street lights"),
            description: ("أعمدة إنارة معطلة", "Street lights out of order"),
            kinds: &["report", "complaint", "suggestion", "inquiry", "compliment"],
            department: "water",
            fields: json!([]),
        })
        .await;
    t
}

fn random_input(rng: &mut StdRng) -> Input {
    const WORDS: [&str; 22] = [
        "1",
        "2",
        "3",
        "4",
        "5",
        "7",
        "8",
        "9",
        "0",
        "*",
        "#",
        "١",
        "٣",
        "back",
        "رجوع",
        "repeat",
        "موظف",
        "انارة",
        "water leak",
        "TW-2026-0000001",
        "05-12-2026",
        "1، 2",
    ];
    match rng.gen_range(0..100) {
        // Mostly the first choice, so that many conversations get as far as a case.
        0..=34 => Input::Text("1".into()),
        35..=59 => Input::Text(WORDS[rng.gen_range(0..WORDS.len())].into()),
        60..=69 => Input::Text("تسرب مياه كبير من الأنبوب أمام المنزل منذ الصباح".into()),
        70..=74 => Input::Silence,
        75..=77 => Input::Start,
        78..=80 => Input::Text("\u{202e}<script>alert(1)</script>\u{0}".into()),
        81..=82 => Input::Text("ب".repeat(rng.gen_range(0..6_000))),
        83..=85 => Input::Location {
            lat: [26.22, f64::NAN, 400.0, -90.0][rng.gen_range(0..4)],
            lon: [50.58, f64::INFINITY, 0.0][rng.gen_range(0..3)],
            address: Some("🙂".repeat(rng.gen_range(0..50))),
        },
        86..=88 => Input::Media { url: "12345".into() },
        89..=91 => Input::Recording {
            url: "http://127.0.0.1:9/r.wav".into(),
        },
        _ => Input::Text(String::new()),
    }
}

on_both! { setup;
    async fn random_conversations_are_always_answered_and_never_stall(t: &TestApp) {
        let seed = 20_261_205;
        let mut rng = StdRng::seed_from_u64(seed);
        let d = Dialogue::new(t.app.clone());
        let mut cases = 0;
        for n in 0..CONVERSATIONS {
            let (channel, medium) = [(Channel::Sms, Medium::Text), (Channel::Whatsapp, Medium::Buttons),
                (Channel::Phone, Medium::Voice), (Channel::Chat, Medium::Buttons)][n % 4];
            let address = format!("+9733{:07}", n);
            let mut same_stage_answers = 0;
            let mut last_lines: Vec<String> = vec![];
            for turn in 0..TURNS {
                let input = random_input(&mut rng);
                let incoming = Incoming { channel, address: address.clone(), medium, input: input.clone(), message_id: None, fetch: None };
                let answer = d.respond(incoming).await.unwrap_or_else(|e| panic!("seed {seed}, conversation {n}, turn {turn}, {input:?}: {e}"));
                let Answer::Reply(reply) = answer else { panic!("seed {seed}: a message without id was taken as a redelivery") };
                let with_person = reply.after == After::HandOver && channel != Channel::Phone;
                assert!(!reply.lines.is_empty() || with_person, "seed {seed}, conversation {n}, turn {turn}, {input:?}: said nothing");
                if reply.after == After::Continue {
                    assert_ne!(reply.expect, Expect::Nothing, "seed {seed}: a conversation that goes on expects something");
                }
                // The same question over and over means strikes are not counted.
                if reply.lines == last_lines && !with_person { same_stage_answers += 1 } else { same_stage_answers = 0 }
                assert!(same_stage_answers < 6, "seed {seed}, conversation {n}: the same answer {same_stage_answers} times: {reply:?}");
                last_lines = reply.lines.clone();
            }
        }
        // Whatever cases were made are whole: a service, a kind, a description of their own.
        for n in 0..CONVERSATIONS {
            for conversation in t.store.conversations_of_address(["sms", "whatsapp", "phone", "chat"][n % 4], &format!("+9733{:07}", n)).await.expect("read") {
                if let Some(case_id) = conversation.case_id {
                    cases += 1;
                    let reference = t.store.case_reference(case_id).await.expect("read").expect("a case");
                    let case = t.store.case_by_reference(&reference).await.expect("read").expect("the case");
                    assert!(!case.description.trim().is_empty());
                }
            }
        }
        println!("seed {seed}: {cases} cases made in {CONVERSATIONS} random conversations");
        assert!(cases > 0, "random conversations that never make a case test too little");
    }
}
