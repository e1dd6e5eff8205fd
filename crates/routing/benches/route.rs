//! Routing one case against 5,000 areas and 50 rules, and building the index of those areas.
//! `cargo bench -p tawasul-routing`.
//!
//! The areas tile a region the size of Riyadh: 4,950 irregular neighbourhood polygons of 32–64
//! vertices (every fifth with a hole) under 50 larger, overlapping district polygons, so most
//! points fall in two areas and the smaller must be found.

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};
use geo::{Coord, LineString, MultiPolygon, Polygon};
use std::f64::consts::TAU;
use tawasul_domain::text::normalise_for_search;
use tawasul_domain::vocab::Language;
use tawasul_routing::{route, Area, AreaIndex, EntityReason, RoutingInput, Rule};

const WEST: f64 = 46.4;
const SOUTH: f64 = 24.4;
const CELL: f64 = 0.008; // about 800 m
const COLUMNS: usize = 99;
const ROWS: usize = 50;
const ENTITIES: i64 = 10;

/// Deterministic pseudo-random numbers in [0, 1), so every run measures the same polygons.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A closed star-shaped ring: `n` vertices at jittered radii between `min` and `max`.
fn star(rng: &mut Lcg, centre: (f64, f64), n: usize, min: f64, max: f64) -> LineString<f64> {
    let mut ring: Vec<Coord<f64>> = (0..n)
        .map(|i| {
            let angle = TAU * i as f64 / n as f64;
            let r = min + (max - min) * rng.next();
            Coord {
                x: centre.0 + r * angle.cos(),
                y: centre.1 + r * angle.sin(),
            }
        })
        .collect();
    ring.push(ring[0]);
    LineString(ring)
}

fn cell_centre(column: usize, row: usize) -> (f64, f64) {
    (WEST + (column as f64 + 0.5) * CELL, SOUTH + (row as f64 + 0.5) * CELL)
}

fn areas() -> Vec<Area> {
    let mut rng = Lcg(7);
    let mut areas = Vec::new();
    for row in 0..ROWS {
        for column in 0..COLUMNS {
            let centre = cell_centre(column, row);
            let n = 32 + (rng.next() * 33.0) as usize;
            let exterior = star(&mut rng, centre, n, 0.36 * CELL, 0.5 * CELL);
            let id = areas.len() as i64 + 1;
            let holes = if id % 5 == 0 {
                vec![star(&mut rng, centre, 16, 0.05 * CELL, 0.1 * CELL)]
            } else {
                vec![]
            };
            areas.push(Area {
                id,
                entity_id: id % ENTITIES + 1,
                geometry: MultiPolygon(vec![Polygon::new(exterior, holes)]),
            });
        }
    }
    // Districts of about 10 × 10 cells, not quite touching, so their corners leave gaps.
    for row in 0..5 {
        for column in 0..10 {
            let centre = (
                WEST + (column as f64 + 0.5) * 9.9 * CELL,
                SOUTH + (row as f64 + 0.5) * 10.0 * CELL,
            );
            let exterior = star(&mut rng, centre, 64, 4.0 * CELL, 5.0 * CELL);
            let id = areas.len() as i64 + 1;
            areas.push(Area {
                id,
                entity_id: id % ENTITIES + 1,
                geometry: MultiPolygon(vec![Polygon::new(exterior, vec![])]),
            });
        }
    }
    areas
}

/// Five rules per entity; for the water-leak service only the last by position matches, by a keyword.
fn rules() -> Vec<Rule> {
    let mut rules = Vec::new();
    for entity_id in 1..=ENTITIES {
        let base = entity_id * 10;
        let rule =
            |id: i64, position: i32, service: Option<&str>, keywords: &[&str], language: Option<Language>| Rule {
                id: base + id,
                entity_id,
                department_id: base + id,
                service: service.map(str::to_owned),
                keywords: keywords.iter().map(|k| (*k).to_owned()).collect(),
                language,
                position,
            };
        rules.push(rule(1, 1, Some("streetlight"), &[], None));
        rules.push(rule(2, 2, None, &["كهرباء", "انقطاع التيار"], None));
        rules.push(rule(3, 3, Some("water-leak"), &[], Some(Language::En)));
        rules.push(rule(4, 4, None, &["حفرة", "رصيف", "pothole"], None));
        rules.push(rule(
            5,
            5,
            Some("water-leak"),
            &["صرف صحي", "تسرب", "مياه"],
            Some(Language::Ar),
        ));
    }
    rules
}

const TEXT: &str = "السلام عليكم، يوجد تسريب كبير في خط المياة الرئيسي أمام المنزل رقم ١٢ في الشارع \
    الخلفي منذ ثلاثة أيام، والماء يتجمع على الطريق ويسبب إزعاجاً للمارة وخطراً على السيارات. \
    أرجو إرسال فريق الصيانة في أقرب وقت ممكن. شكراً لكم.";

fn input(coordinates: Option<(f64, f64)>) -> RoutingInput<'static> {
    with_text(TEXT, coordinates)
}

fn with_text(text: &str, coordinates: Option<(f64, f64)>) -> RoutingInput<'_> {
    RoutingInput {
        service: "water-leak",
        service_entity_id: 1,
        service_department_id: Some(1),
        coordinates,
        text,
        language: Language::Ar,
    }
}

fn routing(c: &mut Criterion) {
    let index = AreaIndex::build(areas());
    let rules = rules();
    assert_eq!(index.len(), 5_000);
    assert_eq!(rules.len(), 50);

    let mut rng = Lcg(11);
    let mut inside = Vec::new();
    let mut outside = Vec::new();
    while inside.len() < 1_000 || outside.len() < 1_000 {
        let point = (
            WEST + rng.next() * COLUMNS as f64 * CELL,
            SOUTH + rng.next() * ROWS as f64 * CELL,
        );
        let decision = route(&input(Some(point)), &index, &rules);
        match decision.reason.entity {
            EntityReason::Area { .. } if inside.len() < 1_000 => inside.push(input(Some(point))),
            EntityReason::OutsideEveryArea if outside.len() < 1_000 => outside.push(input(Some(point))),
            _ => {}
        }
    }

    for (name, inputs) in [
        ("route/inside_an_area", &inside),
        ("route/outside_every_area", &outside),
    ] {
        let mut i = 0;
        c.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) % inputs.len();
                route(black_box(&inputs[i]), &index, &rules)
            })
        });
    }
    // The case's stored search text instead of the raw text: the same decisions, less work.
    let stored = normalise_for_search(TEXT);
    let stored: Vec<_> = inside.iter().map(|i| with_text(&stored, i.coordinates)).collect();
    let mut i = 0;
    c.bench_function("route/inside_an_area_stored_text", |b| {
        b.iter(|| {
            i = (i + 1) % stored.len();
            route(black_box(&stored[i]), &index, &rules)
        })
    });
    let no_location = input(None);
    c.bench_function("route/no_location", |b| {
        b.iter(|| route(black_box(&no_location), &index, &rules))
    });
}

fn building(c: &mut Criterion) {
    let areas = areas();
    c.bench_function("index/build_5000", |b| {
        b.iter_batched(|| areas.clone(), AreaIndex::build, BatchSize::LargeInput)
    });
}

criterion_group!(benches, routing, building);
criterion_main!(benches);
