//! The case planner: 500 cases of the last 90 days at every stage of their lifecycle, drawn
//! from a seeded generator, so that every demo installation tells the same story (only the
//! time it is told from, and the secret tracking tokens, differ).

use crate::data::{CaseTexts, DemoData, ServiceSpec};
use anyhow::{anyhow, Result};
use chrono::{DateTime, Datelike, Duration, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{json, Map, Value};
use tawasul_app::identity::auth::new_secret;
use tawasul_domain::catalogue::{validate_answers, FieldType, FormField};
use tawasul_domain::lifecycle::Action;
use tawasul_domain::vocab::{Channel, Language, Priority, Status};
use tawasul_domain::{micros, reference, secret_digest};
use tawasul_store::{CaseInsert, EventInsert};

pub const CASES: usize = 500;
const SEED: u64 = 2026;

/// A catalogue service once stored: the ids its cases need.
pub struct Stored<'a> {
    pub spec: &'a ServiceSpec,
    pub id: i64,
    pub entity_id: i64,
    pub department_id: i64,
}

/// A case to write and what staff then do to it, all decided before anything is written.
pub struct PlannedCase<'a> {
    pub case: CaseInsert,
    /// The code of the case's entity, whose staff take its steps.
    pub entity: &'a str,
    pub steps: Vec<Step>,
}

pub struct Step {
    pub at: i64,
    pub what: Move,
    pub body: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Act(Action),
    /// A public reply: the status stays.
    Reply,
    /// An internal note: the status stays.
    Note,
}

/// Where the demo cases end up, in percent.
const OUTCOMES: &[(Status, u32)] = &[
    (Status::New, 10),
    (Status::Acknowledged, 10),
    (Status::Assigned, 15),
    (Status::InProgress, 20),
    (Status::WaitingOnReporter, 5),
    (Status::Resolved, 10),
    (Status::Closed, 25),
    (Status::Rejected, 5),
];

const CHANNELS: &[(Channel, u32)] = &[
    (Channel::Web, 30),
    (Channel::Whatsapp, 15),
    (Channel::Phone, 15),
    (Channel::Api, 8),
    (Channel::Email, 7),
    (Channel::WalkIn, 7),
    (Channel::Sms, 5),
    (Channel::Chat, 5),
    (Channel::Social, 3),
    (Channel::Open311, 3),
    (Channel::Qr, 2),
];

pub(crate) const MINUTE: i64 = 60_000_000;
pub(crate) const HOUR: i64 = 60 * MINUTE;
pub(crate) const DAY: i64 = 24 * HOUR;

/// A name the demo data should have; its absence is a mistake in the data, told as an error.
pub fn known<T>(value: Option<T>, what: &str) -> Result<T> {
    value.ok_or_else(|| anyhow!("the demo data has no {what}"))
}

pub(crate) fn one_of<'a, T>(rng: &mut StdRng, items: &'a [T]) -> Result<&'a T> {
    known(items.choose(rng), "choices")
}

pub(crate) fn weighted<T: Copy>(rng: &mut StdRng, table: &[(T, u32)]) -> Result<T> {
    Ok(table
        .choose_weighted(rng, |(_, weight)| *weight)
        .map(|(item, _)| *item)?)
}

fn raised(priority: Priority) -> Priority {
    match priority {
        Priority::Low => Priority::Normal,
        Priority::Normal => Priority::High,
        Priority::High | Priority::Urgent => Priority::Urgent,
    }
}

/// `{n}`, `{road}` and `{block}` of a text filled in.
pub(crate) fn filled(text: &str, n: i32, road: i32, block: i32) -> String {
    text.replace("{n}", &n.to_string())
        .replace("{road}", &road.to_string())
        .replace("{block}", &block.to_string())
}

