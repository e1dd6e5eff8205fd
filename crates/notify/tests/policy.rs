//! Retry backoff and quiet hours.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use tawasul_notify::{backoff, QuietHours, MAX_ATTEMPTS};

#[test]
fn backoff_doubles_from_thirty_seconds_up_to_an_hour() {
    let delays: Vec<u64> = (1..=10).map(|attempts| backoff(attempts).as_secs()).collect();
    assert_eq!(delays, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
    assert_eq!(backoff(0), Duration::from_secs(30));
    assert_eq!(backoff(u32::MAX), Duration::from_secs(3600));
    let before_dead_letter: Duration = (1..MAX_ATTEMPTS).map(backoff).sum();
    assert_eq!(
        before_dead_letter,
        Duration::from_secs(3810),
        "about an hour of retries"
    );
}

#[test]
fn quiet_hours_across_midnight_in_bahrain() {
    let quiet = QuietHours::parse("22:00", "07:00", "Asia/Bahrain").expect("valid");
    // Bahrain is UTC+3 all year.
    let at = |d: u32, h: u32, m: u32| Utc.with_ymd_and_hms(2026, 1, d, h, m, 0).single().expect("valid");
    let morning = Some(at(11, 4, 0)); // 07:00 local on the 11th
    assert_eq!(quiet.defer_until(at(10, 18, 59)), None, "21:59");
    assert_eq!(quiet.defer_until(at(10, 19, 0)), morning, "22:00");
    assert_eq!(quiet.defer_until(at(10, 20, 59)), morning, "23:59");
    assert_eq!(quiet.defer_until(at(10, 21, 0)), morning, "00:00");
    assert_eq!(quiet.defer_until(at(11, 3, 59)), morning, "06:59");
    assert_eq!(quiet.defer_until(at(11, 4, 0)), None, "07:00");
    assert_eq!(quiet.defer_until(at(11, 12, 0)), None, "15:00");
}

#[test]
fn quiet_hours_within_a_day_and_never() {
    let siesta = QuietHours::parse("13:00", "15:30:00", "Asia/Bahrain").expect("valid");
    let at = |h: u32, m: u32| Utc.with_ymd_and_hms(2026, 6, 1, h, m, 0).single().expect("valid");
    assert_eq!(siesta.defer_until(at(9, 59)), None);
    assert_eq!(siesta.defer_until(at(10, 0)), Some(at(12, 30)));
    assert_eq!(siesta.defer_until(at(12, 30)), None);
    let never = QuietHours::parse("07:00", "07:00", "UTC").expect("valid");
    assert_eq!(never.defer_until(at(7, 0)), None);
}

#[test]
fn quiet_hours_settings_are_checked() {
    assert!(QuietHours::parse("25:00", "07:00", "Asia/Bahrain").is_err());
    assert!(QuietHours::parse("22:00", "7am", "Asia/Bahrain").is_err());
    assert!(QuietHours::parse("22:00", "07:00", "Mars/Olympus_Mons").is_err());
    let error = QuietHours::parse("22:00", "07:00", "Bahrain").expect_err("not an IANA name");
    assert!(error.to_string().contains("time zone"), "{error}");
}
