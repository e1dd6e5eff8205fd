//! Cases at a big city's volume, for load tests and benchmarks: the demo's catalogue, people
//! and texts, with a skewed service mix (a few services take most cases, as in real 311
//! data), Arabic spelling as residents really write it, years of history, every status a
//! case settles in, timelines of staff steps and the residents' surveys.
//!
//! Deterministic for a seed and a moment `now`, apart from the secret tracking tokens. Cases
//! come out oldest first, a chunk at a time, for [`tawasul_app::Operator::load_cases`]; each
//! chunk draws from its own generator, seeded from the seed and the chunk's number, so that
//! chunks can be made on several threads at once and still come out the same.

use crate::actor_role;
use crate::data::ServiceSpec;
use crate::data::{DemoData, ScaleTexts};
use crate::plan::{filled, new_case, one_of, plan_steps, round6, weighted, Move, Stored, DAY, HOUR};
use anyhow::{anyhow, Result};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use tawasul_app::rows::{ServiceRow, StaffRow};
use tawasul_domain::lifecycle::{transition, Action};
use tawasul_domain::vocab::{Role, Status};
use tawasul_store::{EventInsert, LoadedCase, LoadedSurvey, LoadedWords};

/// Where cases settle, in tenths of a percent, by how old they are: the last week's cases
/// are mostly still being worked; older ones are closed but for a stale backlog.
const LAST_WEEK: &[(Status, u32)] = &[
    (Status::New, 250),
    (Status::Acknowledged, 150),
    (Status::Assigned, 150),
    (Status::InProgress, 150),
    (Status::WaitingOnReporter, 50),
    (Status::Resolved, 100),
    (Status::Closed, 100),
    (Status::Rejected, 50),
];
const LAST_TWO_MONTHS: &[(Status, u32)] = &[
    (Status::New, 20),
    (Status::Acknowledged, 20),
    (Status::Assigned, 40),
    (Status::InProgress, 60),
    (Status::WaitingOnReporter, 30),
    (Status::Resolved, 80),
    (Status::Closed, 680),
    (Status::Rejected, 70),
];
const OLDER: &[(Status, u32)] = &[
    (Status::New, 1),
    (Status::Acknowledged, 1),
    (Status::Assigned, 2),
    (Status::InProgress, 3),
    (Status::WaitingOnReporter, 3),
    (Status::Resolved, 10),
    (Status::Closed, 900),
    (Status::Rejected, 80),
];

/// Zipf's exponent of the service mix: with the demo's catalogue the first service takes
/// about a fifth of the cases and the last few a percent or less each.
const SKEW: f64 = 1.1;

/// Cases drawn from one generator: the unit of determinism. A writer's batches are whole
/// chunks, so the batch size and the threads leave the cases as they are.
pub const CHUNK: usize = 1_000;

/// The share of closed and resolved cases whose reporter answered the survey.
const SURVEY_SHARE: f64 = 0.25;

/// A generator of `total` cases received over `years` up to `now`. It owns what it draws
/// from, so that threads can share it.
pub struct Scale {
    data: DemoData,
    texts: ScaleTexts,
    /// Each catalogue service as stored: its spec's place in `data.services`, and its ids.
    services: Vec<(usize, StoredIds)>,
    service_weights: Vec<(usize, f64)>,
    /// Each entity's staff by role: who takes each step.
    crew: BTreeMap<(i64, Role), Vec<StaffRow>>,
    /// Each entity's area as a box (south, west, north, east).
    areas: HashMap<i64, (f64, f64, f64, f64)>,
    seed: u64,
    start: i64,
    step: f64,
    now: i64,
    total: usize,
}

/// The ids a stored service's cases need.
#[derive(Debug, Clone, Copy)]
struct StoredIds {
    id: i64,
    entity_id: i64,
    department_id: i64,
}

