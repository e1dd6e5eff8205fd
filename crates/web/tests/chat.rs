//! The website's live chat through its pages, as a browser without JavaScript (forms) and as
//! the script (long-polling, JSON) talks to it, on SQLite and PostgreSQL: the dialogue's
//! buttons, a person asked for, the staff queue, an agent picking it up and answering, a case
//! made of the chat, its end and the resident's rating; and what is refused (no token, too
//! long a message, another site's WebSocket, a chat that is not yours).

mod support;
use support::*;

const CHAT: &str = "tawasul_chat=0123456789abcdef0123456789abcdef01234567";
const OTHER_CHAT: &str = "tawasul_chat=fedcba9876543210fedcba9876543210fedcba98";

async fn chat_site(backend: Backend) -> Site {
    let site = site(backend).await;
    Fixtures::new(&site.app)
        .await
        .staff("cap.agent", Role::Agent, Some("cap"))
        .await;
    site
}

async fn say(site: &Site, message: &str) -> Page {
    site.post_form("/chat", CHAT, &[("csrf_token", CSRF), ("message", message)])
        .await
}

/// The ids of the chats in the staff queue page's pick-up forms.
fn queued(page: &Page) -> Vec<i64> {
    page.body
        .match_indices("/staff/chats/")
        .filter_map(|(i, _)| {
            let rest = &page.body[i + "/staff/chats/".len()..];
            let id: String = rest.chars().take_while(char::is_ascii_digit).collect();
            rest[id.len()..].starts_with("/pick").then(|| id.parse().ok()).flatten()
        })
        .collect()
}

