//! Staff sign-in (argon2id passwords, session tokens), residents' one-time codes, and turning
//! a bearer secret into a caller.

use crate::cases::views::{mask_email, mask_phone};
use crate::error::{Failure, Outcome};
use crate::identity::authz::StaffUser;
use crate::identity::limits::{Client, Rate};
use crate::identity::second_factor::SignIn;
use crate::identity::{IdentityError, IdentityResult};
use crate::App;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::Duration;
use rand::Rng;
use serde::{Deserialize, Serialize};
use tawasul_domain::intake::{Email, PhoneNumber};
use tawasul_domain::vocab::{OutboundChannel, Role};
use tawasul_domain::{secret_digest, Invalid};
use tawasul_store::{AuditInsert, OtpAttempt, OtpInsert, OutboxInsert, SessionInsert, StaffInsert, StaffRow};
use utoipa::ToSchema;

/// A staff session ends 12 hours after sign-in, or after an hour without use.
pub const STAFF_SESSION_HOURS: i64 = 12;
pub const STAFF_IDLE_MINUTES: i64 = 60;
/// A resident's session ends 7 days after the code, or after 2 hours without use.
pub const RESIDENT_SESSION_DAYS: i64 = 7;
pub const RESIDENT_IDLE_MINUTES: i64 = 120;
const OTP_MINUTES: i64 = 10;
const OTP_MAX_ATTEMPTS: i64 = 5;
/// Failed sign-ins are forgotten a day after the first of them.
const LOGIN_FAILURE_WINDOW_HOURS: i64 = 24;
const MIN_PASSWORD_CHARS: usize = 10;
const MAX_PASSWORD_CHARS: usize = 1024;

/// Who is asking.
#[derive(Debug, Clone)]
pub enum Caller {
    Anonymous,
    Staff(StaffUser),
    /// A resident who proved a phone number or e-mail address with a one-time code.
    Resident {
        contact: String,
    },
    /// A bearer secret that is no session: perhaps a case's tracking token.
    CaseToken(String),
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Session {
    pub token: String,
    pub expires_at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

/// A new random secret of 160 bits, hex-encoded.
pub fn new_secret() -> String {
    hex::encode(rand::thread_rng().gen::<[u8; 20]>())
}

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

pub(crate) fn staff_user(row: StaffRow) -> Outcome<StaffUser> {
    Ok(StaffUser {
        id: row.id,
        username: row.username,
        display_name: row.display_name,
        role: row.role,
        entity_id: row.entity_id,
        entity_code: row.entity_code,
        department_id: row.department_id,
    })
}

/// The throttling key of sign-ins to `username`.
fn account_key(username: &str) -> String {
    let account: String = username.trim().to_lowercase().chars().take(64).collect();
    format!("login:u:{account}")
}

/// The throttling keys of sign-ins to `username` and from the client's address.
pub(crate) fn login_keys(username: &str, client: &Client) -> (String, String) {
    (account_key(username), format!("login:a:{}", client.address))
}

/// A username: 3–64 ASCII letters, digits, '.', '_' or '-'.
pub(crate) fn check_username(username: &str) -> Outcome<()> {
    let name_ok = (3..=64).contains(&username.len())
        && username
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if name_ok {
        Ok(())
    } else {
        Err(Invalid::new(
            "invalid_username",
            "username",
            "use 3–64 letters, digits, '.', '_' or '-'",
        )
        .into())
    }
}

/// A new password: long enough, and short enough that hashing it costs nothing unusual.
pub(crate) fn check_new_password(password: &str) -> Outcome<()> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(Invalid::new(
            "weak_password",
            "password",
            format!("use at least {MIN_PASSWORD_CHARS} characters"),
        )
        .into());
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(Invalid::new(
            "too_long",
            "password",
            format!("use at most {MAX_PASSWORD_CHARS} characters"),
        )
        .into());
    }
    Ok(())
}

/// argon2id is slow on purpose: hash off the async runtime.
pub(crate) async fn hash_off_thread(password: &str) -> Outcome<String> {
    let password = password.to_owned();
    Ok(tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(anyhow::Error::from)??)
}

