//! SLA clock arithmetic, done for every case at intake and on every status change.
//! `cargo bench -p tawasul-domain --bench calendar`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use tawasul_domain::calendar::{business_minutes, BusinessCalendar, CalendarSpec, HolidaySpec, HoursOverrideSpec};

fn holiday(name: &str, from: &str, to: &str) -> HolidaySpec {
    HolidaySpec {
        name: name.into(),
        from: from.into(),
        to: to.into(),
    }
}

/// Bahrain, Sunday–Thursday 07:00–14:00, with the 2026 and 2027 Eids and Ramadan hours.
fn bahrain() -> BusinessCalendar {
    let spec = CalendarSpec {
        time_zone: "Asia/Bahrain".into(),
        working_days: ["sunday", "monday", "tuesday", "wednesday", "thursday"]
            .map(String::from)
            .to_vec(),
        opens: "07:00".into(),
        closes: "14:00".into(),
        holidays: vec![
            holiday("Eid al-Fitr 2026", "2026-03-19", "2026-03-22"),
            holiday("Eid al-Adha 2026", "2026-05-26", "2026-05-29"),
            holiday("Eid al-Fitr 2027", "2027-03-09", "2027-03-12"),
            holiday("Eid al-Adha 2027", "2027-05-15", "2027-05-18"),
        ],
        overrides: vec![HoursOverrideSpec {
            name: "Ramadan 2026".into(),
            from: "2026-02-18".into(),
            to: "2026-03-18".into(),
            opens: "09:00".into(),
            closes: "14:00".into(),
        }],
    };
    BusinessCalendar::from_spec(&spec).expect("a valid calendar")
}

fn benches(c: &mut Criterion) {
    let cal = bahrain();
    // Wednesday 18 March 2026, 10:00 +03: three business days run across the Eid al-Fitr holiday.
    let wednesday = 1_773_817_200_000_000;
    let three_days = business_minutes(3 * 7 * 60);
    c.bench_function("BusinessCalendar::add (3 business days across Eid)", |b| {
        b.iter(|| cal.add(black_box(wednesday), black_box(three_days)))
    });
    let month_later = wednesday + 31 * 86_400_000_000;
    c.bench_function("BusinessCalendar::between (a month)", |b| {
        b.iter(|| cal.between(black_box(wednesday), black_box(month_later)))
    });
}

criterion_group!(calendar, benches);
criterion_main!(calendar);
