//! Business calendars of government entities: when an SLA clock runs.
//!
//! A calendar is a time zone, the working weekdays, daily hours, dated holidays and periods
//! with other hours (Ramadan). Each working local day contributes one interval `[open, close)`
//! of instants; the queries walk those intervals day by day.

use crate::text::CaseText;
use crate::{from_micros, Invalid, Micros};
use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Weekday};
use chrono_tz::{GapInfo, Tz};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Bounds on holidays and overrides. With at least one working weekday required, they put
/// working time within 400 × 62 days + a week of any instant, so a walk soon finds some.
const MAX_RANGES: usize = 400;
const MAX_RANGE_DAYS: i64 = 62;
const MAX_NAME_CHARS: usize = 200;

/// Working time exists only on local dates in this span: it caps every walk, so `add` with an
/// absurd duration (or `between` over centuries) ends in milliseconds and saturates.
const FIRST_DAY: NaiveDate = NaiveDate::from_ymd_opt(1900, 1, 1).expect("a valid date");
const LAST_DAY: NaiveDate = NaiveDate::from_ymd_opt(2199, 12, 31).expect("a valid date");
const DAY: Micros = 86_400_000_000;
/// Instants are clamped to a little beyond the span before conversion to a local date (chrono
/// cannot represent all of i64); no working interval lies near the clamped ones.
const EARLIEST: Micros = FIRST_DAY.and_time(NaiveTime::MIN).and_utc().timestamp_micros() - 3 * DAY;
const LATEST: Micros = LAST_DAY.and_time(NaiveTime::MIN).and_utc().timestamp_micros() + 4 * DAY;

const WEEKDAYS: [(&str, Weekday); 7] = [
    ("sunday", Weekday::Sun),
    ("monday", Weekday::Mon),
    ("tuesday", Weekday::Tue),
    ("wednesday", Weekday::Wed),
    ("thursday", Weekday::Thu),
    ("friday", Weekday::Fri),
    ("saturday", Weekday::Sat),
];

/// An entity's business calendar as configured, e.g. in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarSpec {
    /// IANA time zone, e.g. `Asia/Bahrain`.
    pub time_zone: String,
    /// Lower-case weekday names: `sunday` … `saturday`.
    pub working_days: Vec<String>,
    /// Local opening time, `HH:MM`.
    pub opens: String,
    /// Local closing time, `HH:MM`, after `opens` (no overnight shifts).
    pub closes: String,
    #[serde(default)]
    pub holidays: Vec<HolidaySpec>,
    #[serde(default)]
    pub overrides: Vec<HoursOverrideSpec>,
}

/// Days closed all day, e.g. Eid al-Fitr: `from` to `to`, inclusive dates `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HolidaySpec {
    pub name: String,
    pub from: String,
    pub to: String,
}

/// Other hours on the working days from `from` to `to` (inclusive), e.g. Ramadan 09:00–14:00.
/// Overrides may not overlap one another; a holiday inside one still closes its days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoursOverrideSpec {
    pub name: String,
    pub from: String,
    pub to: String,
    pub opens: String,
    pub closes: String,
}

/// A validated calendar, ready to answer queries.
///
/// Local times become instants through the zone's rules (chrono-tz). Where the clocks go
/// forward and an opening or closing time does not exist that day, the first instant after the
/// gap is taken (09:30 in a 09:00→10:00 jump means 10:00); where they go back and it occurs
/// twice, the earlier is taken. Both keep local → instant monotone, so a day's interval never
/// runs backwards (it may shrink, or vanish if both ends fall in the gap).
#[derive(Debug, Clone)]
pub struct BusinessCalendar {
    spec: CalendarSpec,
    tz: Tz,
    /// Bit `n` set: works on the weekday `n` days from Monday.
    working_days: u8,
    hours: Hours,
    /// Sorted, merged, inclusive.
    holidays: Vec<(NaiveDate, NaiveDate)>,
    /// Sorted by `from`, disjoint.
    overrides: Vec<Override>,
}

#[derive(Debug, Clone, Copy)]
struct Hours {
    opens: NaiveTime,
    closes: NaiveTime,
}

#[derive(Debug, Clone, Copy)]
struct Override {
    from: NaiveDate,
    to: NaiveDate,
    hours: Hours,
}