/// Every demo case, oldest first.
pub fn plan_cases<'a>(data: &DemoData, services: &[Stored<'a>], now: DateTime<Utc>) -> Result<Vec<PlannedCase<'a>>> {
    let mut rng = StdRng::seed_from_u64(SEED);
    let mut plans = (0..CASES)
        .map(|_| plan_case(&mut rng, data, services, now))
        .collect::<Result<Vec<_>>>()?;
    plans.sort_by_key(|p| p.case.created_at);
    Ok(plans)
}

fn plan_case<'a>(
    rng: &mut StdRng,
    data: &DemoData,
    services: &[Stored<'a>],
    now: DateTime<Utc>,
) -> Result<PlannedCase<'a>> {
    let service = known(services.choose(rng), "services")?;
    let spec = service.spec;
    let outcome = weighted(rng, OUTCOMES)?;
    // Most cases nobody has touched yet are recent; the rest are the backlog a supervisor chases.
    let fresh = matches!(outcome, Status::New | Status::Acknowledged) && rng.gen_bool(0.7);
    let max_age = if fresh { 7 * DAY } else { 90 * DAY };
    let created = micros(now) - rng.gen_range(10 * MINUTE..max_age);

    let english = rng.gen_bool(0.3);
    let case = new_case(rng, data, service, created, english)?;
    let steps = plan_steps(rng, &data.texts, spec, outcome, english, created, micros(now))?;
    Ok(PlannedCase {
        case,
        entity: &spec.entity,
        steps,
    })
}

/// A case as intake records it, received from a resident in `created`, with its received and
/// routed events, still new.
pub fn new_case(
    rng: &mut StdRng,
    data: &DemoData,
    service: &Stored<'_>,
    created: i64,
    english: bool,
) -> Result<CaseInsert> {
    let spec = service.spec;
    let language = if english { Language::En } else { Language::Ar };
    let (n, road, block) = (rng.gen_range(1..400), rng.gen_range(1..3000), rng.gen_range(301..347));
    let description = filled(one_of(rng, spec.texts.pick(english))?, n, road, block);
    let address = rng
        .gen_bool(0.5)
        .then(|| filled(data.texts.address.pick(english), n, road, block));
    let location = rng
        .gen_bool(0.65)
        .then(|| (round6(rng.gen_range(26.20..26.24)), round6(rng.gen_range(50.56..50.60))));

    let reporter = if rng.gen_bool(0.75) {
        let person = one_of(rng, &data.people)?;
        let phone = rng.gen_bool(0.75);
        let email = !phone || rng.gen_bool(0.3);
        Some((
            person.name.pick(english).clone(),
            phone.then(|| format!("+9733{:07}", rng.gen_range(0..10_000_000))),
            email.then(|| format!("{}{}@example.com", person.email_handle, rng.gen_range(1..100))),
        ))
    } else {
        None
    };
    let reporter_name = reporter.as_ref().map(|(name, _, _)| name.clone());

    let kind = if rng.gen_bool(0.6) {
        *known(spec.kinds.first(), "kinds")?
    } else {
        *one_of(rng, &spec.kinds)?
    };
    let channel = weighted(rng, CHANNELS)?;
    let priority = if rng.gen_bool(0.1) {
        raised(spec.priority)
    } else {
        spec.priority
    };
    let answers = sample_answers(rng, &data.texts, &spec.fields, created, english)?;

    let event =
        |actor_type: &str, actor_name: &str, action: &str, to_status: Option<Status>, details: Value| EventInsert {
            case_id: 0,
            at: created,
            actor_type: actor_type.into(),
            actor_id: None,
            actor_name: actor_name.into(),
            action: action.into(),
            from_status: None,
            to_status,
            public: true,
            body: None,
            details: details.to_string(),
        };
    // As intake records them: received from the reporter, then routed by the catalogue.
    let events = vec![
        event(
            if reporter.is_some() { "reporter" } else { "system" },
            reporter_name.as_deref().unwrap_or("anonymous"),
            "received",
            Some(Status::New),
            json!({ "channel": channel, "kind": kind }),
        ),
        event(
            "system",
            "routing",
            "routed",
            None,
            json!({ "department": spec.department, "reason": "the service's default department" }),
        ),
    ];
    let token = new_secret();
    let (phone, email) = reporter
        .as_ref()
        .map_or((None, None), |(_, phone, email)| (phone.clone(), email.clone()));
    Ok(CaseInsert {
        token_hash: secret_digest(&token),
        token,
        idempotency: None,
        entity_id: service.entity_id,
        department_id: Some(service.department_id),
        service_id: service.id,
        kind: kind.as_str().into(),
        status: Status::New.as_str().into(),
        channel: channel.as_str().into(),
        language: language.as_str().into(),
        priority: priority.as_str().into(),
        description,
        answers: Value::Object(answers).to_string(),
        lat: location.map(|(lat, _)| lat),
        lon: location.map(|(_, lon)| lon),
        address,
        reporter_language: reporter.is_some().then(|| language.as_str().to_owned()),
        reporter_name,
        reporter_phone: phone,
        reporter_email: email,
        created_at: created,
        events,
        ..CaseInsert::default()
    })
}