impl Scale {
    /// `services` and `staff` as stored: the demo's catalogue must be there (its services are
    /// found by code).
    pub fn new(
        data: DemoData,
        services: &[ServiceRow],
        staff: Vec<StaffRow>,
        total: usize,
        seed: u64,
        years: u32,
        now: i64,
    ) -> Result<Self> {
        let stored = data
            .services
            .iter()
            .enumerate()
            .filter_map(|(spec, wanted)| {
                let row = services.iter().find(|s| s.code == wanted.code)?;
                Some((
                    spec,
                    StoredIds {
                        id: row.id,
                        entity_id: row.entity_id,
                        department_id: row.default_department_id?,
                    },
                ))
            })
            .collect::<Vec<_>>();
        if stored.is_empty() {
            return Err(anyhow!(
                "the store has none of the demo's services: seed the demo first"
            ));
        }
        let mut rng = StdRng::seed_from_u64(seed);
        // Which services are popular is itself drawn from the seed.
        let mut ranks: Vec<usize> = (0..stored.len()).collect();
        ranks.shuffle(&mut rng);
        let service_weights = ranks
            .iter()
            .enumerate()
            .map(|(rank, &service)| (service, 1.0 / ((rank + 1) as f64).powf(SKEW)))
            .collect();
        let mut crew: BTreeMap<(i64, Role), Vec<StaffRow>> = BTreeMap::new();
        for member in staff.into_iter().filter(|s| s.active) {
            if let Some(entity) = member.entity_id {
                crew.entry((entity, member.role)).or_default().push(member);
            }
        }
        // By username: staff ids depend on the order the demo's staff were added in.
        for members in crew.values_mut() {
            members.sort_by(|a, b| a.username.cmp(&b.username));
        }
        let entity_ids: HashMap<&str, i64> = services.iter().map(|s| (s.entity_code.as_str(), s.entity_id)).collect();
        let areas = data
            .routing
            .areas
            .iter()
            .filter_map(|a| Some((*entity_ids.get(a.entity.as_str())?, bounding_box(&a.area)?)))
            .collect();
        let span = i64::from(years.max(1)) * 365 * DAY;
        Ok(Self {
            data,
            texts: ScaleTexts::load()?,
            services: stored,
            service_weights,
            crew,
            areas,
            seed,
            start: now - span,
            step: span as f64 / total.max(1) as f64,
            now,
            total,
        })
    }

    /// How many chunks (of [`CHUNK`] cases, the last maybe fewer) make the whole.
    pub fn chunks(&self) -> usize {
        self.total.div_ceil(CHUNK)
    }

    /// Chunk `index` of the cases (past the last: none), oldest first. The same index gives
    /// the same cases, in any order of calls and on any thread.
    pub fn chunk(&self, index: usize) -> Result<Vec<LoadedCase>> {
        let first = index.saturating_mul(CHUNK).min(self.total);
        let end = first.saturating_add(CHUNK).min(self.total);
        let mut rng = StdRng::seed_from_u64(chunk_seed(self.seed, index));
        (first..end)
            .map(|made| {
                let at = self.start + (made as f64 * self.step) as i64 + rng.gen_range(0..self.step.max(1.0) as i64);
                self.case(&mut rng, at.min(self.now - 1))
            })
            .collect()
    }