impl BusinessCalendar {
    /// Validates `spec`; a refusal names the field at fault, such as `holidays[0].to`.
    pub fn from_spec(spec: &CalendarSpec) -> Result<Self, Invalid> {
        let tz: Tz = spec.time_zone.parse().map_err(|_| {
            Invalid::new(
                "unknown_time_zone",
                "time_zone",
                format!("{:?} is not an IANA time zone such as \"Asia/Bahrain\"", spec.time_zone),
            )
        })?;

        let mut working_days = 0u8;
        for (i, name) in spec.working_days.iter().enumerate() {
            let field = format!("working_days[{i}]");
            let day = WEEKDAYS
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, d)| *d)
                .ok_or_else(|| {
                    Invalid::new(
                        "unknown_weekday",
                        field.as_str(),
                        format!("{name:?} is not a weekday; use \"sunday\" … \"saturday\" in lower case"),
                    )
                })?;
            let bit = 1 << day.num_days_from_monday();
            if working_days & bit != 0 {
                return Err(Invalid::new(
                    "duplicate_weekday",
                    field,
                    format!("{name:?} is listed twice"),
                ));
            }
            working_days |= bit;
        }
        if working_days == 0 {
            return Err(Invalid::new(
                "no_working_day",
                "working_days",
                "at least one working day is needed, or no deadline could ever fall due",
            ));
        }

        let hours = parse_hours(&spec.opens, &spec.closes, "")?;

        if spec.holidays.len() > MAX_RANGES {
            return Err(too_many("holidays", spec.holidays.len()));
        }
        let mut holidays = Vec::with_capacity(spec.holidays.len());
        for (i, h) in spec.holidays.iter().enumerate() {
            holidays.push(parse_range(&h.name, &h.from, &h.to, &format!("holidays[{i}]"))?);
        }
        holidays.sort_unstable();
        // Merge overlapping and adjacent holidays so that one binary search answers a day.
        let mut merged: Vec<(NaiveDate, NaiveDate)> = Vec::with_capacity(holidays.len());
        for (from, to) in holidays {
            match merged.last_mut() {
                Some(last) if last.1.succ_opt().is_none_or(|next| from <= next) => last.1 = last.1.max(to),
                _ => merged.push((from, to)),
            }
        }

        if spec.overrides.len() > MAX_RANGES {
            return Err(too_many("overrides", spec.overrides.len()));
        }
        let mut overrides = Vec::with_capacity(spec.overrides.len());
        for (i, o) in spec.overrides.iter().enumerate() {
            let path = format!("overrides[{i}]");
            let (from, to) = parse_range(&o.name, &o.from, &o.to, &path)?;
            let hours = parse_hours(&o.opens, &o.closes, &format!("{path}."))?;
            overrides.push((i, Override { from, to, hours }));
        }
        overrides.sort_unstable_by_key(|(_, o)| o.from);
        for pair in overrides.windows(2) {
            let ((j, earlier), (i, later)) = (pair[0], pair[1]);
            if later.from <= earlier.to {
                // Report on the one listed second, naming the other.
                let (i, j) = (i.max(j), i.min(j));
                return Err(Invalid::new(
                    "overlapping_override",
                    format!("overrides[{i}].from"),
                    format!("overlaps overrides[{j}]; a day can have only one set of hours"),
                ));
            }
        }

        Ok(Self {
            spec: spec.clone(),
            tz,
            working_days,
            hours,
            holidays: merged,
            overrides: overrides.into_iter().map(|(_, o)| o).collect(),
        })
    }

    pub fn spec(&self) -> &CalendarSpec {
        &self.spec
    }

    /// The calendar's time zone, in which the entity's own clock reads instants.
    pub fn time_zone(&self) -> Tz {
        self.tz
    }

    /// Whether `at` lies inside a working interval `[open, close)`.
    pub fn is_open(&self, at: Micros) -> bool {
        // Only the intervals of the neighbouring local days can contain `at`.
        self.days_from(at)
            .take(3)
            .filter_map(|day| self.interval(day))
            .any(|(open, close)| open <= at && at < close)
    }

    /// `at` itself if open, else the next opening instant; `Micros::MAX` if there is none
    /// before the end of 2199.
    pub fn next_open(&self, at: Micros) -> Micros {
        self.intervals_from(at)
            .next()
            .map_or(Micros::MAX, |(open, _)| open.max(at))
    }

    /// The instant at which `business` µs of working time have elapsed since `start`: for
    /// `business > 0` it lies in `(open, close]` of a working interval, so a due time can be a
    /// closing time but never falls in the night, a weekend or a holiday. `business <= 0`
    /// gives `start`. Saturates at `Micros::MAX` if the due time would lie after 2199.
    pub fn add(&self, start: Micros, business: Micros) -> Micros {
        if business <= 0 {
            return start;
        }
        let mut left = business;
        for (open, close) in self.intervals_from(start) {
            let from = open.max(start);
            let available = close - from;
            if left <= available {
                return from + left;
            }
            left -= available;
        }
        Micros::MAX
    }

    /// The local date of `at` in the calendar's time zone (the day a KPI counts it in).
    pub fn local_date(&self, at: Micros) -> NaiveDate {
        from_micros(at).with_timezone(&self.tz).date_naive()
    }

    /// The first instant of a local date in the calendar's time zone: the first instant
    /// whose `local_date` is `date` (after the gap, where a zone skips its midnight).
    pub fn day_start(&self, date: NaiveDate) -> Micros {
        let mut at = date.and_time(NaiveTime::MIN);
        // A zone that skips midnight skips at most a few hours of it.
        for _ in 0..48 {
            if let Some(t) = self.tz.from_local_datetime(&at).earliest() {
                return t.timestamp_micros();
            }
            at += chrono::Duration::minutes(30);
        }
        date.and_time(NaiveTime::MIN).and_utc().timestamp_micros()
    }

    /// Working time in `[from, to)`; 0 if `to <= from`.
    pub fn between(&self, from: Micros, to: Micros) -> Micros {
        if to <= from {
            return 0;
        }
        self.intervals_from(from)
            .take_while(|&(open, _)| open < to)
            .map(|(open, close)| close.min(to) - open.max(from))
            .sum()
    }

    /// Local days from the one before `at`'s: clocks turned back over midnight, or a closing
    /// pushed past midnight by a gap, can leave yesterday's interval running at `at`.
    fn days_from(&self, at: Micros) -> impl Iterator<Item = NaiveDate> {
        let today = from_micros(at.clamp(EARLIEST, LATEST))
            .with_timezone(&self.tz)
            .date_naive();
        let first = today.pred_opt().unwrap_or(today).max(FIRST_DAY);
        first.iter_days().take_while(|day| *day <= LAST_DAY)
    }

    /// The working intervals that end after `at`, in order.
    fn intervals_from(&self, at: Micros) -> impl Iterator<Item = (Micros, Micros)> + '_ {
        self.days_from(at)
            .filter_map(|day| self.interval(day))
            .skip_while(move |&(_, close)| close <= at)
    }

    /// The working interval of a local day, if it has one.
    fn interval(&self, day: NaiveDate) -> Option<(Micros, Micros)> {
        if self.working_days & (1 << day.weekday().num_days_from_monday()) == 0 {
            return None;
        }
        let i = self.holidays.partition_point(|&(_, to)| to < day);
        if self.holidays.get(i).is_some_and(|&(from, _)| from <= day) {
            return None;
        }
        let i = self.overrides.partition_point(|o| o.to < day);
        let hours = match self.overrides.get(i) {
            Some(o) if o.from <= day => o.hours,
            _ => self.hours,
        };
        let open = self.instant(day.and_time(hours.opens));
        let close = self.instant(day.and_time(hours.closes));
        (open < close).then_some((open, close))
    }

    /// The instant of a local time: the earlier of two in a fold, the end of the gap in a gap.
    fn instant(&self, local: NaiveDateTime) -> Micros {
        match self.tz.from_local_datetime(&local).earliest() {
            Some(t) => t.timestamp_micros(),
            None => match GapInfo::new(&local, &self.tz).and_then(|gap| gap.end) {
                Some(end) => end.timestamp_micros(),
                // Only past the ends of the zone's table, which has no gaps: unreachable in practice.
                None => (local - self.tz.offset_from_utc_datetime(&local).fix())
                    .and_utc()
                    .timestamp_micros(),
            },
        }
    }
}