/// A verified contact: a phone number or an e-mail address, in its normal form.
pub fn parse_contact(raw: &str) -> Outcome<(String, OutboundChannel)> {
    if raw.contains('@') {
        let email = Email::parse(raw).map_err(|e| Invalid {
            field: "contact".into(),
            ..e
        })?;
        Ok((email.as_str().to_owned(), OutboundChannel::Email))
    } else {
        let phone = PhoneNumber::parse(raw).map_err(|e| Invalid {
            field: "contact".into(),
            ..e
        })?;
        Ok((phone.as_str().to_owned(), OutboundChannel::Sms))
    }
}

impl App {
    /// Creates a staff user (from the command line or the admin API).
    /// Where escalations and notices reach a staff user (or nowhere, with `None`).
    pub async fn set_staff_email(&self, username: &str, email: Option<&str>) -> IdentityResult<()> {
        let email = email
            .map(|e| tawasul_domain::intake::Email::parse(e).map(|e| e.as_str().to_owned()))
            .transpose()?;
        if self.store.set_staff_email(username, email).await? {
            Ok(())
        } else {
            Err(Failure::NotFound("staff user").into())
        }
    }

    pub async fn add_staff(
        &self,
        username: &str,
        password: &str,
        role: Role,
        entity: Option<&str>,
        display_name: Option<&str>,
    ) -> IdentityResult<i64> {
        check_username(username)?;
        check_new_password(password)?;
        let display_name = crate::organisation::admin::name(display_name.unwrap_or(username), "display_name")?;
        let entity_id = match entity {
            Some(code) => Some(
                self.store
                    .entity_by_code(code)
                    .await?
                    .ok_or_else(|| Invalid::new("unknown_entity", "entity", format!("no entity {code:?}")))?
                    .id,
            ),
            None => None,
        };
        let password_hash = hash_off_thread(password).await?;
        let id = self
            .store
            .insert_staff(StaffInsert {
                username: username.to_owned(),
                password_hash,
                role,
                entity_id,
                department_id: None,
                display_name,
                email: None,
                created_at: self.now_micros(),
            })
            .await?;
        Ok(id)
    }

    /// Signs a staff user in with their password. Failed attempts are counted per account and
    /// per client address across nodes; past `Limits::login_failures_per_*` each further
    /// attempt waits (1 s, doubling up to `login_max_delay_secs`) and is answered 429 without a
    /// password check. At most `Limits::password_checks` checks run at once; more are refused,
    /// not queued. A user with a second factor, or whose entity requires one of them, is not
    /// signed in yet: the password's right, and the second step comes next
    /// (`App::login_with_code`); the account's failures are cleared only once it is done.
    pub async fn login(&self, credentials: Credentials, client: &Client) -> IdentityResult<SignIn> {
        let (account, address) = login_keys(&credentials.username, client);
        let now = self.now_micros();
        self.refuse_while_blocked(&account, &address, now).await?;
        let Ok(_checking) = self.password_checks.try_acquire() else {
            return Err(Failure::throttled("too many sign-ins at once; try again in a moment", 1).into());
        };
        let row = self.store.staff_by_username(&credentials.username).await?;
        // Verify against a real hash even for an unknown user, so timing tells nothing.
        let hash = row
            .as_ref()
            .filter(|r| r.active)
            .map(|r| r.password_hash.clone())
            .unwrap_or_else(|| dummy_hash().to_owned());
        let password = credentials.password;
        let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
            .await
            .map_err(anyhow::Error::from)?;
        let user = match row {
            Some(row) if ok && row.active => staff_user(row)?,
            _ => {
                self.login_failed(account, address, now).await?;
                return Err(IdentityError::BadCredentials);
            }
        };
        if let Some(challenge) = self.second_step_of(&user).await? {
            return Ok(SignIn::SecondStep(challenge));
        }
        let session = self.signed_in(&user, false).await?;
        Ok(SignIn::Done(session, user))
    }

    /// 429 while the account or the address waits after failed sign-ins.
    pub(crate) async fn refuse_while_blocked(&self, account: &str, address: &str, now: i64) -> IdentityResult<()> {
        let blocked = self.store.throttle_blocked_until(account, address).await?;
        if blocked > now {
            let secs = seconds_until(blocked - now);
            return Err(Failure::throttled(format!("too many failed sign-ins; try again in {secs} s"), secs).into());
        }
        Ok(())
    }

