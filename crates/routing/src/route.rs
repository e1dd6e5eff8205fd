//! The routing decision: entity by area (else the service's owner), then department by the
//! entity's rules (else the service's default department, else the entity's triage queue).

use crate::AreaIndex;
use serde_json::{json, Map, Value};
use std::borrow::Cow;
use std::cell::OnceCell;
use tawasul_domain::text::normalise_for_search;
use tawasul_domain::vocab::Language;

/// A department's claim on cases of one entity. Every condition that is set must hold; the
/// first matching rule by (position, id) wins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub id: i64,
    pub entity_id: i64,
    pub department_id: i64,
    /// The service code the case must be for.
    pub service: Option<String>,
    /// Matches when any keyword occurs in the case text, both compared after
    /// `normalise_for_search` (so "مياة" finds "مياه"). A keyword that normalises to nothing
    /// (punctuation only) never matches, rather than matching every text.
    pub keywords: Vec<String>,
    pub language: Option<Language>,
    pub position: i32,
}

/// What routing needs to know about a new case.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoutingInput<'a> {
    /// The service code.
    pub service: &'a str,
    pub service_entity_id: i64,
    pub service_department_id: Option<i64>,
    /// (longitude, latitude).
    pub coordinates: Option<(f64, f64)>,
    /// What the resident wrote. Passing the case's stored search text (already
    /// `normalise_for_search`ed) gives the same decision and skips the normalisation, which is
    /// most of the cost of routing a long text.
    pub text: &'a str,
    pub language: Language,
}

/// Where a new case goes, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub entity_id: i64,
    /// `None`: the entity's triage queue.
    pub department_id: Option<i64>,
    pub reason: Reason,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    pub entity: EntityReason,
    pub department: DepartmentReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityReason {
    /// The case's location lies in this area.
    Area { area_id: i64 },
    /// The case has no location: the entity owning the service.
    ServiceOwner,
    /// The case has a location but no area contains it: the entity owning the service.
    OutsideEveryArea,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DepartmentReason {
    /// `keyword`: the rule's keyword (as the rule spells it) found in the text, if the rule has keywords.
    Rule { rule_id: i64, keyword: Option<String> },
    /// No rule matched; the entity owns the service, which names a default department.
    ServiceDefault,
    /// No rule matched and there is no default department to fall back on.
    Triage,
}

impl Reason {
    /// Machine-readable form for the timeline event's details, e.g.
    /// `{"entity_by":"area","area_id":3,"department_by":"rule","rule_id":7,"keyword":"تسرب"}`.
    /// `entity_by` is "area", "service_owner" or "outside_every_area"; `department_by` is "rule",
    /// "service_default" or "triage". `area_id` and `rule_id` appear only with "area" and "rule",
    /// `keyword` only when a keyword decided.
    pub fn describe(&self) -> Value {
        let mut details = Map::new();
        let entity_by = match self.entity {
            EntityReason::Area { area_id } => {
                details.insert("area_id".into(), json!(area_id));
                "area"
            }
            EntityReason::ServiceOwner => "service_owner",
            EntityReason::OutsideEveryArea => "outside_every_area",
        };
        details.insert("entity_by".into(), json!(entity_by));
        let department_by = match &self.department {
            DepartmentReason::Rule { rule_id, keyword } => {
                details.insert("rule_id".into(), json!(rule_id));
                if let Some(keyword) = keyword {
                    details.insert("keyword".into(), json!(keyword));
                }
                "rule"
            }
            DepartmentReason::ServiceDefault => "service_default",
            DepartmentReason::Triage => "triage",
        };
        details.insert("department_by".into(), json!(department_by));
        Value::Object(details)
    }
}

pub fn route(input: &RoutingInput, areas: &AreaIndex, rules: &[Rule]) -> Decision {
    let (entity_id, entity_reason) = match input.coordinates {
        None => (input.service_entity_id, EntityReason::ServiceOwner),
        Some((lon, lat)) => match areas.locate(lon, lat) {
            Some(area) => (area.entity_id, EntityReason::Area { area_id: area.id }),
            None => (input.service_entity_id, EntityReason::OutsideEveryArea),
        },
    };
    // Normalised only if some rule gets as far as looking at keywords.
    let text = OnceCell::new();
    let mut chosen: Option<(&Rule, Option<&str>)> = None;
    for rule in rules.iter().filter(|r| r.entity_id == entity_id) {
        if chosen.is_some_and(|(best, _)| (best.position, best.id) <= (rule.position, rule.id)) {
            continue;
        }
        if let Some(keyword) = rule.matches(input, &text) {
            chosen = Some((rule, keyword));
        }
    }
    let (department_id, department_reason) = match chosen {
        Some((rule, keyword)) => (
            Some(rule.department_id),
            DepartmentReason::Rule {
                rule_id: rule.id,
                keyword: keyword.map(str::to_owned),
            },
        ),
        None => match input.service_department_id {
            Some(department) if entity_id == input.service_entity_id => {
                (Some(department), DepartmentReason::ServiceDefault)
            }
            _ => (None, DepartmentReason::Triage),
        },
    };
    Decision {
        entity_id,
        department_id,
        reason: Reason {
            entity: entity_reason,
            department: department_reason,
        },
    }
}

impl Rule {
    /// `None` when the rule does not apply; otherwise the keyword that matched, if it has any.
    fn matches<'r>(&'r self, input: &RoutingInput, text: &OnceCell<String>) -> Option<Option<&'r str>> {
        if self.service.as_deref().is_some_and(|s| s != input.service)
            || self.language.is_some_and(|l| l != input.language)
        {
            return None;
        }
        if self.keywords.is_empty() {
            return Some(None);
        }
        let text = text.get_or_init(|| normalised(input.text).into_owned());
        self.keywords
            .iter()
            .find(|k| {
                let k = normalised(k);
                !k.is_empty() && text.contains(k.as_ref())
            })
            .map(|k| Some(k.as_str()))
    }
}