on_both! { chat_site;
    async fn a_resident_chats_with_the_bot_then_an_agent_who_makes_a_case(site: &Site) {
        let first = site.page("/chat", CHAT).await;
        assert_eq!(first.status, StatusCode::OK);
        assert!(first.body.contains("data-chat-status=\"ended\""), "no chat yet");

        assert_eq!(say(site, "").await.status, StatusCode::SEE_OTHER);
        let languages = site.page("/chat", CHAT).await;
        assert!(languages.body.contains("name=\"message\" value=\"1\" class=\"secondary\">العربية</button>"), "{}", languages.body);
        say(site, "1").await;
        let menu = site.page("/chat", CHAT).await;
        assert!(menu.body.contains(">التحدث إلى موظف</button>"), "the dialogue's buttons");
        say(site, "3").await;
        let waiting = site.page("/chat", CHAT).await;
        assert!(waiting.body.contains("data-chat-status=\"waiting\""));
        assert!(waiting.body.contains("سيتواصل معك أحد موظفينا هنا"));
        say(site, "أريد الاستفسار عن انقطاع المياه في حي الجفير").await;

        // The agent's side: the queue, picking the chat up, answering.
        let agent = site.staff_cookie("cap.agent", PASSWORD).await;
        let queue = site.page("/staff/chats", &agent).await;
        assert_eq!(queue.status, StatusCode::OK);
        assert!(queue.body.contains("أريد الاستفسار عن انقطاع المياه"), "the resident's last words");
        let ids = queued(&queue);
        assert_eq!(ids.len(), 1, "{}", queue.body);
        let id = ids[0];
        let picked = site.post_form(&format!("/staff/chats/{id}/pick"), &agent, &[("csrf_token", CSRF)]).await;
        assert_eq!(picked.status, StatusCode::SEE_OTHER);
        let again = site.post_form(&format!("/staff/chats/{id}/pick"), &agent, &[("csrf_token", CSRF)]).await;
        assert_eq!(again.status, StatusCode::CONFLICT, "a chat is picked up once");

        // The resident's script long-polls from the last line it has: the agent's answer comes.
        let before = site.page("/chat", CHAT).await;
        let after: i64 = attribute(&before.body, "data-chat-after").parse().expect("a line id");
        let poll = {
            let client = site.client.clone();
            let url = site.url(&format!("/chat/poll?after={after}"));
            tokio::spawn(async move {
                client.get(url).header(COOKIE, format!("tawasul_csrf={CSRF}; {CHAT}")).send().await.expect("polled")
                    .json::<serde_json::Value>().await.expect("JSON")
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let said = site.post_form(&format!("/staff/chats/{id}/say"), &agent,
            &[("csrf_token", CSRF), ("message", "أهلاً بك، الانقطاع بسبب أعمال صيانة وينتهي مساء اليوم")]).await;
        assert_eq!(said.status, StatusCode::SEE_OTHER);
        let update = poll.await.expect("the poll");
        assert_eq!(update["status"], "agent");
        let bodies: Vec<&str> = update["lines"].as_array().expect("lines").iter().filter_map(|l| l["body"].as_str()).collect();
        assert!(bodies.contains(&"أهلاً بك، الانقطاع بسبب أعمال صيانة وينتهي مساء اليوم"), "{update}");

        let page = site.page(&format!("/staff/chats/{id}"), &agent).await;
        assert!(page.body.contains("أريد الاستفسار عن انقطاع المياه في حي الجفير</textarea>"), "the description starts from the resident's words");
        let made = site.post_form(&format!("/staff/chats/{id}/case"), &agent, &[("csrf_token", CSRF),
            ("service", "water-leak"), ("kind", "inquiry"), ("description", "انقطاع المياه في حي الجفير منذ الصباح")]).await;
        assert_eq!(made.status, StatusCode::UNPROCESSABLE_ENTITY, "the service's required question is not answered: {}", made.body);
        assert!(made.body.contains("class=\"field-error\" role=\"alert\""), "the refusal is shown beside the form");
        assert!(made.body.contains("انقطاع المياه في حي الجفير منذ الصباح") || made.body.contains("أريد الاستفسار"), "the chat is still there");

        let ended = site.post_form(&format!("/staff/chats/{id}/end"), &agent, &[("csrf_token", CSRF)]).await;
        assert_eq!(ended.status, StatusCode::SEE_OTHER);
        let over = site.page("/chat", CHAT).await;
        assert!(over.body.contains("action=\"/chat/rate\""), "the resident is asked to rate");
        let stranger = site.post_form("/chat/rate", OTHER_CHAT,
            &[("csrf_token", CSRF), ("conversation", &id.to_string()), ("agent", "1"), ("answer", "1")]).await;
        assert_eq!(stranger.status, StatusCode::NOT_FOUND, "only the resident of the chat rates it");
        let rated = site.post_form("/chat/rate", CHAT,
            &[("csrf_token", CSRF), ("conversation", &id.to_string()), ("agent", "5"), ("answer", "4")]).await;
        assert_eq!(rated.status, StatusCode::SEE_OTHER);
        let rating = site.store.agent_rating(id).await.expect("read").expect("rated");
        assert_eq!((rating.agent_score, rating.answer_score), (5, 4));
        assert!(!site.page("/chat", CHAT).await.body.contains("action=\"/chat/rate\""), "rated once");
    }

    async fn a_case_made_of_a_chat_is_told_in_it(site: &Site) {
        Fixtures::new(&site.app).await.service(ServiceSpec {
            entity: "cap", code: "street-light", name: ("إنارة الشوارع", "Street lights"),
            description: ("أعمدة إنارة معطلة", "Street lights out of order"), kinds: &["report", "complaint"],
            department: "water", fields: json!([]),
        }).await;
        say(site, "").await;
        say(site, "2").await;
        say(site, "agent").await;
        let agent = site.staff_cookie("cap.agent", PASSWORD).await;
        let id = queued(&site.page("/staff/chats", &agent).await)[0];
        site.post_form(&format!("/staff/chats/{id}/pick"), &agent, &[("csrf_token", CSRF)]).await;
        let made = site.post_form(&format!("/staff/chats/{id}/case"), &agent, &[("csrf_token", CSRF),
            ("service", "street-light"), ("kind", "report"), ("description", "The street light by the school is out")]).await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
        let resident = site.page("/chat", CHAT).await;
        let reference = resident.body.split(['>', '<']).find(|s| s.starts_with("TW-")).expect("the reference in the chat").to_owned();
        let case = site.store.case_by_reference(&reference).await.expect("read").expect("the case");
        assert_eq!(case.channel.as_str(), "chat");
        let page = site.page(&format!("/staff/chats/{id}"), &agent).await;
        assert!(page.body.contains(&format!("href=\"/staff/cases/{reference}\"")));

        // Ended, the English resident rates the agent, on the case made: the form in the chat's
        // English, on a page in Arabic.
        site.post_form(&format!("/staff/chats/{id}/end"), &agent, &[("csrf_token", CSRF)]).await;
        let over = site.page("/chat?lang=ar", CHAT).await;
        assert!(over.body.contains("action=\"/chat/rate\""), "asked to rate");
        assert!(over.body.contains("<html lang=\"ar\" dir=\"rtl\""), "an Arabic page");
        assert!(over.body.contains("aria-labelledby=\"chat-rate-title\" lang=\"en\" dir=\"ltr\""), "{}", over.body);
        assert!(over.body.contains("Rate this chat") && over.body.contains("Send the rating"), "{}", over.body);
        assert!(!over.body.contains("قيّم المحادثة"), "not in the page's language");
        let rated = site.post_form("/chat/rate", CHAT,
            &[("csrf_token", CSRF), ("conversation", &id.to_string()), ("agent", "4"), ("answer", "3")]).await;
        assert_eq!(rated.status, StatusCode::SEE_OTHER);
        let rating = site.store.agent_rating(id).await.expect("read").expect("rated");
        assert_eq!((rating.agent_score, rating.answer_score, rating.case_id), (4, 3, Some(case.id)));
    }

    async fn the_chat_cookie_a_visitor_is_given_keeps_their_chat(site: &Site) {
        let first = site.page("/chat", "").await;
        let issued = first.headers.get_all(SET_COOKIE).iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("tawasul_chat="))
            .and_then(|v| v.split(';').next())
            .expect("a chat cookie is set")
            .to_owned();
        assert!(first.headers.get_all(SET_COOKIE).iter().any(|v| v.to_str().is_ok_and(|v| v.contains("HttpOnly"))));
        assert_eq!(site.post_form("/chat", &issued, &[("csrf_token", CSRF), ("message", "")]).await.status, StatusCode::SEE_OTHER);
        let page = site.page("/chat", &issued).await;
        assert!(page.body.contains("data-chat-status=\"bot\""), "the same visitor's chat: {}", page.body);
        let again = site.page("/chat", &issued).await;
        assert!(!again.headers.get_all(SET_COOKIE).iter().any(|v| v.to_str().is_ok_and(|v| v.starts_with("tawasul_chat="))), "no new cookie");
        let malformed = site.page("/chat", "tawasul_chat=not-hex").await;
        assert!(malformed.body.contains("data-chat-status=\"ended\""), "a cookie we did not make opens no chat");
    }

    async fn what_the_chat_refuses(site: &Site) {
        let no_token = site.client.post(site.url("/chat")).header(COOKIE, format!("tawasul_csrf={CSRF}; {CHAT}"))
            .form(&[("message", "1")]).send().await.expect("sent");
        assert_eq!(no_token.status(), StatusCode::FORBIDDEN);
        let long = "ب".repeat(2_001);
        assert_eq!(say(site, &long).await.status, StatusCode::BAD_REQUEST);
        let hostile = say(site, "<script>alert(1)</script>").await;
        assert_eq!(hostile.status, StatusCode::SEE_OTHER);
        let page = site.page("/chat", CHAT).await;
        assert!(!page.body.contains("<script>alert(1)"), "what a resident writes is shown as text");

        // Another site cannot open the chat's WebSocket with the visitor's cookies.
        let upgrade = site.client.get(site.url("/chat/ws"))
            .header(COOKIE, CHAT)
            .header("origin", "https://evil.example")
            .header("connection", "upgrade").header("upgrade", "websocket")
            .header("sec-websocket-version", "13").header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
            .send().await.expect("sent");
        assert_eq!(upgrade.status(), StatusCode::FORBIDDEN);

        // Staff who answer no chats see no queue; nobody signed out does.
        let inspector = {
            Fixtures::new(&site.app).await.staff("cap.inspector", Role::Inspector, Some("cap")).await;
            site.staff_cookie("cap.inspector", PASSWORD).await
        };
        assert_eq!(site.page("/staff/chats", &inspector).await.status, StatusCode::FORBIDDEN);
        assert_eq!(site.page("/staff/chats/1", &inspector).await.status, StatusCode::FORBIDDEN);
        assert_ne!(site.page("/staff/chats", "").await.status, StatusCode::OK);
    }
}

/// A resident's chat through the page's form, on the kit's clock, each message answered on
/// the page that follows.
struct Visitor<'a> {
    site: &'a Site,
    cookie: &'static str,
}

impl Visitor<'_> {
    async fn say(&self, message: &str) -> String {
        let sent = self
            .site
            .post_form("/chat", self.cookie, &[("csrf_token", CSRF), ("message", message)])
            .await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
        self.site.page("/chat", self.cookie).await.body
    }

    /// Their chats' endings, oldest first (the address is a digest of their cookie).
    async fn endings(&self) -> Vec<Option<String>> {
        let secret = self.cookie.split_once('=').expect("a cookie").1;
        let address = format!("web:{}", &tawasul_domain::secret_digest(secret)[..32]);
        self.site
            .store
            .conversations_of_address("chat", &address)
            .await
            .expect("read")
            .into_iter()
            .map(|c| c.end_reason)
            .collect()
    }
}