pub(crate) fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Answers to a service's form: every required field, about half the optional ones.
fn sample_answers(
    rng: &mut StdRng,
    texts: &CaseTexts,
    fields: &[FormField],
    created: i64,
    english: bool,
) -> Result<Map<String, Value>> {
    let mut answers = Map::new();
    for field in fields {
        if !field.required && rng.gen_bool(0.5) {
            continue;
        }
        let created = tawasul_domain::from_micros(created);
        let answer = match field.field_type {
            FieldType::Text => json!(match field.key.as_str() {
                "meter_number" | "plate" | "plot" => rng.gen_range(10_000..10_000_000).to_string(),
                "application_number" => format!("BP-{}-{:05}", created.year(), rng.gen_range(1..50_000)),
                "earlier_reference" => reference(created.year(), rng.gen_range(1..400)),
                _ => one_of(rng, &texts.landmarks)?.pick(english).clone(),
            }),
            FieldType::Number => {
                let (min, max) = (field.min.unwrap_or(0.0) as i64, field.max.unwrap_or(100.0) as i64);
                json!(rng.gen_range(min..=max))
            }
            FieldType::Date => json!((created - Duration::days(rng.gen_range(0..10)))
                .format("%Y-%m-%d")
                .to_string()),
            FieldType::SingleChoice => json!(known(field.options.choose(rng), "options")?.value),
            FieldType::MultipleChoice => {
                let mut chosen: Vec<&str> = field
                    .options
                    .iter()
                    .filter(|_| rng.gen_bool(0.4))
                    .map(|o| o.value.as_str())
                    .collect();
                if chosen.is_empty() {
                    chosen.push(known(field.options.choose(rng), "options")?.value.as_str());
                }
                json!(chosen)
            }
        };
        answers.insert(field.key.clone(), answer);
    }
    // The same check a resident's answers pass, so that demo cases read like real ones.
    Ok(validate_answers(fields, &answers)?)
}

/// The actions that take a new case to `outcome`, each allowed by the lifecycle.
fn path_to(rng: &mut StdRng, outcome: Status) -> Vec<Action> {
    use Action::*;
    let worked = [Acknowledge, Assign, Start];
    match outcome {
        Status::New => vec![],
        Status::Acknowledged => vec![Acknowledge],
        Status::Assigned => vec![Acknowledge, Assign],
        Status::InProgress => worked.to_vec(),
        Status::WaitingOnReporter => [&worked[..], &[WaitOnReporter]].concat(),
        Status::Resolved | Status::Closed => {
            let mut path = worked.to_vec();
            if rng.gen_bool(0.2) {
                path.extend([WaitOnReporter, Resume]);
            }
            path.push(Resolve);
            if outcome == Status::Closed {
                path.push(Close);
            }
            path
        }
        Status::Rejected if rng.gen_bool(0.5) => vec![Reject],
        Status::Rejected => vec![Acknowledge, Reject],
        // Not among OUTCOMES: a transfer or a merge carries its own data (where to, why).
        Status::Transferred | Status::Merged => vec![Acknowledge],
    }
}