    /// The end of a sign-in: the account's failures forgotten, a session, the audit row.
    pub(crate) async fn signed_in(&self, user: &StaffUser, second_factor: bool) -> IdentityResult<Session> {
        self.store.throttle_clear(account_key(&user.username)).await?;
        let session = self
            .open_session(
                Some(user.id),
                None,
                Duration::hours(STAFF_SESSION_HOURS),
                Duration::minutes(STAFF_IDLE_MINUTES),
            )
            .await?;
        self.store
            .audit(AuditInsert {
                at: self.now_micros(),
                staff_id: Some(user.id),
                action: "login".into(),
                target: format!("staff:{}", user.username),
                details: match second_factor {
                    true => serde_json::json!({ "second_factor": true }).to_string(),
                    false => "{}".into(),
                },
            })
            .await?;
        Ok(session)
    }

    /// Counts a failed sign-in against the account and the address, and makes either wait
    /// once it is past its allowance.
    pub(crate) async fn login_failed(&self, account: String, address: String, now: i64) -> IdentityResult<()> {
        let limits = self.limits();
        let since = now - LOGIN_FAILURE_WINDOW_HOURS * 3_600_000_000;
        for (key, free) in [
            (account, limits.login_failures_per_account),
            (address, limits.login_failures_per_address),
        ] {
            let (failures, _) = self.store.throttle_hit(key.clone(), now, since).await?;
            if let Some(beyond) = u32::try_from(failures).ok().and_then(|f| f.checked_sub(free.max(1))) {
                let secs = 1u64
                    .checked_shl(beyond)
                    .unwrap_or(u64::MAX)
                    .min(limits.login_max_delay_secs.max(1));
                let until = now.saturating_add(i64::try_from(secs).unwrap_or(i64::MAX / 2_000_000) * 1_000_000);
                self.store.throttle_block(key, until).await?;
            }
        }
        Ok(())
    }

    /// Counts one hit on a counter shared by every node, refusing past `rate`.
    async fn count_shared(&self, key: String, rate: Rate, what: &str) -> IdentityResult<()> {
        let now = self.now_micros();
        let window = i64::try_from(rate.per_secs).unwrap_or(i64::MAX / 2_000_000) * 1_000_000;
        let (hits, started) = self.store.throttle_hit(key, now, now - window).await?;
        if hits > i64::from(rate.count) {
            let secs = seconds_until(started + window - now);
            return Err(Failure::throttled(format!("too many {what}; try again in {secs} s"), secs).into());
        }
        Ok(())
    }

    async fn open_session(
        &self,
        staff_id: Option<i64>,
        contact: Option<String>,
        ttl: Duration,
        idle: Duration,
    ) -> IdentityResult<Session> {
        let token = new_secret();
        let now = self.now();
        let expires = now + ttl;
        self.store
            .insert_session(SessionInsert {
                token_hash: secret_digest(&token),
                staff_id,
                contact,
                created_at: tawasul_domain::micros(now),
                expires_at: tawasul_domain::micros(expires),
                idle_expires_at: tawasul_domain::micros(now + idle),
            })
            .await?;
        Ok(Session {
            token,
            expires_at: expires.to_rfc3339(),
        })
    }

    pub async fn logout(&self, token: &str) -> IdentityResult<()> {
        Ok(self.store.delete_session(secret_digest(token)).await?)
    }

    /// Turns a bearer secret (or a session cookie's value) into the caller it belongs to.
    pub async fn authenticate(&self, bearer: Option<&str>) -> IdentityResult<Caller> {
        let Some(token) = bearer.filter(|t| !t.is_empty()) else {
            return Ok(Caller::Anonymous);
        };
        let digest = secret_digest(token);
        let now = self.now_micros();
        let Some(session) = self.store.session(&digest, now).await? else {
            return Ok(Caller::CaseToken(token.to_owned()));
        };
        // Each use keeps the session from ending idle (written at most once a minute).
        let idle = if session.staff_id.is_some() {
            STAFF_IDLE_MINUTES
        } else {
            RESIDENT_IDLE_MINUTES
        } * 60_000_000;
        if session.idle_expires_at < now + idle - 60_000_000 {
            self.store.touch_session(digest, now, now + idle).await?;
        }
        match (session.staff_id, session.contact) {
            (Some(id), _) => {
                let row = self.store.staff_by_id(id).await?.ok_or(Failure::Unauthenticated)?;
                Ok(Caller::Staff(staff_user(row)?))
            }
            (None, Some(contact)) => Ok(Caller::Resident { contact }),
            (None, None) => Ok(Caller::Anonymous),
        }
    }