    fn case(&self, rng: &mut StdRng, created: i64) -> Result<LoadedCase> {
        let (spec, ids) = self.services[self
            .service_weights
            .choose_weighted(rng, |(_, w)| *w)
            .map(|(s, _)| *s)?];
        let spec: &ServiceSpec = &self.data.services[spec];
        let service = &Stored {
            spec,
            id: ids.id,
            entity_id: ids.entity_id,
            department_id: ids.department_id,
        };
        let age = self.now - created;
        let outcome = weighted(
            rng,
            match age {
                a if a < 7 * DAY => LAST_WEEK,
                a if a < 60 * DAY => LAST_TWO_MONTHS,
                _ => OLDER,
            },
        )?;
        let english = rng.gen_bool(0.15);
        let mut case = new_case(rng, &self.data, service, created, english)?;

        let district = one_of(rng, &self.texts.districts)?.pick(english).clone();
        let mut description = case.description.clone();
        if rng.gen_bool(0.4) {
            description = format!("{} {description}", one_of(rng, &self.texts.openings)?.pick(english));
        }
        if rng.gen_bool(0.5) {
            let closing = one_of(rng, &self.texts.closings)?.pick(english);
            let closing = filled(closing, rng.gen_range(1..900), 0, 0)
                .replace("{days}", &rng.gen_range(2..15).to_string())
                .replace("{meter}", &rng.gen_range(100_000..9_999_999).to_string())
                .replace("{plate}", &rng.gen_range(10_000..999_999).to_string());
            description = format!("{description} {closing}");
        }
        description = if english {
            format!("{description} ({district})")
        } else {
            as_residents_write(rng, &format!("{description} - {district}"))
        };
        case.address = case.address.map(|a| format!("{a}, {district}"));
        if let (Some(_), Some(&(south, west, north, east))) = (case.lat, self.areas.get(&service.entity_id)) {
            case.lat = Some(round6(rng.gen_range(south..north)));
            case.lon = Some(round6(rng.gen_range(west..east)));
        }
        case.description = description;

        let steps = plan_steps(rng, &self.data.texts, service.spec, outcome, english, created, self.now)?;
        let mut status = Status::New;
        let (mut assignee_id, mut resolution, mut updated_at) = (None, None, created);
        for step in steps {
            let (action, to, role) = match step.what {
                Move::Act(action) => (action.as_str(), Some(transition(status, action)?), actor_role(action)),
                Move::Reply => ("reply", None, Role::Officer),
                Move::Note => ("note", None, Role::Supervisor),
            };
            let actor = member(&self.crew, rng, service.entity_id, role)?;
            let mut details = json!({});
            if step.what == Move::Act(Action::Assign) {
                let officer = member(&self.crew, rng, service.entity_id, Role::Officer)?;
                details = json!({ "assignee": officer.username });
                assignee_id = Some(officer.id);
            }
            if step.what == Move::Act(Action::Resolve) {
                resolution = step.body.clone();
            }
            case.events.push(EventInsert {
                case_id: 0,
                at: step.at,
                actor_type: "staff".into(),
                actor_id: Some(actor.id),
                actor_name: actor.display_name.clone(),
                action: action.into(),
                from_status: to.map(|_| status),
                to_status: to,
                public: step.what != Move::Note,
                body: step.body,
                details: details.to_string(),
            });
            status = to.unwrap_or(status);
            updated_at = step.at;
        }
        case.status = status.as_str().into();
        let survey = self.survey(rng, &mut case.events, status, updated_at);
        let mut loaded = LoadedCase {
            case,
            assignee_id,
            resolution,
            updated_at,
            survey,
            words: None,
        };
        // Worked out here, on the generator's thread, rather than by the store's writer.
        loaded.words = Some(LoadedWords::of(&loaded));
        Ok(loaded)
    }

    /// The reporter's survey of a closed or resolved case, mostly kind, sometimes not; its
    /// event joins the timeline.
    fn survey(
        &self,
        rng: &mut StdRng,
        events: &mut Vec<EventInsert>,
        status: Status,
        last: i64,
    ) -> Option<LoadedSurvey> {
        if !matches!(status, Status::Closed | Status::Resolved) || !rng.gen_bool(SURVEY_SHARE) {
            return None;
        }
        let at = last + rng.gen_range(HOUR..3 * DAY);
        if at >= self.now {
            return None;
        }
        let mut score = || *[5, 5, 5, 4, 4, 3, 2, 1].choose(rng).unwrap_or(&5);
        let (quality, speed, agent) = (score(), score(), score());
        let low = quality.min(speed).min(agent) <= tawasul_app::cases::survey::LOW_SCORE;
        // Of the closed cases the generator makes, those rated low are the ones not solved.
        let solved = !low;
        events.push(EventInsert {
            case_id: 0,
            at,
            actor_type: "reporter".into(),
            actor_id: None,
            actor_name: "reporter".into(),
            action: "survey".into(),
            from_status: None,
            to_status: None,
            public: true,
            body: None,
            details: json!({ "quality": quality, "speed": speed, "agent": agent, "low": low, "solved": solved })
                .to_string(),
        });
        Some(LoadedSurvey {
            quality,
            speed,
            agent,
            comment: None,
            low,
            solved: Some(solved),
            created_at: at,
        })
    }
}

