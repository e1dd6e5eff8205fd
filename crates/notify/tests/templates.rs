//! The embedded templates: complete in every language, rendering the payloads the app writes.

use serde_json::{json, Value};
use tawasul_notify::{TemplateError, Templates};

const REFERENCE: &str = "TW-2026-0000123";

/// Every template, with a payload that gives all its arguments, optional ones included.
fn samples() -> Vec<(&'static str, Value)> {
    vec![
        ("one_time_code", json!({ "code": "048213", "minutes": 10 })),
        (
            "case_received",
            json!({
                "reference": REFERENCE, "service_ar": "صيانة الطرق", "service_en": "Road maintenance",
                "track_url": "https://tawasul.example.gov/track/Zm9v",
            }),
        ),
        ("case_acknowledged", json!({ "reference": REFERENCE })),
        (
            "case_received_mail",
            json!({ "reference": REFERENCE, "service_ar": "صيانة الطرق", "service_en": "Road maintenance", "track_url": "https://tawasul.example.gov/track/TW-2026-0000123?token=abc" }),
        ),
        (
            "case_assigned",
            json!({ "reference": REFERENCE, "department_ar": "إدارة الطرق", "department_en": "Roads Directorate" }),
        ),
        (
            "case_transferred",
            json!({ "reference": REFERENCE, "entity_ar": "وزارة الأشغال", "entity_en": "Ministry of Works" }),
        ),
        (
            "case_waiting_on_you",
            json!({ "reference": REFERENCE, "message": "يرجى إرفاق صورة للموقع." }),
        ),
        (
            "case_reply",
            json!({ "reference": REFERENCE, "message": "تمت جدولة الزيارة يوم الأحد." }),
        ),
        (
            "case_resolved",
            json!({ "reference": REFERENCE, "resolution": "تم إصلاح الحفرة وإعادة رصف الطريق." }),
        ),
        (
            "case_rejected",
            json!({ "reference": REFERENCE, "reason": "البلاغ خارج نطاق اختصاص الجهة." }),
        ),
        (
            "case_merged",
            json!({ "reference": "TW-2026-0000140", "into": REFERENCE }),
        ),
        ("case_reopened", json!({ "reference": REFERENCE })),
        ("case_closed", json!({ "reference": REFERENCE })),
        ("case_escalated", json!({ "reference": REFERENCE, "level": 2 })),
        (
            "escalation_received",
            json!({ "reference": "TW-2026-0000140", "original_reference": REFERENCE }),
        ),
        (
            "staff_escalation",
            json!({ "reference": REFERENCE, "level": 1, "due": "2026-03-01 12:00" }),
        ),
        (
            "kpi_missed",
            json!({ "entity_ar": "أمانة العاصمة", "entity_en": "Capital", "kpi": "within_sla", "value": "82.5", "target": "90", "period": "2026-11" }),
        ),
        (
            "staff_ignored_complaint",
            json!({ "reference": "TW-2026-0000140", "original_reference": REFERENCE }),
        ),
        ("chat_reply", json!({ "message": "سنرسل فريق الصيانة خلال ساعة" })),
        ("agent_rating", json!({})),
    ]
}

#[test]
fn an_agents_line_in_a_conversation_is_their_words_alone() {
    let templates = Templates::embedded();
    for language in ["ar", "en"] {
        let rendered = templates
            .render("chat_reply", language, &json!({ "message": "A crew is on its way" }))
            .expect("renders");
        assert_eq!(
            rendered.body, "A crew is on its way",
            "{language}: no greeting, no signature"
        );
    }
    let signed = templates
        .render("case_reply", "en", &json!({ "reference": REFERENCE, "message": "x" }))
        .expect("renders");
    assert!(
        signed.body.ends_with("Tawasul"),
        "other messages keep theirs: {}",
        signed.body
    );
}