on_both! { site_on_thursday_noon;
    async fn status_by_reference_wrong_choices_and_an_idle_chat_in_arabic_and_english(site: &Site) {
        let (reference, _) = site
            .submit(json!({"service": "water-leak", "kind": "report", "description": "Water leaking by the roundabout", "answers": {"depth": 2}}))
            .await;

        // Arabic: the status of a reference, then answers that are no choice: re-prompted
        // twice, then a person offered.
        let arabic = Visitor { site, cookie: CHAT };
        arabic.say("").await;
        arabic.say("1").await;
        assert!(arabic.say("2").await.contains("اكتب رقم البلاغ"));
        let status = arabic.say(&reference).await;
        assert!(status.contains(&format!("البلاغ {reference}")) && status.contains("استُلم وينتظر المراجعة"), "{status}");
        assert!(arabic.say("موز").await.contains("عذراً، هذا ليس من الخيارات."));
        arabic.say("42").await;
        let offer = arabic.say("؟").await;
        assert!(offer.contains("هل تود التحدث إلى أحد موظفينا؟"), "{offer}");

        // English, in another visitor's chat, the same.
        let english = Visitor { site, cookie: OTHER_CHAT };
        english.say("").await;
        english.say("2").await;
        assert!(english.say("2").await.contains("Type the reference"));
        let status = english.say(&reference).await;
        assert!(status.contains(&format!("Case {reference}")) && status.contains("received, waiting for review"), "{status}");
        assert!(english.say("banana").await.contains("Sorry, that is not one of the choices."));
        english.say("42").await;
        let offer = english.say("?").await;
        assert!(offer.contains("Would you like to speak to one of our staff?"), "{offer}");

        // Half an hour and more without a word: the chat is over (timed out), and the next
        // message begins again from the choice of language.
        site.advance(chrono::Duration::minutes(31));
        for visitor in [&english, &arabic] {
            let again = visitor.say("1").await;
            assert!(again.contains("name=\"message\" value=\"1\" class=\"secondary\">العربية</button>"), "{again}");
            assert_eq!(visitor.endings().await, [Some("timed_out".to_owned()), None]);
        }
    }

    async fn the_chats_bot_makes_a_case_in_arabic(site: &Site) {
        let visitor = Visitor { site, cookie: CHAT };
        visitor.say("").await;
        visitor.say("1").await;
        visitor.say("1").await;
        assert!(visitor.say("1").await.contains("تسرب مياه"), "the services of a complaint");
        assert!(visitor.say("1").await.contains("العمق: أدخل رقماً."), "the service's required question");
        assert!(visitor.say("٢").await.contains("صف المشكلة بالتفصيل"));
        assert!(visitor.say("الماء يتسرب من الأنبوب الرئيسي أمام المسجد").await.contains("أرسل موقعك"));
        assert!(visitor.say("1").await.contains("هل نرسل ما سبق"));
        let done = visitor.say("1").await;
        let reference = done.split(|c: char| c.is_whitespace() || c == '<' || c == '>').find(|w| w.starts_with("TW-"))
            .map(|w| w.trim_end_matches('.').to_owned()).unwrap_or_else(|| panic!("a reference: {done}"));
        let case = site.store.case_by_reference(&reference).await.expect("read").expect("the case");
        assert_eq!((case.channel.as_str(), case.language.as_str()), ("chat", "ar"));
        assert_eq!(visitor.endings().await, [Some("submitted".to_owned())]);
    }
}

fn attribute<'a>(html: &'a str, name: &str) -> &'a str {
    let start = html.find(&format!("{name}=\"")).expect("the attribute") + name.len() + 2;
    let end = html[start..].find('"').expect("its end") + start;
    &html[start..end]
}
