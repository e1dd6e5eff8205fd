//! The dialogue engine at work: reads the resident's conversation, takes one input through
//! the state machine, consults the catalogue and the one intake, and saves the turn. A save
//! that lost a race (a second message at once, a second node) is computed again from the
//! saved state; a case it submitted is not made twice, since its retry key is the
//! conversation's.

use crate::engine::{
    answer, chosen, command, next_required, reference_digits, reference_from, After, Choice, Command, Ending, Expect,
    Input, Medium, Reply, Stage, State, FAQS, KINDS, MAX_MEDIA, MIN_DESCRIPTION, RATING_SCORES, SERVICES_PER_PAGE,
    STRIKES_BEFORE_OFFER,
};
use crate::prompts::{Prompts, FIRST_LANGUAGE};
use futures::future::BoxFuture;
use std::sync::Arc;
use tawasul_app::cases::intake::{Intake, Upload};
use tawasul_app::conversations::{ConversationsError, TurnRecord};
use tawasul_app::{App, CasesError, Failure};
use tawasul_domain::catalogue::{FieldType, FormField, Service};
use tawasul_domain::intake::{Coordinates, IntakeDraft, LocationDraft, PhoneNumber, ReporterDraft};
use tawasul_domain::vocab::{Channel, Kind};

/// Why a message could not be answered. The adapter answers the provider with an error, so
/// that it delivers the message again later.
#[derive(Debug, thiserror::Error)]
pub enum DialogueError {
    #[error(transparent)]
    Conversation(#[from] ConversationsError),
    #[error(transparent)]
    Cases(#[from] CasesError),
    #[error(transparent)]
    Failure(#[from] Failure),
}

/// Fetches a recording or photo the resident sent, from the provider, when the case is made.
pub type FetchMedia = Arc<dyn Fn(String) -> BoxFuture<'static, Result<Upload, String>> + Send + Sync>;

/// One message from a resident, as an adapter received it.
pub struct Incoming {
    pub channel: Channel,
    /// Who the resident is on the channel: a phone number, a WhatsApp id, a chat session.
    pub address: String,
    pub medium: Medium,
    pub input: Input,
    /// The provider's id of the message, so that a redelivery is answered once.
    pub message_id: Option<String>,
    pub fetch: Option<FetchMedia>,
}

/// The answer to a message.
#[derive(Debug)]
pub enum Answer {
    Reply(Reply),
    /// The message was answered when it first came: say nothing more.
    Replayed,
}

/// The engine with what it needs: the application and the prompts.
#[derive(Clone)]
pub struct Dialogue {
    app: App,
    prompts: Arc<Prompts>,
}

impl Dialogue {
    pub fn new(app: App) -> Self {
        Self {
            app,
            prompts: Arc::new(Prompts::embedded()),
        }
    }

    pub fn prompts(&self) -> &Prompts {
        &self.prompts
    }

    /// Answers one message: the next turn of the resident's conversation on the channel.
    pub async fn respond(&self, mut incoming: Incoming) -> Result<Answer, DialogueError> {
        incoming.input = cleaned(incoming.input);
        if let Some(id) = &incoming.message_id {
            if self.app.message_answered(incoming.channel, id).await? {
                return Ok(Answer::Replayed);
            }
        }
        self.app.admit_message(incoming.channel, &incoming.address)?;
        let initial = serde_json::to_string(&self.initial(&incoming).await?).unwrap_or_default();
        let mut last = ConversationsError::Moved;
        for _ in 0..3 {
            let conversation = self
                .app
                .conversation(incoming.channel, &incoming.address, &initial)
                .await?;
            let mut state: State = serde_json::from_str(&conversation.state).unwrap_or_else(|e| {
                tracing::error!(conversation = conversation.id, error = %e, "a conversation's state does not read; it starts over");
                State::default()
            });
            // A key pressed or a button tapped is kept as what it chose, for whoever reads the
            // transcript.
            let heard = match &incoming.input {
                Input::Text(key) => state
                    .choices
                    .iter()
                    .find(|c| c.key == western(key))
                    .map(|c| c.label.clone())
                    .or_else(|| heard(&incoming.input)),
                other => heard(other),
            };
            let reply = self.step(conversation.id, &mut state, &incoming).await?;
            let case_id = match &state.reference {
                Some(reference) if state.ended == Some(Ending::Submitted) => {
                    Some(self.app.case_id_of(reference).await?)
                }
                _ => None,
            };
            let record = TurnRecord {
                state: serde_json::to_string(&state).unwrap_or_default(),
                language: state.language.clone(),
                case_id,
                heard,
                said: reply.lines.clone(),
                ended: state.ended.map(|e| e.as_str().to_owned()),
                message_id: incoming.message_id.clone(),
                waits_for_person: state.stage == Stage::WithPerson,
            };
            match self.app.save_turn(&conversation, record).await {
                Ok(_) => return Ok(Answer::Reply(reply)),
                Err(ConversationsError::Replayed) => return Ok(Answer::Replayed),
                Err(ConversationsError::Moved) => last = ConversationsError::Moved,
                Err(e) => return Err(e.into()),
            }
        }
        Err(last.into())
    }

    /// The state a new conversation starts from: the answer to the rating question when the
    /// resident's last conversation on SMS, WhatsApp or social media was served by an agent
    /// and they were asked to rate them; else the dialogue's start.
    async fn initial(&self, incoming: &Incoming) -> Result<State, DialogueError> {
        if !matches!(incoming.channel, Channel::Sms | Channel::Whatsapp | Channel::Social) {
            return Ok(State::default());
        }
        Ok(match self.app.rating_due(incoming.channel, &incoming.address).await? {
            Some(served) => State {
                stage: Stage::RateAgent,
                shown: true,
                language: served.language,
                rating_of: Some(served.id),
                ..State::default()
            },
            None => State::default(),
        })
    }

    /// One turn of conversation `conversation` from its saved `state`, which it moves on:
    /// what [`Dialogue::respond`] does between reading the conversation and saving it. Public
    /// for the fuzz targets (`fuzz/`), which take it from any state on any input.
    pub async fn step(
        &self,
        conversation: i64,
        state: &mut State,
        incoming: &Incoming,
    ) -> Result<Reply, DialogueError> {
        let mut turn = Turn {
            prompts: &self.prompts,
            app: &self.app,
            incoming,
            conversation,
            say: Say::new(incoming.medium, state.language.clone()),
        };
        turn.take(state, cleaned(incoming.input.clone())).await?;
        let reply = turn.say.finish(state);
        state.choices = reply.choices.clone();
        Ok(reply)
    }
}

/// The most characters of one message the dialogue reads; a description is at most 5,000.
const MAX_INPUT_CHARS: usize = 6_000;

/// What the resident sent without control characters (a NUL cannot even be stored) or the
/// invisible marks that reorder text, and no longer than anyone writes.
fn cleaned(input: Input) -> Input {
    let clean = |text: String| -> String {
        text.chars()
            .filter(|c| !(c.is_control() && *c != '\n' && *c != '\t'))
            .filter(|c| !matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
            .take(MAX_INPUT_CHARS)
            .collect()
    };
    match input {
        Input::Text(text) => Input::Text(clean(text)),
        Input::Location { lat, lon, address } => Input::Location {
            lat,
            lon,
            address: address.map(clean),
        },
        Input::Recording { url } => Input::Recording { url: clean(url) },
        Input::Media { url } => Input::Media { url: clean(url) },
        other => other,
    }
}

/// The transcript's line for what the resident sent.
fn heard(input: &Input) -> Option<String> {
    match input {
        Input::Start | Input::Silence => None,
        Input::Text(text) => Some(text.clone()),
        Input::Location { lat, lon, address } => Some(match address {
            Some(address) => format!("📍 {lat:.6},{lon:.6} {address}"),
            None => format!("📍 {lat:.6},{lon:.6}"),
        }),
        Input::Recording { url } => Some(format!("🎙 {url}")),
        Input::Media { url } => Some(format!("📎 {url}")),
    }
}

/// The lines and choices of a reply as they are built.
struct Say {
    medium: Medium,
    language: Option<String>,
    lines: Vec<String>,
    choices: Vec<Choice>,
    expect: Expect,
    after: After,
}

impl Say {
    fn new(medium: Medium, language: Option<String>) -> Self {
        Self {
            medium,
            language,
            lines: vec![],
            choices: vec![],
            expect: Expect::Nothing,
            after: After::Continue,
        }
    }

    fn finish(self, state: &State) -> Reply {
        Reply {
            language: state.language.clone().unwrap_or_else(|| FIRST_LANGUAGE.to_owned()),
            lines: self.lines,
            choices: self.choices,
            expect: self.expect,
            after: self.after,
        }
    }
}

struct Turn<'a> {
    prompts: &'a Prompts,
    app: &'a App,
    incoming: &'a Incoming,
    conversation: i64,
    say: Say,
}

impl Turn<'_> {
    fn language(&self) -> &str {
        self.say.language.as_deref().unwrap_or(FIRST_LANGUAGE)
    }

    fn voice(&self) -> bool {
        self.say.medium == Medium::Voice
    }

    /// Message `id` in the conversation's language, spoken where the file says it differently.
    fn text(&self, id: &str, args: &[(&str, &str)]) -> String {
        if self.voice() {
            self.prompts.spoken(self.language(), id, args)
        } else {
            self.prompts.text(self.language(), id, args)
        }
    }

    fn line(&mut self, id: &str, args: &[(&str, &str)]) {
        let line = self.text(id, args);
        self.say.lines.push(line);
    }

    /// A menu: its choices said as the medium says them.
    fn menu(&mut self, choices: Vec<(String, String)>) {
        for (key, label) in choices {
            match self.say.medium {
                Medium::Voice => {
                    let line = self
                        .prompts
                        .text(self.language(), "option-voice", &[("key", &key), ("label", &label)]);
                    self.say.lines.push(line);
                }
                Medium::Text => {
                    let line = self
                        .prompts
                        .text(self.language(), "option-text", &[("key", &key), ("label", &label)]);
                    self.say.lines.push(line);
                }
                Medium::Buttons => {}
            }
            self.say.choices.push(Choice { key, label });
        }
        self.say.expect = Expect::Choice;
    }

    fn numbered(labels: impl IntoIterator<Item = String>) -> Vec<(String, String)> {
        labels
            .into_iter()
            .enumerate()
            .map(|(i, label)| ((i + 1).to_string(), label))
            .collect()
    }

    fn label<'s>(&self, ar: &'s str, en: &'s str) -> &'s str {
        if self.language() == "ar" || en.is_empty() {
            ar
        } else {
            en
        }
    }

    /// Takes one input at the state's stage.
    async fn take(&mut self, state: &mut State, input: Input) -> Result<(), DialogueError> {
        if state.stage == Stage::Over {
            *state = State::default();
        }
        if !state.shown {
            // The first message of a conversation, whatever it says, is answered with the
            // first question.
            let first = if self.prompts.languages().len() > 1 {
                Stage::Language
            } else {
                state.language = Some(FIRST_LANGUAGE.to_owned());
                self.say.language = state.language.clone();
                Stage::Menu
            };
            return self.enter(state, first).await;
        }
        if state.stage == Stage::WithPerson {
            // The person answers; the line is in the transcript for them.
            self.say.expect = Expect::Text;
            self.say.after = After::HandOver;
            return Ok(());
        }
        match input {
            Input::Start => self.prompt(state).await,
            Input::Silence => {
                state.silent = true;
                self.strike(state).await
            }
            Input::Media { url } => {
                if state.service.is_some() && state.media.len() < MAX_MEDIA && state.stage != Stage::OfferPerson {
                    state.media.push(url);
                    self.line("media-received", &[]);
                    self.prompt(state).await
                } else {
                    state.silent = false;
                    self.strike(state).await
                }
            }
            Input::Recording { url } if state.stage == Stage::Describe => {
                state.recording = Some(url);
                state.description = Some(self.prompts.text(self.language(), "recorded-description", &[]));
                self.enter(state, Stage::Location).await
            }
            Input::Location { lat, lon, address } if state.stage == Stage::Location => {
                match Coordinates::parse(lat, lon) {
                    Ok(_) => {
                        state.location = Some((lat, lon));
                        state.address = address.filter(|a| !a.trim().is_empty());
                        self.enter(state, Stage::Confirm).await
                    }
                    Err(_) => {
                        state.silent = false;
                        self.strike(state).await
                    }
                }
            }
            Input::Recording { .. } | Input::Location { .. } => {
                state.silent = false;
                self.strike(state).await
            }
            Input::Text(text) => self.answer(state, text).await,
        }
    }

    /// A typed or keyed answer at the state's stage.
    async fn answer(&mut self, state: &mut State, text: String) -> Result<(), DialogueError> {
        if matches!(state.stage, Stage::RateAgent | Stage::RateAnswer) {
            return self.rate(state, text).await;
        }
        let at_menu = self.at_menu(state).await?;
        match command(self.prompts, self.language(), &text, at_menu) {
            Some(Command::Back) => return self.back(state).await,
            Some(Command::Repeat) => return self.prompt(state).await,
            Some(Command::Person) => return self.hand_over(state),
            None => {}
        }
        if text.trim().is_empty() {
            state.silent = true;
            return self.strike(state).await;
        }
        state.silent = false;
        match state.stage {
            Stage::Language => {
                let languages = self.prompts.languages();
                let named = languages.iter().position(|l| {
                    self.prompts.text(l, "language-name", &[]).to_lowercase() == text.trim().to_lowercase()
                });
                match chosen(&text, languages.len()).or(named) {
                    Some(i) => {
                        state.language = Some(languages[i].to_owned());
                        self.say.language = state.language.clone();
                        self.line("welcome", &[]);
                        self.enter(state, Stage::Menu).await
                    }
                    None => self.strike(state).await,
                }
            }
            Stage::Menu => match chosen(&text, 4) {
                Some(0) => self.enter(state, Stage::Kind).await,
                Some(1) => self.enter(state, Stage::Reference).await,
                Some(2) => self.hand_over(state),
                Some(_) => self.enter(state, Stage::Faq).await,
                None => self.strike(state).await,
            },
            Stage::Faq => match chosen(&text, FAQS.len()) {
                Some(i) => {
                    self.line(&format!("{}-answer", FAQS[i]), &[]);
                    self.enter(state, Stage::Faq).await
                }
                None => self.strike(state).await,
            },
            Stage::Kind => match chosen(&text, KINDS.len()) {
                Some(i) => {
                    state.kind = Some(KINDS[i]);
                    state.page = 0;
                    self.enter(state, Stage::Service).await
                }
                None => self.strike(state).await,
            },
            Stage::Service => {
                let services = self.services(state.kind).await?;
                let page = page_of(&services, state.page);
                let pages = services.len().div_ceil(SERVICES_PER_PAGE).max(1);
                match western(&text).as_str() {
                    "7" => self.enter(state, Stage::Words).await,
                    "8" if pages > 1 => {
                        state.page = (state.page + 1) % pages;
                        self.enter(state, Stage::Service).await
                    }
                    _ => match chosen(&text, page.len()) {
                        Some(i) => {
                            let code = page[i].code.clone();
                            self.choose_service(state, code).await
                        }
                        // Words instead of a key: what "in your words" would take.
                        None if !is_keys(&text) => self.match_words(state, &text).await,
                        None => self.strike(state).await,
                    },
                }
            }
            Stage::Words => self.match_words(state, &text).await,
            Stage::Pick => match chosen(&text, state.candidates.len() + 1) {
                Some(i) if i < state.candidates.len() => {
                    let code = state.candidates[i].clone();
                    self.choose_service(state, code).await
                }
                Some(_) => self.enter(state, Stage::Service).await,
                None => self.strike(state).await,
            },
            Stage::Field => {
                let fields = self.form(state).await?;
                let Some(field) = fields.get(state.field) else {
                    return self.enter(state, Stage::Describe).await;
                };
                let today = self.app.now().date_naive();
                match answer(field, &text, today) {
                    Some(value) => {
                        state.answers.insert(field.key.clone(), value);
                        match next_required(&fields, state.field + 1) {
                            Some(next) => {
                                state.field = next;
                                self.enter(state, Stage::Field).await
                            }
                            None => self.enter(state, Stage::Describe).await,
                        }
                    }
                    None => {
                        if !field.field_type.has_choices() {
                            self.line("field-invalid", &[]);
                        }
                        self.strike(state).await
                    }
                }
            }
            Stage::Describe => {
                let description = text.trim().to_owned();
                if description.chars().count() < MIN_DESCRIPTION {
                    self.line("describe-too-short", &[]);
                    return self.strike(state).await;
                }
                state.description = Some(description);
                self.enter(state, Stage::Location).await
            }
            Stage::Location => {
                let said = text.trim();
                if western(said) == "1"
                    || self
                        .prompts
                        .words(self.language(), "command-skip")
                        .contains(&said.to_lowercase())
                {
                    state.location = None;
                    state.address = None;
                } else if said.chars().count() >= 3 {
                    state.address = Some(said.chars().take(500).collect());
                } else {
                    return self.strike(state).await;
                }
                self.enter(state, Stage::Confirm).await
            }
            Stage::Confirm => match chosen(&text, 2) {
                Some(0) => self.submit(state).await,
                Some(_) => {
                    let (language, submitted) = (state.language.clone(), state.submitted);
                    *state = State {
                        language,
                        submitted,
                        ..State::default()
                    };
                    self.enter(state, Stage::Kind).await
                }
                None if self
                    .prompts
                    .words(self.language(), "command-yes")
                    .contains(&text.trim().to_lowercase()) =>
                {
                    self.submit(state).await
                }
                None => self.strike(state).await,
            },
            Stage::Reference => match reference_from(&text) {
                Some(reference) => self.status(state, &reference).await,
                None => {
                    self.line("reference-unknown", &[]);
                    self.strike(state).await
                }
            },
            Stage::OfferPerson => match chosen(&text, 2) {
                Some(0) => self.hand_over(state),
                Some(_) => {
                    let back_to = state.offered_from.take().unwrap_or(Stage::Menu);
                    self.enter(state, back_to).await
                }
                None => self.strike(state).await,
            },
            // Taken by `rate` before any command.
            Stage::RateAgent | Stage::RateAnswer | Stage::WithPerson | Stage::Over => Ok(()),
        }
    }

    /// An answer to the rating question: a score of 1 to 5 (the agent's, then the answer's,
    /// stored with the chat ratings once both are in); words are a new request instead, which
    /// the dialogue takes from its start; anything else is asked again, boundedly.
    async fn rate(&mut self, state: &mut State, text: String) -> Result<(), DialogueError> {
        if text.chars().any(char::is_alphabetic) {
            *state = State::default();
            return Box::pin(self.take(state, Input::Text(text))).await;
        }
        state.silent = text.trim().is_empty();
        let Some(score) = chosen(&text, RATING_SCORES).and_then(|i| i64::try_from(i + 1).ok()) else {
            return self.strike(state).await;
        };
        let (Some(served), Stage::RateAnswer, Some(agent)) = (state.rating_of, state.stage, state.agent_score) else {
            state.agent_score = Some(score);
            return self.enter(state, Stage::RateAnswer).await;
        };
        match self.app.rate_agent(&self.incoming.address, served, agent, score).await {
            Ok(()) => self.line("rate-thanks", &[]),
            // Rated meanwhile (a second node, a redelivered message): once is all.
            Err(ConversationsError::Taken) => self.line("rating-already", &[]),
            Err(ConversationsError::Common(Failure::NotFound(_) | Failure::Invalid(_))) => {
                self.line("rating-dropped", &[]);
                self.end(state, Ending::RatingDropped, After::End);
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        }
        self.end(state, Ending::Rated, After::End);
        Ok(())
    }

    /// Whether the stage shows a menu, where the keys 9 and 0 are commands.
    async fn at_menu(&self, state: &State) -> Result<bool, DialogueError> {
        Ok(match state.stage {
            Stage::Language
            | Stage::Menu
            | Stage::Faq
            | Stage::Kind
            | Stage::Service
            | Stage::Pick
            | Stage::Confirm
            | Stage::OfferPerson
            | Stage::RateAgent
            | Stage::RateAnswer => true,
            Stage::Field => self
                .form(state)
                .await?
                .get(state.field)
                .is_some_and(|f| f.field_type.has_choices()),
            Stage::Words | Stage::Describe | Stage::Location | Stage::Reference | Stage::WithPerson | Stage::Over => {
                false
            }
        })
    }

    /// An invalid choice or silence: re-prompt twice, then offer a person, then end.
    async fn strike(&mut self, state: &mut State) -> Result<(), DialogueError> {
        // Saturating: a saved state is read back from the store, whatever it holds.
        state.strikes = state.strikes.saturating_add(1);
        if matches!(state.stage, Stage::RateAgent | Stage::RateAnswer) && state.strikes >= STRIKES_BEFORE_OFFER {
            // A rating is not worth a person: the question is dropped, politely.
            self.line("rating-dropped", &[]);
            self.end(state, Ending::RatingDropped, After::End);
            return Ok(());
        }
        if state.stage == Stage::OfferPerson {
            let ending = if state.silent {
                Ending::NoInput
            } else {
                Ending::InvalidInput
            };
            self.line("goodbye-no-input", &[]);
            self.end(state, ending, After::End);
            return Ok(());
        }
        if state.strikes >= STRIKES_BEFORE_OFFER {
            state.offered_from = Some(state.stage);
            return self.enter(state, Stage::OfferPerson).await;
        }
        let why = if state.silent { "silence" } else { "invalid-choice" };
        self.line(why, &[]);
        self.prompt(state).await
    }

    /// Moves to `stage` and asks its question.
    async fn enter(&mut self, state: &mut State, stage: Stage) -> Result<(), DialogueError> {
        state.stage = stage;
        state.strikes = 0;
        state.shown = true;
        self.prompt(state).await
    }

    /// "Back": the stage before this one.
    async fn back(&mut self, state: &mut State) -> Result<(), DialogueError> {
        let several_languages = self.prompts.languages().len() > 1;
        let previous = match state.stage {
            Stage::Language => Stage::Language,
            Stage::Menu if several_languages => Stage::Language,
            Stage::Menu => Stage::Menu,
            Stage::Faq | Stage::Kind | Stage::Reference => Stage::Menu,
            Stage::Service => Stage::Kind,
            Stage::Words | Stage::Pick => Stage::Service,
            Stage::Field | Stage::Describe => {
                let fields = self.form(state).await?;
                let before = if state.stage == Stage::Field {
                    state.field
                } else {
                    fields.len()
                };
                match (0..before).rev().find(|&i| fields[i].required) {
                    Some(i) => {
                        state.field = i;
                        Stage::Field
                    }
                    None => Stage::Service,
                }
            }
            Stage::Location => Stage::Describe,
            Stage::Confirm => Stage::Location,
            Stage::OfferPerson => state.offered_from.take().unwrap_or(Stage::Menu),
            Stage::RateAnswer => Stage::RateAgent,
            Stage::RateAgent => Stage::RateAgent,
            Stage::WithPerson | Stage::Over => Stage::Menu,
        };
        self.enter(state, previous).await
    }

    /// A person: the phone line puts the call through; a written conversation (the website's
    /// chat, SMS, WhatsApp, social media) waits in the staff console's chat queue, where an
    /// agent answers it on its own channel.
    fn hand_over(&mut self, state: &mut State) -> Result<(), DialogueError> {
        match self.incoming.channel {
            Channel::Phone => {
                self.line("handover", &[]);
                self.end(state, Ending::HandedOver, After::HandOver);
            }
            _ => {
                self.line("handover-text", &[]);
                state.stage = Stage::WithPerson;
                state.strikes = 0;
                self.say.expect = Expect::Text;
                self.say.after = After::HandOver;
                self.say.choices.clear();
            }
        }
        Ok(())
    }

    fn end(&mut self, state: &mut State, ending: Ending, after: After) {
        state.stage = Stage::Over;
        state.ended = Some(ending);
        self.say.after = after;
        self.say.expect = Expect::Nothing;
        self.say.choices.clear();
    }

    /// Asks the question of the state's stage.
    async fn prompt(&mut self, state: &mut State) -> Result<(), DialogueError> {
        let language = self.language().to_owned();
        match state.stage {
            Stage::Language => {
                let languages: Vec<String> = self.prompts.languages().iter().map(|l| (*l).to_owned()).collect();
                if self.say.medium == Medium::Buttons {
                    // Buttons need a question above them, asked in every language offered.
                    let asked: Vec<String> = languages
                        .iter()
                        .map(|tag| self.prompts.text(tag, "language-prompt", &[]))
                        .collect();
                    self.say.lines.push(asked.join(" · "));
                }
                for (i, tag) in languages.iter().enumerate() {
                    let key = (i + 1).to_string();
                    let id = if self.voice() {
                        "language-option-voice"
                    } else {
                        "language-option-text"
                    };
                    let name = self.prompts.text(tag, "language-name", &[]);
                    if self.say.medium != Medium::Buttons {
                        self.say.lines.push(self.prompts.text(tag, id, &[("key", &key)]));
                    }
                    self.say.choices.push(Choice { key, label: name });
                }
                self.say.expect = Expect::Choice;
            }
            Stage::Menu => {
                self.line("menu-prompt", &[]);
                let labels = ["menu-new", "menu-status", "menu-person", "menu-faq"].map(|id| self.text(id, &[]));
                self.menu(Self::numbered(labels));
                if self.say.medium != Medium::Buttons {
                    self.line("navigation", &[]);
                }
            }
            Stage::Faq => {
                self.line("faq-prompt", &[]);
                let labels = FAQS.map(|id| self.text(id, &[]));
                self.menu(Self::numbered(labels));
            }
            Stage::Kind => {
                self.line("kind-prompt", &[]);
                let labels = KINDS.map(|k| self.text(&format!("kind-{}", k.as_str()), &[]));
                self.menu(Self::numbered(labels));
            }
            Stage::Service => {
                self.line("service-prompt", &[]);
                let services = self.services(state.kind).await?;
                let pages = services.len().div_ceil(SERVICES_PER_PAGE).max(1);
                let mut choices: Vec<(String, String)> = Self::numbered(
                    page_of(&services, state.page)
                        .iter()
                        .map(|s| self.label(&s.name_ar, &s.name_en).to_owned()),
                );
                choices.push(("7".into(), self.text("service-words", &[])));
                if pages > 1 {
                    choices.push(("8".into(), self.text("service-more", &[])));
                }
                self.menu(choices);
            }
            Stage::Words => {
                self.line("words-prompt", &[]);
                self.say.expect = Expect::Text;
            }
            Stage::Pick => {
                self.line("pick-prompt", &[]);
                let mut labels = vec![];
                for code in &state.candidates {
                    if let Some(service) = self.app.service(code).await? {
                        labels.push(self.label(&service.name_ar, &service.name_en).to_owned());
                    }
                }
                labels.push(self.text("pick-none", &[]));
                self.menu(Self::numbered(labels));
            }
            Stage::Field => {
                let fields = self.form(state).await?;
                let Some(field) = fields.get(state.field).cloned() else {
                    return Box::pin(self.enter(state, Stage::Describe)).await;
                };
                self.ask(&field);
            }
            Stage::Describe => {
                self.line("describe-prompt", &[]);
                self.say.expect = if self.voice() { Expect::Recording } else { Expect::Text };
            }
            Stage::Location => {
                self.line("location-prompt", &[]);
                self.say.expect = Expect::Location;
            }
            Stage::Confirm => {
                let service = match &state.service {
                    Some(code) => self.app.service(code).await?,
                    None => None,
                };
                let service_name = service
                    .as_ref()
                    .map(|s| self.label(&s.name_ar, &s.name_en).to_owned())
                    .unwrap_or_default();
                let kind = state
                    .kind
                    .map(|k| self.prompts.text(&language, &format!("kind-{}", k.as_str()), &[]))
                    .unwrap_or_default();
                let description = state.description.clone().unwrap_or_default();
                self.line(
                    "confirm-summary",
                    &[
                        ("kind", &kind),
                        ("service", &service_name),
                        ("description", &description),
                    ],
                );
                self.line("confirm-prompt", &[]);
                let labels = ["confirm-send", "confirm-restart"].map(|id| self.text(id, &[]));
                self.menu(Self::numbered(labels));
            }
            Stage::Reference => {
                self.line("reference-prompt", &[]);
                self.say.expect = if self.voice() { Expect::Digits } else { Expect::Text };
            }
            Stage::OfferPerson => {
                self.line("offer-person", &[]);
                let labels = ["offer-yes", "offer-no"].map(|id| self.text(id, &[]));
                self.menu(Self::numbered(labels));
            }
            Stage::RateAgent | Stage::RateAnswer => {
                let asked = if state.stage == Stage::RateAgent {
                    "rating-agent-prompt"
                } else {
                    "rating-answer-prompt"
                };
                self.line(asked, &[]);
                let labels = (1..=RATING_SCORES).map(|n| self.text(&format!("rating-score-{n}"), &[]));
                self.menu(Self::numbered(labels.collect::<Vec<_>>()));
            }
            Stage::WithPerson | Stage::Over => {}
        }
        Ok(())
    }

    /// Asks one question of the service's form.
    fn ask(&mut self, field: &FormField) {
        let label = self.label(&field.label_ar, &field.label_en).to_owned();
        match field.field_type {
            FieldType::SingleChoice | FieldType::MultipleChoice => {
                self.line("field-choice", &[("label", &label)]);
                let labels: Vec<String> = field
                    .options
                    .iter()
                    .map(|o| self.label(&o.label_ar, &o.label_en).to_owned())
                    .collect();
                self.menu(Self::numbered(labels));
            }
            FieldType::Number => {
                self.line("field-number", &[("label", &label)]);
                self.say.expect = if self.voice() { Expect::Digits } else { Expect::Text };
            }
            FieldType::Date => {
                self.line("field-date", &[("label", &label)]);
                self.say.expect = if self.voice() { Expect::Digits } else { Expect::Text };
            }
            FieldType::Text => {
                self.line("field-text", &[("label", &label)]);
                self.say.expect = if self.voice() { Expect::Digits } else { Expect::Text };
            }
        }
    }

    /// The services that take the chosen kind, in catalogue order.
    async fn services(&self, kind: Option<Kind>) -> Result<Vec<Service>, DialogueError> {
        Ok(self.app.find_services("", kind).await?)
    }

    /// The chosen service's form; none before a service is chosen.
    async fn form(&self, state: &State) -> Result<Vec<FormField>, DialogueError> {
        Ok(match &state.service {
            Some(code) => self.app.service(code).await?.map(|s| s.fields).unwrap_or_default(),
            None => vec![],
        })
    }

    async fn choose_service(&mut self, state: &mut State, code: String) -> Result<(), DialogueError> {
        state.service = Some(code);
        state.answers.clear();
        let fields = self.form(state).await?;
        match next_required(&fields, 0) {
            Some(first) => {
                state.field = first;
                self.enter(state, Stage::Field).await
            }
            None => self.enter(state, Stage::Describe).await,
        }
    }

    /// The resident's words matched against the catalogue: up to three services to pick from.
    async fn match_words(&mut self, state: &mut State, words: &str) -> Result<(), DialogueError> {
        let found = self.app.find_services(words, state.kind).await?;
        state.candidates = found.into_iter().take(3).map(|s| s.code).collect();
        if state.candidates.is_empty() {
            self.line("words-no-match", &[]);
            state.stage = Stage::Words;
            return self.strike(state).await;
        }
        self.enter(state, Stage::Pick).await
    }

    /// The status of a case by its reference, then the menu again.
    async fn status(&mut self, state: &mut State, reference: &str) -> Result<(), DialogueError> {
        let case = match self.app.public_case(reference).await {
            Ok(case) => case,
            Err(CasesError::Common(Failure::NotFound(_))) => {
                self.line("reference-unknown", &[]);
                return self.strike(state).await;
            }
            Err(e) => return Err(e.into()),
        };
        let service = self.label(&case.service_name_ar, &case.service_name_en).to_owned();
        let status = self.text(&format!("status-{}", case.status.as_str()), &[]);
        let digits = reference_digits(self.prompts, self.language(), &case.reference);
        self.line(
            "status-line",
            &[
                ("reference", &case.reference),
                ("digits", &digits),
                ("service", &service),
                ("status", &status),
            ],
        );
        self.enter(state, Stage::Menu).await
    }

    /// Makes the case through the one intake and says its reference.
    async fn submit(&mut self, state: &mut State) -> Result<(), DialogueError> {
        let channel = self.incoming.channel;
        let phone = match channel {
            Channel::Phone | Channel::Sms | Channel::Whatsapp => {
                let raw = self.incoming.address.trim();
                let international = if raw.starts_with('+') {
                    raw.to_owned()
                } else {
                    format!("+{raw}")
                };
                PhoneNumber::parse(&international).ok().map(|p| p.as_str().to_owned())
            }
            _ => None,
        };
        let reporter = phone.map(|phone| ReporterDraft {
            name: None,
            phone: Some(phone),
            email: None,
            language: state.language.clone(),
        });
        let draft = IntakeDraft {
            service: state.service.clone().unwrap_or_default(),
            kind: state.kind.map(|k| k.as_str().to_owned()).unwrap_or_default(),
            description: state.description.clone().unwrap_or_default(),
            answers: (!state.answers.is_empty()).then(|| state.answers.clone()),
            location: state.location.map(|(lat, lon)| LocationDraft { lat, lon }),
            address: state.address.clone(),
            reporter,
            language: state.language.clone(),
            channel: Some(channel),
        };
        let mut files = vec![];
        if let Some(fetch) = &self.incoming.fetch {
            for url in state.recording.iter().chain(state.media.iter()) {
                match fetch(url.clone()).await {
                    Ok(upload) => files.push(upload),
                    // The case goes in without the file rather than not at all; the
                    // transcript keeps where it was.
                    Err(e) => {
                        tracing::warn!(conversation = self.conversation, url, error = %e, "a resident's file could not be fetched")
                    }
                }
            }
        }
        let intake = Intake {
            draft,
            files,
            idempotency_key: Some(format!("conversation-{}-{}", self.conversation, state.submitted)),
        };
        match self.app.submit(intake).await {
            Ok(receipt) => {
                state.submitted += 1;
                let digits = reference_digits(self.prompts, self.language(), &receipt.reference);
                self.line("submitted", &[("reference", &receipt.reference), ("digits", &digits)]);
                self.line("goodbye", &[]);
                state.reference = Some(receipt.reference);
                self.end(state, Ending::Submitted, After::End);
                Ok(())
            }
            Err(CasesError::Common(Failure::Invalid(invalid))) => {
                self.line("submit-refused", &[("reason", &invalid.message)]);
                state.offered_from = Some(Stage::Confirm);
                self.enter(state, Stage::OfferPerson).await
            }
            Err(CasesError::Common(Failure::TooManyRequests(throttled))) => {
                self.line("submit-refused", &[("reason", &throttled.message)]);
                self.end(state, Ending::Refused, After::End);
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }
}

fn page_of(services: &[Service], page: usize) -> &[Service] {
    let start = (page * SERVICES_PER_PAGE).min(services.len());
    let end = (start + SERVICES_PER_PAGE).min(services.len());
    &services[start..end]
}

fn western(text: &str) -> String {
    crate::engine::western_digits(text.trim())
}

/// Only keys (digits, `*`, `#`): a keyed answer, never words to search.
fn is_keys(text: &str) -> bool {
    western(text)
        .chars()
        .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
}