#[test]
fn the_rating_question_carries_five_answers_in_each_language() {
    let templates = Templates::embedded();
    for (language, first, last) in [("ar", "ضعيف جدًا", "ممتاز"), ("en", "Very poor", "Excellent")] {
        let rendered = templates.render("agent_rating", language, &json!({})).expect("renders");
        assert_eq!(rendered.choices.len(), 5, "{language}: {rendered:?}");
        assert_eq!(
            (rendered.choices[0].as_str(), rendered.choices[4].as_str()),
            (first, last)
        );
        assert!(
            rendered.body.contains('1') && rendered.body.contains('5'),
            "the number to send: {}",
            rendered.body
        );
    }
    let plain = templates
        .render("chat_reply", "en", &json!({ "message": "x" }))
        .expect("renders");
    assert!(plain.choices.is_empty(), "other messages have none");
}

#[test]
fn every_template_is_in_every_language_and_renders_with_its_arguments() {
    let templates = Templates::embedded();
    let languages = templates.languages();
    assert!(
        languages.contains(&"ar".to_owned()) && languages.contains(&"en".to_owned()),
        "{languages:?}"
    );
    for language in &languages {
        for (template, payload) in samples() {
            let rendered = templates.render(template, language, &payload).expect("renders");
            let what = format!("{template} in {language}");
            assert_eq!(
                &rendered.language, language,
                "{what}: has both a subject and a body in its own file"
            );
            assert!(
                !rendered.subject.is_empty() && !rendered.subject.contains('\n'),
                "{what}: {rendered:?}"
            );
            for text in [&rendered.subject, &rendered.body] {
                assert!(
                    !text.contains('{') && !text.contains("ISOLATE"),
                    "{what}: an argument is missing: {text}"
                );
            }
            for key in ["reference", "original_reference", "track_url", "code"] {
                if let Some(value) = payload.get(key).and_then(Value::as_str) {
                    assert!(
                        rendered.body.contains(value),
                        "{what}: the body shows {key}: {}",
                        rendered.body
                    );
                }
            }
        }
    }
}

#[test]
fn the_files_define_exactly_the_known_templates() {
    let mut known: Vec<&str> = samples().iter().map(|(template, _)| *template).collect();
    known.sort_unstable();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("messages");
    let files = std::fs::read_dir(&dir).expect("messages/");
    let mut count = 0;
    for file in files {
        let path = file.expect("entry").path();
        let source = std::fs::read_to_string(&path).expect("readable");
        let mut defined: Vec<&str> = source
            .lines()
            .filter_map(|line| line.split_once("-subject =").map(|(template, _)| template))
            .collect();
        defined.sort_unstable();
        assert_eq!(defined, known, "{}", path.display());
        count += 1;
    }
    assert_eq!(count, Templates::embedded().languages().len(), "every file is embedded");
}

#[test]
fn arabic_reads_naturally_with_numbers_and_links_as_they_are() {
    let templates = Templates::embedded();
    let rendered = templates
        .render("case_received", "ar", &samples()[1].1)
        .expect("renders");
    assert_eq!(rendered.subject, "تم استلام بلاغكم رقم TW-2026-0000123");
    assert_eq!(
        rendered.body,
        "تحية طيبة وبعد،\n\n\
         نشكركم على تواصلكم معنا، ونفيدكم بأنه تم استلام بلاغكم بخصوص خدمة «صيانة الطرق»، وقد قُيّد برقم TW-2026-0000123.\n\
         سيتولى الفريق المختص دراسة البلاغ، وسنوافيكم بالمستجدات تباعًا.\n\n\
         يمكنكم متابعة حالة البلاغ عبر الرابط التالي:\n\
         https://tawasul.example.gov/track/Zm9v\n\n\
         مع خالص التحية،\n\
         منصة تواصل"
    );
    let code = templates
        .render("one_time_code", "ar", &json!({ "code": "048213", "minutes": 10 }))
        .expect("renders");
    assert!(
        code.body.starts_with("رمز التحقق الخاص بكم هو: 048213\n"),
        "no invisible marks around the code"
    );
    let minutes = |n: i64| {
        let body = templates
            .render("one_time_code", "ar", &json!({ "code": "1", "minutes": n }))
            .expect("renders")
            .body;
        body.lines().nth(2).expect("a third line").to_owned()
    };
    assert!(minutes(1).contains("لمدة دقيقة واحدة فقط"), "{}", minutes(1));
    assert!(minutes(2).contains("لمدة دقيقتين فقط"), "{}", minutes(2));
    assert!(minutes(10).contains("لمدة 10 دقائق فقط"), "{}", minutes(10));
    assert!(minutes(15).contains("لمدة 15 دقيقة فقط"), "{}", minutes(15));
    let english = templates
        .render("one_time_code", "en", &json!({ "code": "1", "minutes": 1 }))
        .expect("renders");
    assert!(english.body.contains("valid for 1 minute."), "{}", english.body);
}