/// Minutes of business time as µs, for `add`.
pub fn business_minutes(minutes: i64) -> Micros {
    minutes.saturating_mul(60_000_000)
}

fn too_many(field: &str, count: usize) -> Invalid {
    Invalid::new(
        "too_many",
        field,
        format!("{count} are listed; at most {MAX_RANGES} are allowed"),
    )
}

/// `prefix` is `""` or a path ending in `.` such as `overrides[1].`.
fn parse_hours(opens: &str, closes: &str, prefix: &str) -> Result<Hours, Invalid> {
    let opens_at = parse_time(opens, &format!("{prefix}opens"))?;
    let closes_at = parse_time(closes, &format!("{prefix}closes"))?;
    if closes_at <= opens_at {
        return Err(Invalid::new(
            "closes_before_opens",
            format!("{prefix}closes"),
            format!("must be after the opening time {opens} (hours cannot run overnight)"),
        ));
    }
    Ok(Hours {
        opens: opens_at,
        closes: closes_at,
    })
}

/// The name and inclusive dates of a holiday or override at `path`.
fn parse_range(name: &str, from: &str, to: &str, path: &str) -> Result<(NaiveDate, NaiveDate), Invalid> {
    CaseText::parse(name, &format!("{path}.name"), MAX_NAME_CHARS)?;
    let from_date = parse_date(from, &format!("{path}.from"))?;
    let to_date = parse_date(to, &format!("{path}.to"))?;
    if to_date < from_date {
        return Err(Invalid::new(
            "invalid_range",
            format!("{path}.to"),
            format!("{to} is before the first day {from}"),
        ));
    }
    let days = (to_date - from_date).num_days() + 1;
    if days > MAX_RANGE_DAYS {
        return Err(Invalid::new(
            "range_too_long",
            format!("{path}.to"),
            format!("spans {days} days; at most {MAX_RANGE_DAYS} are allowed"),
        ));
    }
    Ok((from_date, to_date))
}

