//! The store's part in the abuse limits (issue 13), on both backends: one-time code attempts
//! counted in one statement, codes that a newer one does not cancel, shared counters, and
//! sessions that end when idle and are purged.

use tawasul_store::*;
use tawasul_testkit::{on_both, open_store};

const T0: i64 = 1_790_000_000_000_000; // 2026-09-21
const MINUTE: i64 = 60_000_000;
const PHONE: &str = "+97333000000";

fn code(hash: &str, at: i64) -> (OtpInsert, OutboxInsert) {
    (
        OtpInsert {
            contact: PHONE.into(),
            code_hash: hash.into(),
            created_at: at,
            expires_at: at + 10 * MINUTE,
        },
        OutboxInsert {
            channel: "sms".into(),
            recipient: PHONE.into(),
            template: "one_time_code".into(),
            language: "ar".into(),
            payload: "{}".into(),
            secret: None,
            created_at: at,
        },
    )
}

fn guess(hash: &str, now: i64) -> OtpAttempt {
    OtpAttempt {
        contact: PHONE.into(),
        code_hash: hash.into(),
        now,
        max_attempts: 5,
    }
}

on_both! { open_store;
    async fn parallel_guesses_stop_at_the_attempt_limit(store: &Store) {
        let (otp, message) = code("good", T0);
        store.insert_otp(otp, message).await.expect("code");
        let mut guesses = tokio::task::JoinSet::new();
        for _ in 0..40 {
            let store = store.clone();
            guesses.spawn(async move { store.redeem_otp(guess("bad", T0 + 1)).await });
        }
        while let Some(result) = guesses.join_next().await {
            assert!(!result.expect("joined").expect("a guess is answered"), "a wrong code never matches");
        }
        let checked = store.otp_attempts(PHONE, T0 + 2).await.expect("attempts");
        assert_eq!(checked, 5, "40 parallel guesses at a code that allows 5 were checked {checked} times");
        assert!(!store.redeem_otp(guess("good", T0 + 3)).await.expect("answered"), "no attempt left, even for the right code");
    }

    async fn a_newer_code_does_not_cancel_a_pending_one(store: &Store) {
        let (first, message) = code("first", T0);
        store.insert_otp(first, message).await.expect("the resident's code");
        let (second, message) = code("second", T0 + 1);
        store.insert_otp(second, message).await.expect("a code someone else asked for");
        assert!(store.redeem_otp(guess("first", T0 + 2)).await.expect("answered"), "the first code still works");
        assert!(!store.redeem_otp(guess("first", T0 + 3)).await.expect("answered"), "once");
        assert!(store.redeem_otp(guess("second", T0 + 4)).await.expect("answered"), "the other one too");
    }

    async fn shared_counters_count_every_hit_of_their_window(store: &Store) {
        let mut hits = tokio::task::JoinSet::new();
        for _ in 0..30 {
            let store = store.clone();
            hits.spawn(async move { store.throttle_hit("code:a:10.0.0.1".into(), T0, T0 - 60 * MINUTE).await });
        }
        let mut seen = vec![];
        while let Some(n) = hits.join_next().await {
            seen.push(n.expect("joined").expect("counted").0);
        }
        seen.sort_unstable();
        assert_eq!(seen, (1..=30).collect::<Vec<i64>>(), "every hit counted once, in parallel");
        let later = T0 + 61 * MINUTE;
        assert_eq!(store.throttle_hit("code:a:10.0.0.1".into(), later, later - 60 * MINUTE).await.expect("hit"), (1, later), "a new window");
        assert_eq!(store.throttle_blocked_until("code:a:10.0.0.1", "other").await.expect("read"), 0);
        store.throttle_block("code:a:10.0.0.1".into(), later + MINUTE).await.expect("block");
        store.throttle_block("code:a:10.0.0.1".into(), later + 1).await.expect("a shorter block");
        assert_eq!(store.throttle_blocked_until("other", "code:a:10.0.0.1").await.expect("read"), later + MINUTE, "the longer block holds");
        store.throttle_clear("code:a:10.0.0.1".into()).await.expect("clear");
        assert_eq!(store.throttle_blocked_until("code:a:10.0.0.1", "other").await.expect("read"), 0);
    }

    async fn idle_sessions_end_and_ended_ones_are_purged(store: &Store) {
        let session = |hash: &str| SessionInsert {
            token_hash: hash.into(),
            staff_id: None,
            contact: Some(PHONE.into()),
            created_at: T0,
            expires_at: T0 + 600 * MINUTE,
            idle_expires_at: T0 + 30 * MINUTE,
        };
        store.insert_session(session("used")).await.expect("session");
        store.insert_session(session("idle")).await.expect("session");
        store.touch_session("used".into(), T0 + 20 * MINUTE, T0 + 50 * MINUTE).await.expect("touch");
        assert!(store.session("used", T0 + 40 * MINUTE).await.expect("read").is_some(), "kept alive by use");
        assert!(store.session("idle", T0 + 40 * MINUTE).await.expect("read").is_none(), "idle too long");
        assert!(store.session("used", T0 + 601 * MINUTE).await.expect("read").is_none(), "past its absolute end");
        let (otp, message) = code("old", T0);
        store.insert_otp(otp, message).await.expect("code");
        store.throttle_hit("login:a:10.0.0.2".into(), T0, T0 - MINUTE).await.expect("hit");
        let purged = store.purge_identity(T0 + 40 * MINUTE, T0 + 1).await.expect("purge");
        assert_eq!(purged, 3, "the idle session, the expired code and the old counter");
        assert!(store.session("used", T0 + 41 * MINUTE).await.expect("read").is_some(), "a live session stays");
    }
}