    /// Sends a one-time code to a phone or e-mail address (through the outbox). Says nothing
    /// of whether that contact has cases.
    /// Limited per client address, for the whole service, and per contact
    /// (`Limits::codes_*`), counted in the store so that the limits hold across nodes. A new
    /// code does not cancel one sent before: each stays good until used, spent or expired.
    pub async fn request_code(&self, raw_contact: &str, client: &Client) -> IdentityResult<()> {
        let (contact, channel) = parse_contact(raw_contact)?;
        let limits = self.limits();
        self.count_shared(
            format!("code:a:{}", client.address),
            limits.codes_per_address,
            "codes asked for from this address",
        )
        .await?;
        self.count_shared("code:all".into(), limits.codes_overall, "codes sent just now")
            .await?;
        self.count_shared(
            format!("code:c:{contact}"),
            limits.codes_per_contact,
            "codes sent to this contact",
        )
        .await?;
        let now = self.now();
        let code = format!("{:06}", rand::thread_rng().gen_range(0..1_000_000));
        let at = tawasul_domain::micros(now);
        self.store
            .insert_otp(
                OtpInsert {
                    contact: contact.clone(),
                    code_hash: secret_digest(&format!("{contact}:{code}")),
                    created_at: at,
                    expires_at: tawasul_domain::micros(now + Duration::minutes(OTP_MINUTES)),
                },
                OutboxInsert {
                    channel: channel.as_str().into(),
                    recipient: contact.clone(),
                    template: "one_time_code".into(),
                    language: "ar".into(),
                    payload: serde_json::json!({ "minutes": OTP_MINUTES }).to_string(),
                    secret: Some(self.seal_secrets("one_time_code", serde_json::json!({ "code": code }))),
                    created_at: at,
                },
            )
            .await?;
        if self.settings.demo {
            let masked = if channel == OutboundChannel::Email {
                mask_email(&contact)
            } else {
                mask_phone(&contact)
            };
            tracing::info!(contact = %masked, %code, "demo mode: one-time code (in production it goes only by {channel})");
        }
        Ok(())
    }

    pub async fn verify_code(&self, raw_contact: &str, code: &str) -> IdentityResult<Session> {
        let (contact, _) = parse_contact(raw_contact)?;
        let matched = self
            .store
            .redeem_otp(OtpAttempt {
                code_hash: secret_digest(&format!("{contact}:{}", code.trim())),
                contact: contact.clone(),
                now: self.now_micros(),
                max_attempts: OTP_MAX_ATTEMPTS,
            })
            .await?;
        if !matched {
            return Err(Invalid::new("invalid_code", "code", "the code is wrong, used or expired").into());
        }
        self.open_session(
            None,
            Some(contact),
            Duration::days(RESIDENT_SESSION_DAYS),
            Duration::minutes(RESIDENT_IDLE_MINUTES),
        )
        .await
    }
}

/// Whole seconds covering `micros` (at least 1), for `Retry-After`.
fn seconds_until(micros: i64) -> u64 {
    u64::try_from((micros + 999_999) / 1_000_000).unwrap_or(1).max(1)
}

/// An argon2id hash of a random secret nobody knows, verified when the username is unknown.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&new_secret()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("correct horse battery").expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("wrong horse battery", &hash));
        assert!(!verify_password("anything", dummy_hash()));
    }

    #[test]
    fn secrets_are_long_and_distinct() {
        let (a, b) = (new_secret(), new_secret());
        assert_eq!(a.len(), 40, "160 bits in hex");
        assert_ne!(a, b);
    }

    #[test]
    fn contacts_are_normalised() {
        assert_eq!(
            parse_contact("+973 3300 0000").expect("phone"),
            ("+97333000000".into(), OutboundChannel::Sms)
        );
        assert_eq!(
            parse_contact("A@B.bh").expect("email"),
            ("a@b.bh".into(), OutboundChannel::Email)
        );
        assert_eq!(
            parse_contact("hello").expect_err("neither").to_string(),
            "contact: may hold only digits, spaces, dashes and a leading +"
        );
    }
}