/// Strictly `HH:MM`, 00:00–23:59.
fn parse_time(raw: &str, field: &str) -> Result<NaiveTime, Invalid> {
    let b = raw.as_bytes();
    let time = (b.len() == 5 && b[2] == b':')
        .then(|| NaiveTime::from_hms_opt(number(&b[..2])?, number(&b[3..])?, 0))
        .flatten();
    time.ok_or_else(|| {
        Invalid::new(
            "invalid_time",
            field,
            format!("{raw:?} is not a time HH:MM, 00:00–23:59"),
        )
    })
}

/// Strictly `YYYY-MM-DD`.
fn parse_date(raw: &str, field: &str) -> Result<NaiveDate, Invalid> {
    let b = raw.as_bytes();
    let date = (b.len() == 10 && b[4] == b'-' && b[7] == b'-')
        .then(|| {
            let year = i32::try_from(number(&b[..4])?).ok()?;
            NaiveDate::from_ymd_opt(year, number(&b[5..7])?, number(&b[8..])?)
        })
        .flatten();
    date.ok_or_else(|| Invalid::new("invalid_date", field, format!("{raw:?} is not a date YYYY-MM-DD")))
}

/// ASCII digits only: `str::parse` would also take a sign.
fn number(digits: &[u8]) -> Option<u32> {
    digits
        .iter()
        .try_fold(0u32, |n, &d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MINUTE: Micros = 60_000_000;
    const HOUR: Micros = 60 * MINUTE;

    fn spec(zone: &str, days: &[&str], opens: &str, closes: &str) -> CalendarSpec {
        CalendarSpec {
            time_zone: zone.into(),
            working_days: days.iter().map(|d| (*d).to_owned()).collect(),
            opens: opens.into(),
            closes: closes.into(),
            holidays: vec![],
            overrides: vec![],
        }
    }

    fn bahrain() -> CalendarSpec {
        let days = ["sunday", "monday", "tuesday", "wednesday", "thursday"];
        spec("Asia/Bahrain", &days, "07:00", "14:00")
    }

    fn every_day(zone: &str, opens: &str, closes: &str) -> CalendarSpec {
        let days = WEEKDAYS.map(|(name, _)| name);
        spec(zone, &days, opens, closes)
    }

    fn holiday(name: &str, from: &str, to: &str) -> HolidaySpec {
        HolidaySpec {
            name: name.into(),
            from: from.into(),
            to: to.into(),
        }
    }

    fn hours_override(name: &str, from: &str, to: &str, opens: &str, closes: &str) -> HoursOverrideSpec {
        HoursOverrideSpec {
            name: name.into(),
            from: from.into(),
            to: to.into(),
            opens: opens.into(),
            closes: closes.into(),
        }
    }

    fn calendar(spec: &CalendarSpec) -> BusinessCalendar {
        BusinessCalendar::from_spec(spec).expect("a valid calendar")
    }

    #[test]
    fn a_day_starts_at_its_first_local_instant() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("as written in the test");
        for (zone, date) in [
            ("Asia/Bahrain", "2026-11-01"),
            ("Europe/London", "2026-03-29"),
            // Santiago skips from midnight to one o'clock on this day.
            ("America/Santiago", "2026-09-06"),
        ] {
            let cal = calendar(&every_day(zone, "07:00", "14:00"));
            let start = cal.day_start(d(date));
            assert_eq!(cal.local_date(start), d(date), "{zone} {date}");
            assert_eq!(
                cal.local_date(start - 1),
                d(date).pred_opt().expect("a day before"),
                "{zone} {date}"
            );
        }
    }

    /// A local time `YYYY-MM-DD HH:MM` in the calendar's zone (the earlier one if ambiguous).
    fn local(cal: &BusinessCalendar, s: &str) -> Micros {
        let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("a test time");
        cal.tz
            .from_local_datetime(&naive)
            .earliest()
            .expect("an existing local time")
            .timestamp_micros()
    }

    fn show(cal: &BusinessCalendar, at: Micros) -> String {
        from_micros(at)
            .with_timezone(&cal.tz)
            .format("%Y-%m-%d %H:%M %Z")
            .to_string()
    }

    fn utc(s: &str) -> Micros {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
            .expect("a test time")
            .and_utc()
            .timestamp_micros()
    }

    #[test]
    fn thursday_afternoon_plus_two_hours_is_sunday_morning() {
        let cal = calendar(&bahrain());
        let start = local(&cal, "2026-01-01 13:00"); // Thursday
        let due = cal.add(start, business_minutes(120));
        assert_eq!(show(&cal, due), "2026-01-04 08:00 +03");
        assert_eq!(cal.between(start, due), 2 * HOUR);
        // A due time may be exactly the closing time, not the next opening.
        assert_eq!(show(&cal, cal.add(start, HOUR)), "2026-01-01 14:00 +03");
        assert_eq!(cal.add(start, 0), start);
    }

    #[test]
    fn a_request_at_the_weekend_starts_the_clock_on_sunday_at_seven() {
        let cal = calendar(&bahrain());
        for at in [
            "2026-01-02 10:00",
            "2026-01-03 23:59",
            "2026-01-01 14:00",
            "2026-01-04 06:59",
        ] {
            let at = local(&cal, at);
            assert!(!cal.is_open(at));
            assert_eq!(show(&cal, cal.next_open(at)), "2026-01-04 07:00 +03");
            assert_eq!(show(&cal, cal.add(at, MINUTE)), "2026-01-04 07:01 +03");
        }
        let sunday = local(&cal, "2026-01-04 07:00");
        assert!(cal.is_open(sunday));
        assert_eq!(cal.next_open(sunday), sunday);
        assert_eq!(
            cal.between(local(&cal, "2026-01-01 00:00"), local(&cal, "2026-01-08 00:00")),
            35 * HOUR
        );
    }

    #[test]
    fn eid_holidays_close_several_days() {
        let mut spec = bahrain();
        spec.holidays = vec![holiday("Eid al-Fitr", "2026-03-19", "2026-03-22")];
        let cal = calendar(&spec);
        let start = local(&cal, "2026-03-18 13:00"); // Wednesday
        assert_eq!(show(&cal, cal.add(start, 2 * HOUR)), "2026-03-23 08:00 +03");
        assert!(!cal.is_open(local(&cal, "2026-03-22 10:00")));
        assert_eq!(
            show(&cal, cal.next_open(local(&cal, "2026-03-19 10:00"))),
            "2026-03-23 07:00 +03"
        );
        let week = cal.between(local(&cal, "2026-03-18 00:00"), local(&cal, "2026-03-24 00:00"));
        assert_eq!(week, 14 * HOUR);
    }

    #[test]
    fn ramadan_hours_replace_the_normal_ones_but_not_holidays() {
        let mut spec = bahrain();
        spec.overrides = vec![hours_override("Ramadan", "2026-02-18", "2026-03-19", "09:00", "14:00")];
        spec.holidays = vec![holiday("Eid al-Fitr", "2026-03-19", "2026-03-22")];
        let cal = calendar(&spec);
        let tuesday = local(&cal, "2026-02-17 13:00");
        assert_eq!(show(&cal, cal.add(tuesday, 2 * HOUR)), "2026-02-18 10:00 +03");
        let early = local(&cal, "2026-02-18 08:30");
        assert!(!cal.is_open(early));
        assert_eq!(show(&cal, cal.next_open(early)), "2026-02-18 09:00 +03");
        let week = cal.between(local(&cal, "2026-02-22 00:00"), local(&cal, "2026-02-27 00:00"));
        assert_eq!(week, 25 * HOUR);
        // Thursday 19 March is in both; the holiday wins. Normal hours resume after.
        let last_day = local(&cal, "2026-03-18 13:00");
        assert_eq!(show(&cal, cal.add(last_day, 2 * HOUR)), "2026-03-23 08:00 +03");
    }

    #[test]
    fn london_keeps_eight_working_hours_on_the_days_the_clocks_change() {
        let cal = calendar(&every_day("Europe/London", "09:00", "17:00"));
        for (day, next, opening) in [
            ("2026-03-29 00:00", "2026-03-30 00:00", "2026-03-29 09:00 BST"),
            ("2026-10-25 00:00", "2026-10-26 00:00", "2026-10-25 09:00 GMT"),
        ] {
            let (day, next) = (local(&cal, day), local(&cal, next));
            assert_eq!(cal.between(day, next), 8 * HOUR);
            assert_eq!(show(&cal, cal.next_open(day)), opening);
        }
        assert_eq!(cal.next_open(utc("2026-03-29 00:00")), utc("2026-03-29 08:00"));
        let saturday = local(&cal, "2026-03-28 16:00");
        assert_eq!(show(&cal, cal.add(saturday, 2 * HOUR)), "2026-03-29 10:00 BST");
        let saturday = local(&cal, "2026-10-24 16:00");
        assert_eq!(show(&cal, cal.add(saturday, 9 * HOUR)), "2026-10-25 17:00 GMT");
    }

    #[test]
    fn hours_inside_a_gap_start_after_it_and_in_a_fold_take_the_earlier() {
        // London jumps 01:00 GMT → 02:00 BST on 29 March 2026 and falls back 02:00 BST → 01:00 GMT
        // on 25 October 2026.
        let cal = calendar(&every_day("Europe/London", "01:30", "03:00"));
        assert_eq!(cal.next_open(utc("2026-03-29 00:00")), utc("2026-03-29 01:00"));
        assert_eq!(cal.between(utc("2026-03-29 00:00"), utc("2026-03-30 00:00")), HOUR);
        assert_eq!(cal.next_open(utc("2026-10-25 00:00")), utc("2026-10-25 00:30"));
        assert_eq!(
            cal.between(utc("2026-10-25 00:00"), utc("2026-10-26 00:00")),
            5 * HOUR / 2
        );
        // Both ends inside the gap: no working time that day.
        let cal = calendar(&every_day("Europe/London", "01:10", "01:50"));
        assert_eq!(cal.between(utc("2026-03-29 00:00"), utc("2026-03-30 00:00")), 0);
        assert_eq!(cal.next_open(utc("2026-03-29 00:00")), utc("2026-03-30 00:10"));
        assert_eq!(
            cal.between(utc("2026-03-28 00:00"), utc("2026-03-29 00:00")),
            40 * MINUTE
        );
    }

    #[test]
    fn the_longest_closure_still_ends_and_absurd_inputs_saturate() {
        // 400 back-to-back holidays of 62 days close every day from 2026 to late 2093.
        let first = NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date");
        let mut spec = bahrain();
        spec.holidays = (0..400)
            .map(|i| {
                let from = first + chrono::Days::new(i * 62);
                let to = from + chrono::Days::new(61);
                holiday("closed", &from.to_string(), &to.to_string())
            })
            .collect();
        let cal = calendar(&spec);
        let reopens = first + chrono::Days::new(400 * 62);
        let due = cal.add(local(&cal, "2026-01-01 00:00"), MINUTE);
        assert_eq!(from_micros(due).with_timezone(&cal.tz).date_naive(), reopens);

        let cal = calendar(&bahrain());
        let now = local(&cal, "2026-01-01 00:00");
        assert_eq!(cal.add(now, Micros::MAX), Micros::MAX);
        assert_eq!(cal.add(Micros::MAX, 1), Micros::MAX);
        assert_eq!(cal.add(Micros::MIN, -5), Micros::MIN);
        assert_eq!(cal.next_open(Micros::MAX), Micros::MAX);
        assert!(!cal.is_open(Micros::MIN) && !cal.is_open(Micros::MAX));
        assert_eq!(show(&cal, cal.next_open(Micros::MIN)), "1900-01-01 07:00 LMT");
        let all = cal.between(Micros::MIN, Micros::MAX);
        assert_eq!(show(&cal, cal.add(Micros::MIN, all)), "2199-12-31 14:00 +03");
        assert_eq!(cal.add(Micros::MIN, all + 1), Micros::MAX);
    }

    #[test]
    fn from_spec_names_the_field_at_fault() {
        type Edit = fn(&mut CalendarSpec);
        let long_name = "x".repeat(201);
        let cases: Vec<(Edit, &str, &str)> = vec![
            (|s| s.time_zone = "Asia/Manama".into(), "unknown_time_zone", "time_zone"),
            (
                |s| s.time_zone = "asia/bahrain".into(),
                "unknown_time_zone",
                "time_zone",
            ),
            (
                |s| s.working_days[2] = "funday".into(),
                "unknown_weekday",
                "working_days[2]",
            ),
            (
                |s| s.working_days[0] = "Sunday".into(),
                "unknown_weekday",
                "working_days[0]",
            ),
            (
                |s| s.working_days.push("monday".into()),
                "duplicate_weekday",
                "working_days[5]",
            ),
            (|s| s.working_days.clear(), "no_working_day", "working_days"),
            (|s| s.opens = "14:00".into(), "closes_before_opens", "closes"),
            (|s| s.closes = "06:00".into(), "closes_before_opens", "closes"),
            (|s| s.opens = "7:00".into(), "invalid_time", "opens"),
            (|s| s.closes = "24:00".into(), "invalid_time", "closes"),
            (|s| s.closes = "13:60".into(), "invalid_time", "closes"),
            (|s| s.opens = "07:00:00".into(), "invalid_time", "opens"),
            (|s| s.opens = "+7:00".into(), "invalid_time", "opens"),
            (
                |s| s.holidays[0].from = "2026-02-30".into(),
                "invalid_date",
                "holidays[0].from",
            ),
            (
                |s| s.holidays[0].from = "2026-3-19".into(),
                "invalid_date",
                "holidays[0].from",
            ),
            (
                |s| s.holidays[1].to = "+026-05-29".into(),
                "invalid_date",
                "holidays[1].to",
            ),
            (
                |s| s.holidays[1].to = "2026-05-25".into(),
                "invalid_range",
                "holidays[1].to",
            ),
            (
                |s| s.holidays[1].to = "2026-07-27".into(),
                "range_too_long",
                "holidays[1].to",
            ),
            (|s| s.holidays[0].name = " ".into(), "required", "holidays[0].name"),
            (
                |s| s.overrides[1].opens = "9am".into(),
                "invalid_time",
                "overrides[1].opens",
            ),
            (
                |s| s.overrides[0].closes = "09:00".into(),
                "closes_before_opens",
                "overrides[0].closes",
            ),
            (
                |s| s.overrides[0].from = "2027-02-06".into(),
                "invalid_range",
                "overrides[0].to",
            ),
            (
                |s| s.overrides[1].to = "2027-04-11".into(),
                "range_too_long",
                "overrides[1].to",
            ),
            (
                |s| s.overrides[1].to = "2026-03-20".into(),
                "invalid_range",
                "overrides[1].to",
            ),
            (
                |s| (s.overrides[1].from, s.overrides[1].to) = ("2026-03-18".into(), "2026-03-20".into()),
                "overlapping_override",
                "overrides[1].from",
            ),
            (
                |s| (s.overrides[1].from, s.overrides[1].to) = ("2026-02-10".into(), "2026-02-20".into()),
                "overlapping_override",
                "overrides[1].from",
            ),
            (
                |s| s.holidays = vec![s.holidays[0].clone(); 401],
                "too_many",
                "holidays",
            ),
            (
                |s| s.overrides = vec![s.overrides[0].clone(); 401],
                "too_many",
                "overrides",
            ),
        ];
        let mut valid = bahrain();
        valid.holidays = vec![
            holiday("Eid al-Fitr", "2026-03-19", "2026-03-22"),
            holiday("Eid al-Adha", "2026-05-26", "2026-05-29"),
        ];
        valid.overrides = vec![
            hours_override("Ramadan 2026", "2026-02-18", "2026-03-18", "09:00", "14:00"),
            hours_override("Ramadan 2027", "2027-02-08", "2027-03-09", "09:00", "14:00"),
        ];
        calendar(&valid);
        for (i, (edit, code, field)) in cases.into_iter().enumerate() {
            let mut spec = valid.clone();
            edit(&mut spec);
            let err = BusinessCalendar::from_spec(&spec).expect_err(&format!("case {i} must be refused"));
            assert_eq!((err.code, err.field.as_str()), (code, field), "case {i}: {err}");
        }
        let mut spec = valid.clone();
        spec.holidays[0].name = long_name;
        let err = BusinessCalendar::from_spec(&spec).expect_err("a name of 201 characters");
        assert_eq!((err.code, err.field.as_str()), ("too_long", "holidays[0].name"));
        // The limits themselves are allowed.
        spec.holidays = vec![holiday(&"x".repeat(200), "2026-01-01", "2026-03-03"); 400];
        calendar(&spec);
    }

    #[test]
    fn a_spec_round_trips_through_json_and_unknown_fields_are_refused() {
        let mut spec = bahrain();
        spec.holidays = vec![holiday("Eid al-Fitr", "2026-03-19", "2026-03-22")];
        spec.overrides = vec![hours_override("Ramadan", "2026-02-18", "2026-03-18", "09:00", "14:00")];
        let json = serde_json::to_string(&spec).expect("serialisable");
        let back: CalendarSpec = serde_json::from_str(&json).expect("deserialisable");
        assert_eq!(back, spec);
        assert_eq!(calendar(&back).spec(), &spec);

        let minimal = r#"{"time_zone":"Asia/Bahrain","working_days":["sunday"],"opens":"07:00","closes":"14:00"}"#;
        let parsed: CalendarSpec = serde_json::from_str(minimal).expect("holidays and overrides default to none");
        assert!(parsed.holidays.is_empty() && parsed.overrides.is_empty());

        let extra = minimal.replace("\"opens\"", "\"lunch\":\"12:00\",\"opens\"");
        assert!(serde_json::from_str::<CalendarSpec>(&extra).is_err());
        let extra_in_holiday = minimal.replace(
            "\"opens\"",
            r#""holidays":[{"name":"Eid","from":"2026-03-19","to":"2026-03-22","paid":true}],"opens""#,
        );
        assert!(serde_json::from_str::<CalendarSpec>(&extra_in_holiday).is_err());
    }

    // Properties, over random calendars in a zone without DST and two with it.

    fn hhmm(minutes: u32) -> String {
        format!("{:02}:{:02}", minutes / 60, minutes % 60)
    }

    /// Any hours, or hours around 01:00–03:00 where London and New York change their clocks.
    fn hours() -> impl Strategy<Value = (String, String)> {
        prop_oneof![(0u32..1380, 1u32..=600), (45u32..190, 1u32..=150)]
            .prop_map(|(opens, length)| (hhmm(opens), hhmm((opens + length).min(23 * 60 + 59))))
    }

    const FIRST: NaiveDate = NaiveDate::from_ymd_opt(2025, 12, 20).expect("a date");

    fn day(offset: i64) -> String {
        (FIRST + chrono::TimeDelta::days(offset)).to_string()
    }

    fn any_spec() -> impl Strategy<Value = CalendarSpec> {
        let zone = prop::sample::select(vec!["Asia/Bahrain", "Europe/London", "America/New_York"]);
        let days = prop::sample::subsequence(WEEKDAYS.map(|(name, _)| name).to_vec(), 1..=7);
        let holidays = prop::collection::vec((0i64..780, 0i64..10), 0..10);
        let overrides = prop::collection::vec((0i64..120, 0i64..40, hours()), 0..4);
        (zone, days, hours(), holidays, overrides).prop_map(|(zone, days, (opens, closes), holidays, overrides)| {
            let mut spec = spec(zone, &days, &opens, &closes);
            spec.holidays = holidays
                .into_iter()
                .map(|(from, length)| holiday("holiday", &day(from), &day(from + length)))
                .collect();
            // Laid end to end with gaps, as overrides may not overlap.
            let mut next = 0;
            for (gap, length, (opens, closes)) in overrides {
                let from = next + gap;
                next = from + length + 1;
                spec.overrides.push(hours_override(
                    "other hours",
                    &day(from),
                    &day(from + length),
                    &opens,
                    &closes,
                ));
            }
            spec
        })
    }

    /// Instants over two years from 20 December 2025, often on or next to a whole minute, where
    /// every opening and closing lies.
    fn instant() -> impl Strategy<Value = Micros> {
        let start = FIRST.and_time(NaiveTime::MIN).and_utc().timestamp_micros();
        let within = prop_oneof![Just(0), Just(1), Just(MINUTE - 1), 0..MINUTE];
        (0i64..770 * 24 * 60, within).prop_map(move |(minutes, within)| start + minutes * MINUTE + within)
    }

    /// Up to 10 days of round-the-clock business time: with a minute a week, past 2199, where
    /// `add` saturates and the round trips no longer hold (those cases are skipped).
    fn duration() -> impl Strategy<Value = Micros> {
        prop_oneof![Just(0), positive_duration()]
    }

    fn positive_duration() -> impl Strategy<Value = Micros> {
        prop_oneof![Just(1), (1i64..14_400).prop_map(business_minutes), 1..14_400 * MINUTE]
    }

    proptest! {
        #[test]
        fn add_is_monotone_in_start(spec in any_spec(), a in instant(), b in instant(), d in duration()) {
            let cal = calendar(&spec);
            let (a, b) = (a.min(b), a.max(b));
            prop_assert!(cal.add(a, d) <= cal.add(b, d));
        }

        #[test]
        fn add_is_monotone_in_duration(spec in any_spec(), a in instant(), d in duration(), e in duration()) {
            let cal = calendar(&spec);
            let (d, e) = (d.min(e), d.max(e));
            prop_assert!(cal.add(a, d) <= cal.add(a, e));
        }

        #[test]
        fn a_due_time_is_within_working_hours(spec in any_spec(), a in instant(), d in positive_duration()) {
            let cal = calendar(&spec);
            let due = cal.add(a, d);
            prop_assume!(due < Micros::MAX);
            prop_assert!(due > a);
            prop_assert!(cal.is_open(due - 1), "due {} is not just after working time", show(&cal, due));
        }

        #[test]
        fn between_undoes_add(spec in any_spec(), a in instant(), d in duration()) {
            let cal = calendar(&spec);
            let due = cal.add(a, d);
            prop_assume!(due < Micros::MAX);
            prop_assert_eq!(cal.between(a, due), d);
        }

        #[test]
        fn add_undoes_between_up_to_a_working_instant(
            spec in any_spec(), x in instant(), e in positive_duration(), back in 0..20 * 24 * HOUR,
        ) {
            let cal = calendar(&spec);
            let b = cal.add(x, e); // in (open, close] of some interval
            prop_assume!(b < Micros::MAX);
            let a = b - back;
            prop_assert_eq!(cal.add(a, cal.between(a, b)), b);
        }

        #[test]
        fn between_is_additive(spec in any_spec(), a in instant(), b in instant(), c in instant()) {
            let cal = calendar(&spec);
            let mut abc = [a, b, c];
            abc.sort_unstable();
            let [a, b, c] = abc;
            prop_assert_eq!(cal.between(a, b) + cal.between(b, c), cal.between(a, c));
            prop_assert_eq!(cal.between(c, a), 0);
        }

        #[test]
        fn next_open_is_the_first_open_instant(spec in any_spec(), at in instant()) {
            let cal = calendar(&spec);
            let next = cal.next_open(at);
            prop_assert!(next >= at && cal.is_open(next));
            prop_assert_eq!(cal.between(at, next), 0);
            prop_assert_eq!(cal.is_open(at), next == at);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// `between` agrees with `is_open` sampled minute by minute (all ends are on whole minutes).
        #[test]
        fn between_counts_the_open_minutes(spec in any_spec(), at in instant(), minutes in 0i64..3 * 24 * 60) {
            let cal = calendar(&spec);
            let from = at - at.rem_euclid(MINUTE);
            let open = (0..minutes).filter(|m| cal.is_open(from + m * MINUTE)).count();
            let open = i64::try_from(open).expect("a small count");
            prop_assert_eq!(cal.between(from, from + minutes * MINUTE), open * MINUTE);
        }
    }
}