#[test]
fn free_text_keeps_its_own_direction_and_nothing_else_is_isolated() {
    let templates = Templates::embedded();
    let payload = json!({ "reference": REFERENCE, "resolution": "Pothole filled." });
    let rendered = templates.render("case_resolved", "ar", &payload).expect("renders");
    assert!(
        rendered.body.contains("\n\u{2068}Pothole filled.\u{2069}\n"),
        "{}",
        rendered.body
    );
    assert_eq!(
        rendered.body.matches('\u{2068}').count(),
        1,
        "only the free text: {}",
        rendered.body
    );
    assert!(!rendered.subject.contains('\u{2068}'));
}

#[test]
fn optional_arguments_add_their_paragraph_only_when_given() {
    let templates = Templates::embedded();
    let without = json!({ "reference": REFERENCE, "service_ar": "صيانة الطرق", "service_en": "Road maintenance" });
    for language in ["ar", "en"] {
        let body = templates
            .render("case_received", language, &without)
            .expect("renders")
            .body;
        assert!(!body.contains("track") && !body.contains("الرابط"), "{body}");
        assert!(!body.contains("\n\n\n"), "no empty paragraph: {body}");
    }
    let message = templates
        .render(
            "case_waiting_on_you",
            "en",
            &json!({ "reference": REFERENCE, "message": "Send a photo." }),
        )
        .expect("renders");
    assert!(
        message
            .body
            .contains("Message from the case officer:\n\u{2068}Send a photo.\u{2069}"),
        "{}",
        message.body
    );
    let blank = templates
        .render(
            "case_waiting_on_you",
            "en",
            &json!({ "reference": REFERENCE, "message": "  " }),
        )
        .expect("renders");
    assert!(
        !blank.body.contains("case officer"),
        "a blank message is no message: {}",
        blank.body
    );
}

#[test]
fn a_name_given_in_arabic_only_is_shown_in_english_too() {
    let payload = json!({ "reference": REFERENCE, "department_ar": "إدارة الطرق" });
    let rendered = Templates::embedded()
        .render("case_assigned", "en", &payload)
        .expect("renders");
    assert!(rendered.body.contains("assigned to إدارة الطرق,"), "{}", rendered.body);
}

#[test]
fn languages_fall_back_to_arabic_then_english() {
    let templates = Templates::embedded();
    let payload = json!({ "reference": REFERENCE, "unknown": "ignored", "nested": { "x": 1 } });
    let language = |asked: &str| {
        templates
            .render("case_closed", asked, &payload)
            .expect("renders")
            .language
    };
    assert_eq!(language("en"), "en");
    assert_eq!(language("EN-gb"), "en");
    assert_eq!(language("ar_BH"), "ar");
    assert_eq!(language("fr"), "ar");
    assert_eq!(language(""), "ar");
}

#[test]
fn unknown_templates_and_payloads_that_are_not_objects_are_errors() {
    let templates = Templates::embedded();
    let unknown = templates.render("case_vanished", "en", &json!({}));
    assert!(matches!(unknown, Err(TemplateError::UnknownTemplate(name)) if name == "case_vanished"));
    assert!(matches!(
        templates.render("signature", "en", &json!({})),
        Err(TemplateError::UnknownTemplate(_))
    ));
    let array = templates.render("case_closed", "en", &json!([REFERENCE]));
    assert!(matches!(array, Err(TemplateError::PayloadNotObject(_))));
}

#[test]
fn a_missing_argument_shows_rather_than_fails() {
    let templates = Templates::embedded();
    let rendered = templates.render("case_closed", "en", &json!({})).expect("renders");
    assert_eq!(rendered.subject, "Your case {$reference} has been closed");
    let null = templates.render("case_closed", "ar", &Value::Null).expect("renders");
    assert!(null.body.contains("{$reference}"), "{}", null.body);
}
