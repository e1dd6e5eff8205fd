//! When to try again, and when not to send at all.

use std::time::Duration;

use chrono::{DateTime, Days, LocalResult, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::ConfigError;

/// Attempts before a message is dead-lettered. With [`backoff`], the last one comes about 64
/// minutes after the first.
pub const MAX_ATTEMPTS: u32 = 8;

const FIRST_RETRY: Duration = Duration::from_secs(30);
const LONGEST_RETRY: Duration = Duration::from_secs(3600);

/// How long to wait after `attempts` failed attempts: 30 s, 1 min, 2 min… doubling up to 1 h.
/// No jitter: the job table already spreads retries over time.
pub fn backoff(attempts: u32) -> Duration {
    // Seven doublings (64 min) are past the cap already; stopping there keeps the arithmetic small.
    let doublings = attempts.saturating_sub(1).min(7);
    (FIRST_RETRY * 2u32.pow(doublings)).min(LONGEST_RETRY)
}

/// Local hours when reporters are not to be disturbed, e.g. 22:00–07:00 in Asia/Bahrain. The
/// start counts as quiet and the end does not; a start equal to the end means never quiet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
    pub time_zone: Tz,
}

impl QuietHours {
    /// Times as "HH:MM" or "HH:MM:SS"; the time zone by its IANA name.
    pub fn parse(start: &str, end: &str, tz: &str) -> Result<Self, ConfigError> {
        let time = |setting: &'static str, text: &str| {
            NaiveTime::parse_from_str(text.trim(), "%H:%M")
                .or_else(|_| NaiveTime::parse_from_str(text.trim(), "%H:%M:%S"))
                .map_err(|_| ConfigError::new(setting, format!("{text:?} is not HH:MM")))
        };
        Ok(Self {
            start: time("quiet hours start", start)?,
            end: time("quiet hours end", end)?,
            time_zone: tz
                .trim()
                .parse()
                .map_err(|e| ConfigError::new("quiet hours time zone", e))?,
        })
    }

    /// None if a message may go out at `now`; else when the quiet hours end.
    pub fn defer_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = now.with_timezone(&self.time_zone).naive_local();
        let time = local.time();
        let date = local.date();
        let end_date = if self.start < self.end {
            (self.start <= time && time < self.end).then_some(date)?
        } else if self.start > self.end {
            // Across midnight: before the end it is still last night's quiet time.
            if time >= self.start {
                date.checked_add_days(Days::new(1))?
            } else if time < self.end {
                date
            } else {
                return None;
            }
        } else {
            return None;
        };
        Some(self.instant(end_date.and_time(self.end)))
    }

    /// A local time as an instant. On a clock change, the earlier of two, or the first minute
    /// after a gap (gaps are at most a day long, as when Samoa skipped 30 December 2011).
    fn instant(&self, local: NaiveDateTime) -> DateTime<Utc> {
        (0..=2 * 24 * 60)
            .find_map(|minutes| {
                match self
                    .time_zone
                    .from_local_datetime(&(local + chrono::Duration::minutes(minutes)))
                {
                    LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => Some(at.with_timezone(&Utc)),
                    LocalResult::None => None,
                }
            })
            .unwrap_or_else(|| local.and_utc())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gap_in_local_time_ends_at_its_first_instant() {
        // 02:30 did not exist in New York on 10 March 2024: clocks went from 02:00 to 03:00.
        let quiet = QuietHours::parse("01:00", "02:30", "America/New_York").expect("valid");
        let now = Utc.with_ymd_and_hms(2024, 3, 10, 6, 30, 0).single().expect("valid"); // 01:30 EST
        let end = quiet.defer_until(now).expect("quiet");
        assert_eq!(end, Utc.with_ymd_and_hms(2024, 3, 10, 7, 0, 0).single().expect("valid"));
        // 03:00 EDT
    }
}