/// The seed of chunk `index`'s generator: the chunks' streams apart (SplitMix64's constant
/// spreads neighbouring indexes over the whole seed space).
fn chunk_seed(seed: u64, index: usize) -> u64 {
    seed ^ (index as u64).wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// A staff member of the entity in the role, or of any role there if it has none.
fn member(
    crew: &BTreeMap<(i64, Role), Vec<StaffRow>>,
    rng: &mut StdRng,
    entity_id: i64,
    role: Role,
) -> Result<StaffRow> {
    let members = match crew.get(&(entity_id, role)) {
        Some(members) => members,
        None => crew
            .iter()
            .find(|((entity, _), _)| *entity == entity_id)
            .map(|(_, members)| members)
            .ok_or_else(|| anyhow!("entity {entity_id} has no staff"))?,
    };
    Ok(one_of(rng, members)?.clone())
}

/// Arabic as residents type it: hamza on the alef dropped or added, taa marbuta written as
/// haa, alef maqsura as yaa and back, digits in Arabic-Indic or Latin forms.
fn as_residents_write(rng: &mut StdRng, text: &str) -> String {
    text.split(' ')
        .map(|word| {
            let mut chars: Vec<char> = word.chars().collect();
            match chars.first() {
                Some('أ' | 'إ') if rng.gen_bool(0.3) => chars[0] = 'ا',
                Some('ا') if chars.len() > 3 && rng.gen_bool(0.1) => {
                    chars[0] = if rng.gen_bool(0.5) { 'أ' } else { 'إ' }
                }
                _ => {}
            }
            match chars.last() {
                Some('ة') if rng.gen_bool(0.2) => *chars.last_mut().expect("a last letter") = 'ه',
                Some('ى') if rng.gen_bool(0.3) => *chars.last_mut().expect("a last letter") = 'ي',
                Some('ي') if rng.gen_bool(0.05) => *chars.last_mut().expect("a last letter") = 'ى',
                _ => {}
            }
            if chars.iter().all(char::is_ascii_digit) && rng.gen_bool(0.4) {
                for c in &mut chars {
                    *c = char::from_u32('٠' as u32 + (*c as u32 - '0' as u32)).unwrap_or(*c);
                }
            }
            chars.into_iter().collect::<String>()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The box around every position of a GeoJSON geometry, feature or collection.
fn bounding_box(geojson: &serde_json::Value) -> Option<(f64, f64, f64, f64)> {
    fn walk(v: &serde_json::Value, b: &mut Option<(f64, f64, f64, f64)>) {
        match v.as_array().map(Vec::as_slice) {
            Some([lon, lat]) if lon.is_f64() || lon.is_i64() => {
                let (lon, lat) = (lon.as_f64().unwrap_or(0.0), lat.as_f64().unwrap_or(0.0));
                let (s, w, n, e) = b.unwrap_or((lat, lon, lat, lon));
                *b = Some((s.min(lat), w.min(lon), n.max(lat), e.max(lon)));
            }
            Some(items) => items.iter().for_each(|i| walk(i, b)),
            None => {
                if let Some(object) = v.as_object() {
                    object.values().for_each(|i| walk(i, b));
                }
            }
        }
    }
    let mut b = None;
    walk(geojson, &mut b);
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use std::collections::HashSet;
    use tawasul_domain::micros;
    use tawasul_domain::text::normalise_for_search;

    /// The demo's services and one staff member of each role per entity, as if stored.
    fn stored(data: &DemoData) -> (Vec<ServiceRow>, Vec<StaffRow>) {
        let entity_id = |code: &str| if code == "cap" { 1 } else { 2 };
        let services = data
            .services
            .iter()
            .zip(1..)
            .map(|(spec, id)| ServiceRow {
                id,
                entity_id: entity_id(&spec.entity),
                entity_code: spec.entity.clone(),
                code: spec.code.clone(),
                name_ar: spec.name.ar.clone(),
                name_en: spec.name.en.clone(),
                description_ar: String::new(),
                description_en: String::new(),
                kinds: String::new(),
                fields: String::new(),
                default_department_id: Some(entity_id(&spec.entity) * 10),
                default_department_code: None,
                default_priority: spec.priority,
                fix_photo_required: spec.fix_photo_required,
            })
            .collect();
        let staff = [1, 2]
            .into_iter()
            .flat_map(|entity| [Role::Agent, Role::Supervisor, Role::Officer].map(move |role| (entity, role)))
            .zip(1..)
            .map(|((entity, role), id)| StaffRow {
                id,
                username: format!("staff{id}"),
                password_hash: String::new(),
                role,
                entity_id: Some(entity),
                entity_code: None,
                department_id: None,
                display_name: format!("Staff {id}"),
                email: None,
                active: true,
            })
            .collect();
        (services, staff)
    }

    #[test]
    fn cases_are_deterministic_oldest_first_skewed_and_follow_the_lifecycle() {
        let data = DemoData::load().expect("the demo data parses");
        let (services, staff) = stored(&data);
        let now = micros(Utc::now());
        let scale = || {
            let data = DemoData::load().expect("the demo data parses");
            Scale::new(data, &services, staff.clone(), 3_000, 9, 2, now).expect("scale")
        };
        let first = scale();
        assert_eq!(first.chunks(), 3);
        let cases: Vec<LoadedCase> = (0..3).flat_map(|i| first.chunk(i).expect("chunk")).collect();
        assert!(first.chunk(3).expect("none left").is_empty());
        assert_eq!(cases.len(), 3_000);
        // Another generator, its chunks made last first: the same cases.
        let second = scale();
        let mut again: Vec<Vec<LoadedCase>> = (0..3).rev().map(|i| second.chunk(i).expect("chunk")).collect();
        again.reverse();
        let again: Vec<LoadedCase> = again.into_iter().flatten().collect();
        let summary = |c: &LoadedCase| {
            (
                c.case.created_at,
                c.case.description.clone(),
                c.case.status.clone(),
                c.case.events.len(),
            )
        };
        assert!(
            cases.iter().map(summary).eq(again.iter().map(summary)),
            "the same seed gives the same cases"
        );

        assert!(
            cases.windows(2).all(|w| w[0].case.created_at <= w[1].case.created_at),
            "oldest first"
        );
        assert!(cases[0].case.created_at >= now - 2 * 365 * DAY && cases[2_999].case.created_at < now);
        let mut reached = HashSet::new();
        for loaded in &cases {
            let mut status = Status::New;
            let mut at = loaded.case.created_at;
            for event in &loaded.case.events {
                assert!(
                    event.at >= at && event.at < now,
                    "events run forwards and end before now"
                );
                at = event.at;
                if let (Some(from), Some(to)) = (event.from_status, event.to_status) {
                    assert_eq!(from, status);
                    status = to;
                }
            }
            assert_eq!(
                loaded.case.status,
                status.as_str(),
                "the case stands where its events took it"
            );
            assert!(
                (2..=12).contains(&loaded.case.events.len()),
                "{}",
                loaded.case.events.len()
            );
            assert_eq!(
                loaded.survey.is_some(),
                loaded.case.events.iter().any(|e| e.action == "survey")
            );
            reached.insert(status);
        }
        assert_eq!(reached.len(), 8, "every status a case settles in: {reached:?}");
        let open = cases
            .iter()
            .filter(|c| Status::parse(&c.case.status).is_ok_and(|s| s.is_open()))
            .count();
        assert!((30..=300).contains(&open), "a few percent open: {open}");
        let mut per_service: Vec<usize> = services
            .iter()
            .map(|s| cases.iter().filter(|c| c.case.service_id == s.id).count())
            .collect();
        per_service.sort_unstable();
        let (median, top) = (per_service[per_service.len() / 2], per_service[per_service.len() - 1]);
        assert!(
            top > 4 * median.max(1),
            "a few services take most cases: {per_service:?}"
        );
    }

    #[test]
    fn residents_spelling_folds_back_to_the_same_search_words() {
        let mut rng = StdRng::seed_from_u64(7);
        let text = "إنارة الشارع مطفأة أمام المستشفى رقم 12";
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let written = as_residents_write(&mut rng, text);
            assert_eq!(normalise_for_search(&written), normalise_for_search(text));
            seen.insert(written);
        }
        assert!(seen.len() > 5, "spelling should vary: {seen:?}");
    }

    #[test]
    fn the_box_of_an_area_holds_its_corners() {
        let area = json!({"type": "Feature", "geometry": {"type": "Polygon",
            "coordinates": [[[50.53, 26.15], [50.66, 26.15], [50.66, 26.26], [50.53, 26.15]]]}});
        assert_eq!(bounding_box(&area), Some((26.15, 50.53, 26.26, 50.66)));
    }
}