/// `normalise_for_search(s)`, without the work when a cheap scan shows `s` is already in that
/// form: lower-case ASCII letters and digits and Arabic letters that are not folded, in words
/// separated by single spaces. Anything else takes the full path.
fn normalised(s: &str) -> Cow<'_, str> {
    let mut after_space = true;
    let plain = s.chars().all(|c| {
        let ok = match c {
            ' ' => !after_space,
            'a'..='z' | '0'..='9' => true,
            '\u{0621}'..='\u{063A}' | '\u{0641}'..='\u{064A}' => !matches!(c, 'آ' | 'أ' | 'ؤ' | 'إ' | 'ئ' | 'ى' | 'ة'),
            _ => false,
        };
        after_space = c == ' ';
        ok
    });
    if plain && !s.ends_with(' ') {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(normalise_for_search(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Area;
    use geo::{coord, LineString, MultiPolygon, Polygon};
    use proptest::prelude::*;

    const OWNER: i64 = 1;
    const LOCAL: i64 = 2;

    fn square(id: i64, entity_id: i64, x0: f64, y0: f64, x1: f64, y1: f64) -> Area {
        let ring = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)];
        let exterior = LineString(ring.iter().map(|&(x, y)| coord! { x: x, y: y }).collect());
        Area {
            id,
            entity_id,
            geometry: MultiPolygon(vec![Polygon::new(exterior, vec![])]),
        }
    }

    /// Entity LOCAL serves the square (50, 26)–(51, 27) as area 3.
    fn areas() -> AreaIndex {
        AreaIndex::build(vec![square(3, LOCAL, 50.0, 26.0, 51.0, 27.0)])
    }

    fn input(text: &str) -> RoutingInput<'_> {
        RoutingInput {
            service: "water-leak",
            service_entity_id: OWNER,
            service_department_id: None,
            coordinates: None,
            text,
            language: Language::Ar,
        }
    }

    fn rule(id: i64, entity_id: i64, department_id: i64) -> Rule {
        Rule {
            id,
            entity_id,
            department_id,
            service: None,
            keywords: vec![],
            language: None,
            position: 0,
        }
    }

    fn by_rule(rule_id: i64, keyword: Option<&str>) -> DepartmentReason {
        DepartmentReason::Rule {
            rule_id,
            keyword: keyword.map(str::to_owned),
        }
    }

    #[test]
    fn a_located_case_goes_to_the_areas_entity() {
        let case = RoutingInput {
            coordinates: Some((50.5, 26.5)),
            ..input("")
        };
        let decision = route(&case, &areas(), &[]);
        assert_eq!(decision.entity_id, LOCAL);
        assert_eq!(decision.reason.entity, EntityReason::Area { area_id: 3 });
        assert_eq!(decision.department_id, None);
        assert_eq!(decision.reason.department, DepartmentReason::Triage);
    }

    #[test]
    fn a_case_outside_every_area_goes_to_the_service_owner() {
        let case = RoutingInput {
            coordinates: Some((46.7, 24.7)),
            service_department_id: Some(40),
            ..input("")
        };
        let decision = route(&case, &areas(), &[]);
        assert_eq!(decision.entity_id, OWNER);
        assert_eq!(decision.reason.entity, EntityReason::OutsideEveryArea);
        assert_eq!(decision.department_id, Some(40));
        assert_eq!(decision.reason.department, DepartmentReason::ServiceDefault);
    }

    #[test]
    fn a_case_without_location_goes_to_the_service_owner() {
        let decision = route(&input(""), &areas(), &[]);
        assert_eq!(decision.entity_id, OWNER);
        assert_eq!(decision.reason.entity, EntityReason::ServiceOwner);
    }

    #[test]
    fn a_rule_for_the_service_applies_and_one_for_another_service_does_not() {
        let rules = [
            Rule {
                service: Some("streetlight".into()),
                ..rule(1, OWNER, 10)
            },
            Rule {
                service: Some("water-leak".into()),
                ..rule(2, OWNER, 20)
            },
        ];
        let decision = route(&input(""), &areas(), &rules);
        assert_eq!(decision.department_id, Some(20));
        assert_eq!(decision.reason.department, by_rule(2, None));
    }

    #[test]
    fn keywords_match_across_arabic_spelling_variants() {
        let rules = [Rule {
            keywords: vec!["كهرباء".into(), "مياه".into()],
            ..rule(5, OWNER, 50)
        }];
        // Teh marbuta for heh, and diacritics, in the resident's text.
        let decision = route(&input("يوجد تسرب في خط المِياة أمام المنزل"), &areas(), &rules);
        assert_eq!(decision.department_id, Some(50));
        assert_eq!(decision.reason.department, by_rule(5, Some("مياه")));
        // And the other way round: the variant in the keyword, the plain form in the text.
        let rules = [Rule {
            keywords: vec!["إنارة".into()],
            ..rule(6, OWNER, 60)
        }];
        assert_eq!(
            route(&input("عمود الانارة مطفأ"), &areas(), &rules).department_id,
            Some(60)
        );
        assert_eq!(route(&input("حفرة في الطريق"), &areas(), &rules).department_id, None);
    }

    #[test]
    fn keywords_ignore_case_and_blank_keywords_match_nothing() {
        let rules = [Rule {
            keywords: vec!["  ".into(), "!!".into(), "Pothole".into()],
            ..rule(7, OWNER, 70)
        }];
        assert_eq!(
            route(&input("A POTHOLE on the road"), &areas(), &rules).department_id,
            Some(70)
        );
        assert_eq!(route(&input("a broken lamp"), &areas(), &rules).department_id, None);
    }

    #[test]
    fn a_rule_for_a_language_applies_only_to_that_language() {
        let rules = [Rule {
            language: Some(Language::En),
            ..rule(8, OWNER, 80)
        }];
        assert_eq!(route(&input(""), &areas(), &rules).department_id, None);
        let english = RoutingInput {
            language: Language::En,
            ..input("")
        };
        assert_eq!(route(&english, &areas(), &rules).department_id, Some(80));
    }

    #[test]
    fn the_first_matching_rule_by_position_then_id_wins() {
        let rules = [
            Rule {
                position: 2,
                ..rule(1, OWNER, 10)
            },
            Rule {
                position: 1,
                ..rule(4, OWNER, 40)
            },
            Rule {
                position: 1,
                ..rule(3, OWNER, 30)
            },
            Rule {
                position: 0,
                keywords: vec!["nowhere".into()],
                ..rule(2, OWNER, 20)
            },
        ];
        let decision = route(&input("text"), &areas(), &rules);
        assert_eq!(decision.department_id, Some(30));
        assert_eq!(decision.reason.department, by_rule(3, None));
    }

    #[test]
    fn only_the_chosen_entitys_rules_apply() {
        let rules = [rule(1, OWNER, 10), rule(2, LOCAL, 20)];
        let located = RoutingInput {
            coordinates: Some((50.5, 26.5)),
            ..input("")
        };
        assert_eq!(route(&located, &areas(), &rules).department_id, Some(20));
        assert_eq!(route(&input(""), &areas(), &rules[1..]).department_id, None);
    }

    #[test]
    fn the_service_default_applies_only_when_the_owner_is_chosen() {
        let with_default = RoutingInput {
            service_department_id: Some(99),
            ..input("")
        };
        let decision = route(&with_default, &areas(), &[]);
        assert_eq!((decision.entity_id, decision.department_id), (OWNER, Some(99)));
        assert_eq!(decision.reason.department, DepartmentReason::ServiceDefault);

        // Another entity's area: the owner's default department is not theirs to use.
        let located = RoutingInput {
            coordinates: Some((50.5, 26.5)),
            ..with_default
        };
        let decision = route(&located, &areas(), &[]);
        assert_eq!((decision.entity_id, decision.department_id), (LOCAL, None));
        assert_eq!(decision.reason.department, DepartmentReason::Triage);

        // A matching rule beats the default.
        let decision = route(&with_default, &areas(), &[rule(1, OWNER, 10)]);
        assert_eq!(decision.department_id, Some(10));
    }

    #[test]
    fn an_area_of_the_service_owner_still_allows_its_default() {
        let index = AreaIndex::build(vec![square(9, OWNER, 0.0, 0.0, 1.0, 1.0)]);
        let case = RoutingInput {
            coordinates: Some((0.5, 0.5)),
            service_department_id: Some(99),
            ..input("")
        };
        let decision = route(&case, &index, &[]);
        assert_eq!(decision.department_id, Some(99));
        assert_eq!(decision.reason.entity, EntityReason::Area { area_id: 9 });
    }

    #[test]
    fn describe_gives_the_reason_as_json() {
        let reason = Reason {
            entity: EntityReason::Area { area_id: 3 },
            department: by_rule(7, Some("تسرب")),
        };
        assert_eq!(
            reason.describe(),
            json!({"entity_by": "area", "area_id": 3, "department_by": "rule", "rule_id": 7, "keyword": "تسرب"})
        );
        let reason = Reason {
            entity: EntityReason::OutsideEveryArea,
            department: by_rule(8, None),
        };
        assert_eq!(
            reason.describe(),
            json!({"entity_by": "outside_every_area", "department_by": "rule", "rule_id": 8})
        );
        let reason = Reason {
            entity: EntityReason::ServiceOwner,
            department: DepartmentReason::ServiceDefault,
        };
        assert_eq!(
            reason.describe(),
            json!({"entity_by": "service_owner", "department_by": "service_default"})
        );
        let reason = Reason {
            entity: EntityReason::ServiceOwner,
            department: DepartmentReason::Triage,
        };
        assert_eq!(
            reason.describe(),
            json!({"entity_by": "service_owner", "department_by": "triage"})
        );
    }

    #[test]
    fn normalised_text_routes_like_the_raw_text() {
        let rules = [Rule {
            keywords: vec!["مياه".into()],
            ..rule(5, OWNER, 50)
        }];
        let raw = "تسرّب في خط المياة!";
        let stored = normalise_for_search(raw);
        assert_eq!(stored, "تسرب في خط المياه");
        assert!(matches!(normalised(&stored), Cow::Borrowed(_)));
        assert_eq!(
            route(&input(raw), &areas(), &rules),
            route(&input(&stored), &areas(), &rules)
        );
    }

    proptest! {
        #[test]
        fn the_shortcut_agrees_with_normalise_for_search(
            s in prop_oneof!["[a-zA-Z0-9 \u{0620}-\u{0672}٣،.-]{0,16}", "\\PC{0,16}"],
        ) {
            let quick = normalised(&s);
            prop_assert_eq!(quick.as_ref(), normalise_for_search(&s));
        }
    }
}
