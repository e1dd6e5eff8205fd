//! Dates as a resident reads them: the Gregorian date and the Hijri (Umm al-Qura) date.

use crate::i18n::Tr;
use chrono::{DateTime, Datelike, FixedOffset, Utc};
use icu_calendar::cal::Hijri;
use icu_calendar::Date;

/// Residents read local times; the demo entities are in the Gulf (UTC+3). A per-entity time
/// zone arrives with the business calendars.
fn local(instant: DateTime<Utc>) -> DateTime<FixedOffset> {
    let gulf = FixedOffset::east_opt(3 * 3600).expect("a valid offset");
    instant.with_timezone(&gulf)
}

/// Day, month and year of the Umm al-Qura calendar for a Gregorian date.
pub fn hijri(year: i32, month: u32, day: u32) -> Option<(i32, u8, u8)> {
    let iso = Date::try_new_iso(year, u8::try_from(month).ok()?, u8::try_from(day).ok()?).ok()?;
    let h = iso.to_calendar(Hijri::new_umm_al_qura());
    Some((h.era_year().year, h.month().ordinal, h.day_of_month().0))
}

/// "24 November 2026 · 4 Jumada II 1448 AH · 09:15" in the reader's language.
pub fn both(tr: &Tr, rfc3339: &str) -> String {
    let Ok(parsed) = DateTime::parse_from_rfc3339(rfc3339) else {
        return rfc3339.to_owned();
    };
    let t = local(parsed.with_timezone(&Utc));
    let gregorian = format!(
        "{} {} {}",
        t.day(),
        tr.t(&format!("gregorian-month-{}", t.month())),
        t.year()
    );
    let hijri = hijri(t.year(), t.month(), t.day())
        .map(|(y, m, d)| format!(" · {d} {} {y} {}", tr.t(&format!("hijri-month-{m}")), tr.t("hijri-era")))
        .unwrap_or_default();
    format!("{gregorian}{hijri} · {}", t.format("%H:%M"))
}

/// An instant as HTML's `datetime` wants it: UTC, whole seconds.
pub fn machine(rfc3339: &str) -> String {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.with_timezone(&Utc).format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// A short date for tables: "2026-11-24 09:15".
pub fn short(rfc3339: &str) -> String {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| local(t.with_timezone(&Utc)).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| rfc3339.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn umm_al_qura_dates_match_the_published_calendar() {
        // 1 Ramadan 1447 AH fell on 18 February 2026 (Umm al-Qura).
        assert_eq!(hijri(2026, 2, 18), Some((1447, 9, 1)));
        // 1 Muharram 1448 AH: 16 June 2026.
        assert_eq!(hijri(2026, 6, 16), Some((1448, 1, 1)));
    }
}