/// What staff do to a case, timed between its intake and `now`.
pub(crate) fn plan_steps(
    rng: &mut StdRng,
    texts: &CaseTexts,
    spec: &ServiceSpec,
    outcome: Status,
    english: bool,
    created: i64,
    now: i64,
) -> Result<Vec<Step>> {
    let mut moves: Vec<(Move, Option<String>)> = Vec::new();
    for action in path_to(rng, outcome) {
        let body = match action {
            Action::Acknowledge => Some(&texts.acknowledgement),
            Action::WaitOnReporter => Some(one_of(rng, &texts.questions)?),
            Action::Resume => Some(&texts.resumed),
            Action::Resolve => Some(&spec.resolution),
            Action::Reject => Some(one_of(rng, &texts.rejections)?),
            Action::Assign | Action::Start | Action::Close | Action::Reopen => None,
        };
        moves.push((Move::Act(action), body.map(|text| text.pick(english).clone())));
    }
    if rng.gen_bool(0.2) {
        let at = rng.gen_range(0..=moves.len());
        moves.insert(
            at,
            (Move::Reply, Some(one_of(rng, &texts.replies)?.pick(english).clone())),
        );
    }
    if rng.gen_bool(0.15) {
        let at = rng.gen_range(0..=moves.len());
        moves.insert(at, (Move::Note, Some(one_of(rng, &texts.notes)?.clone())));
    }
    // Gaps of 20 minutes to 30 hours, squeezed when the case is younger than they add up to.
    let gaps: Vec<i64> = moves.iter().map(|_| rng.gen_range(20 * MINUTE..30 * HOUR)).collect();
    let budget = (now - created) * 9 / 10;
    let total: i64 = gaps.iter().sum();
    let scale = if total > budget {
        budget as f64 / total as f64
    } else {
        1.0
    };
    let mut at = created;
    Ok(moves
        .into_iter()
        .zip(gaps)
        .map(|((what, body), gap)| {
            at += ((gap as f64 * scale) as i64).max(1);
            Step { at, what, body }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use tawasul_domain::intake::{Email, PhoneNumber};
    use tawasul_domain::lifecycle::transition;

    fn stored(catalogue: &[ServiceSpec]) -> Vec<Stored<'_>> {
        catalogue
            .iter()
            .zip(1..)
            .map(|(spec, id)| Stored {
                spec,
                id,
                entity_id: 1,
                department_id: 1,
            })
            .collect()
    }

    #[test]
    fn planned_cases_follow_the_lifecycle_to_every_status() {
        let data = DemoData::load().expect("the demo data parses");
        let now = Utc::now();
        let plans = plan_cases(&data, &stored(&data.services), now).expect("plans");
        assert_eq!(plans.len(), CASES);
        let mut reached = HashSet::new();
        for plan in &plans {
            let case = &plan.case;
            assert!(case.created_at < micros(now) && case.created_at > micros(now - Duration::days(91)));
            if let Some(phone) = &case.reporter_phone {
                assert_eq!(PhoneNumber::parse(phone).expect("phone").as_str(), phone);
            }
            if let Some(email) = &case.reporter_email {
                assert_eq!(Email::parse(email).expect("email").as_str(), email);
            }
            let mut status = Status::New;
            let mut at = case.created_at;
            for step in &plan.steps {
                assert!(
                    step.at > at && step.at < micros(now),
                    "steps run forwards and end before now"
                );
                at = step.at;
                if let Move::Act(action) = step.what {
                    status = transition(status, action).expect("allowed");
                }
            }
            reached.insert(status);
        }
        // Every status but `transferred` and `merged`, which only a transfer between entities
        // and a merge into another case reach.
        assert_eq!(reached.len(), Status::ALL.len() - 2, "{reached:?}");
        assert!(!reached.contains(&Status::Transferred) && !reached.contains(&Status::Merged));
        assert!(plans.windows(2).all(|w| w[0].case.created_at <= w[1].case.created_at));
    }
}
