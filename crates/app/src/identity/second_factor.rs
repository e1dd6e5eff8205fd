//! Staff's second factor: RFC 6238 codes (HMAC-SHA1, 6 digits, 30-second steps) from an
//! authenticator app. A user enrols (a secret shown as an otpauth:// URI, a QR code and base32
//! text), confirms with a first code, and from then on signs in with password and code. The
//! secret is stored sealed with the server key; a code is accepted once (its time step, and
//! every earlier one, is spent) with one step of skew either way; wrong codes count as failed
//! sign-ins. An entity's policy may require it of administrators and supervisors, who are then
//! sent to enrol after their password. A platform administrator may reset a user's.

use crate::error::{Failure, Outcome};
use crate::identity::auth::{login_keys, Session};
use crate::identity::authz::StaffUser;
use crate::identity::limits::Client;
use crate::identity::{IdentityError, IdentityResult};
use crate::App;
use rand::RngCore;
use serde::Serialize;
use tawasul_domain::vocab::Role;
use tawasul_domain::{secret_digest, Invalid};
use tawasul_store::{AuditInsert, ChallengeInsert, SecondFactorRow};
use totp_rs::{Algorithm, TOTP};
use utoipa::ToSchema;

const ISSUER: &str = "Tawasul";
const DIGITS: usize = 6;
const STEP_SECS: u64 = 30;
/// 160 bits, as RFC 4226 recommends for HMAC-SHA1.
const SECRET_BYTES: usize = 20;
/// How long a sign-in past its password waits for its code or enrolment.
pub const CHALLENGE_MINUTES: i64 = 5;
/// Longer input is refused before anything is read into it.
const MAX_CODE_CHARS: usize = 32;

/// What signing in with a password gave.
#[derive(Debug)]
pub enum SignIn {
    /// Signed in: the user has no second factor and none is required of them.
    Done(Session, StaffUser),
    /// The password was right; the code (or the enrolment) comes next.
    SecondStep(Challenge),
}

/// What comes after the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SecondStep {
    /// Send the authenticator app's code.
    Code,
    /// The entity requires a second factor the user has not set up: enrol, then send the
    /// first code.
    Enrol,
}

/// A sign-in waiting for its second step: `challenge` goes with the code.
#[derive(Debug, Serialize, ToSchema)]
pub struct Challenge {
    pub challenge: String,
    pub expires_at: String,
    pub next: SecondStep,
}

/// A secret to put into an authenticator app, not yet confirmed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Enrolment {
    /// The secret in base32, for typing in.
    pub secret: String,
    /// `otpauth://totp/…`, for a QR code or a link.
    pub otpauth_uri: String,
}

/// Whether a user has a second factor, and whether their entity requires one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecondFactorStatus {
    pub enrolled: bool,
    pub required: bool,
}

/// The code as typed: 6 digits, Arabic-Indic digits read as such, spaces ignored.
fn parse_code(raw: &str) -> Outcome<String> {
    let refused = || {
        Invalid::new(
            "invalid_code",
            "code",
            "enter the 6 digits your authenticator app shows",
        )
    };
    if raw.chars().count() > MAX_CODE_CHARS {
        return Err(refused().into());
    }
    let digits: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
            '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
            other => other,
        })
        .collect();
    if digits.len() == DIGITS && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(digits)
    } else {
        Err(refused().into())
    }
}

fn wrong_code() -> IdentityError {
    Invalid::new("wrong_code", "code", "the code is wrong, or was used already").into()
}

fn totp(secret: Vec<u8>, username: &str) -> Outcome<TOTP> {
    TOTP::new(
        Algorithm::SHA1,
        DIGITS,
        0,
        STEP_SECS,
        secret,
        Some(ISSUER.into()),
        username.to_owned(),
    )
    .map_err(|e| Failure::Unexpected(anyhow::anyhow!("a second factor's secret: {e}")))
}

/// The time step (of the one before `now`, `now`'s, and the one after) whose code `code` is.
fn step_of(totp: &TOTP, code: &str, now_secs: u64) -> Option<i64> {
    let current = now_secs / STEP_SECS;
    [current.saturating_sub(1), current, current + 1]
        .into_iter()
        .find(|step| totp.check(code, step * STEP_SECS))
        .and_then(|step| i64::try_from(step).ok())
}

fn require_platform_admin(user: &StaffUser) -> Outcome<()> {
    if user.role == Role::Admin && user.entity_id.is_none() {
        Ok(())
    } else {
        Err(Failure::Forbidden(
            "only a platform administrator sees or resets a staff user's second factor".into(),
        ))
    }
}

fn sealing_context(staff_id: i64) -> String {
    format!("second_factor:{staff_id}")
}

impl App {
    /// Whether `user` must have a second factor: administrators and supervisors of an entity
    /// whose policy says so, and platform administrators when this node's settings say so.
    async fn second_factor_required_of(&self, user: &StaffUser) -> Outcome<bool> {
        match (user.role, user.entity_id) {
            (Role::Admin | Role::Supervisor, Some(entity)) => Ok(self.store.second_factor_required(entity).await?),
            (Role::Admin, None) => Ok(self.settings.platform_second_factor),
            _ => Ok(false),
        }
    }

    /// After a right password: the challenge the second step goes with, or `None` when the
    /// user has no second factor and none is required of them.
    pub(crate) async fn second_step_of(&self, user: &StaffUser) -> IdentityResult<Option<Challenge>> {
        let confirmed = self
            .store
            .second_factor(user.id)
            .await?
            .is_some_and(|f| f.confirmed_at.is_some());
        let next = match confirmed {
            true => SecondStep::Code,
            false if self.second_factor_required_of(user).await? => SecondStep::Enrol,
            false => return Ok(None),
        };
        let token = crate::identity::auth::new_secret();
        let now = self.now();
        let expires = now + chrono::Duration::minutes(CHALLENGE_MINUTES);
        self.store
            .insert_challenge(ChallengeInsert {
                token_hash: secret_digest(&token),
                staff_id: user.id,
                enrol: next == SecondStep::Enrol,
                created_at: tawasul_domain::micros(now),
                expires_at: tawasul_domain::micros(expires),
            })
            .await?;
        Ok(Some(Challenge {
            challenge: token,
            expires_at: expires.to_rfc3339(),
            next,
        }))
    }

    /// The user behind a live challenge, and whether it waits for an enrolment.
    async fn challenged(&self, challenge: &str) -> IdentityResult<(StaffUser, bool)> {
        let found = self
            .store
            .challenge(&secret_digest(challenge), self.now_micros())
            .await?
            .ok_or(Failure::Unauthenticated)?;
        let row = self
            .store
            .staff_by_id(found.staff_id)
            .await?
            .ok_or(Failure::Unauthenticated)?;
        Ok((crate::identity::auth::staff_user(row)?, found.enrol))
    }

    /// What a live sign-in waits for (401 once it has expired or was used).
    pub async fn pending_sign_in(&self, challenge: &str) -> IdentityResult<SecondStep> {
        let (_, enrol) = self.challenged(challenge).await?;
        Ok(if enrol { SecondStep::Enrol } else { SecondStep::Code })
    }

    /// The secret to enrol with, for a sign-in sent to enrol (`SecondStep::Enrol`).
    pub async fn enrolment_at_sign_in(&self, challenge: &str) -> IdentityResult<Enrolment> {
        let (user, enrol) = self.challenged(challenge).await?;
        if !enrol {
            return Err(IdentityError::Duplicate("second factor".into()));
        }
        self.pending_enrolment(&user).await
    }

    /// The second step of a sign-in: the code of the user's second factor, or the first code
    /// of the one they are enrolling (which confirms it). Wrong codes count as failed sign-ins
    /// of the account and the address, and are refused as they are while those wait.
    pub async fn login_with_code(
        &self,
        challenge: &str,
        code: &str,
        client: &Client,
    ) -> IdentityResult<(Session, StaffUser)> {
        let code = parse_code(code)?;
        let (user, enrol) = self.challenged(challenge).await?;
        self.check_code(&user, &code, enrol, client).await?;
        if !self.store.delete_challenge(secret_digest(challenge)).await? {
            // Another request took this sign-in meanwhile.
            return Err(Failure::Unauthenticated.into());
        }
        let session = self.signed_in(&user, true).await?;
        Ok((session, user))
    }

    /// A signed-in user's own enrolment: a new secret, or the one they have not confirmed yet.
    pub async fn begin_second_factor(&self, user: &StaffUser) -> IdentityResult<Enrolment> {
        self.pending_enrolment(user).await
    }

    /// Confirms a signed-in user's enrolment with a first code.
    pub async fn confirm_second_factor(&self, user: &StaffUser, code: &str, client: &Client) -> IdentityResult<()> {
        let code = parse_code(code)?;
        self.check_code(user, &code, true, client).await
    }

    pub async fn second_factor_status(&self, user: &StaffUser) -> IdentityResult<SecondFactorStatus> {
        Ok(SecondFactorStatus {
            enrolled: self
                .store
                .second_factor(user.id)
                .await?
                .is_some_and(|f| f.confirmed_at.is_some()),
            required: self.second_factor_required_of(user).await?,
        })
    }

    /// Whether `username` has a second factor set up, for the platform administrator who may
    /// reset it.
    pub async fn staff_has_second_factor(&self, admin: &StaffUser, username: &str) -> IdentityResult<bool> {
        require_platform_admin(admin)?;
        let row = self
            .store
            .staff_by_username(username)
            .await?
            .ok_or(Failure::NotFound("staff user"))?;
        Ok(self
            .store
            .second_factor(row.id)
            .await?
            .is_some_and(|f| f.confirmed_at.is_some()))
    }

    /// Removes `username`'s second factor (a lost phone), audited; a platform administrator's
    /// to do. They enrol again at their next sign-in where their entity requires it.
    pub async fn reset_second_factor(&self, admin: &StaffUser, username: &str) -> IdentityResult<()> {
        require_platform_admin(admin)?;
        let row = self
            .store
            .staff_by_username(username)
            .await?
            .ok_or(Failure::NotFound("staff user"))?;
        let audit = AuditInsert {
            at: self.now_micros(),
            staff_id: Some(admin.id),
            action: "reset_second_factor".into(),
            target: format!("staff:{}", row.username),
            details: "{}".into(),
        };
        if self.store.delete_second_factor(row.id, audit).await? {
            Ok(())
        } else {
            Err(Failure::NotFound("second factor").into())
        }
    }

    async fn pending_enrolment(&self, user: &StaffUser) -> IdentityResult<Enrolment> {
        let secret = match self.store.second_factor(user.id).await? {
            Some(f) if f.confirmed_at.is_some() => return Err(IdentityError::Duplicate("second factor".into())),
            Some(pending) => self.opened(&pending)?,
            None => {
                let mut secret = vec![0u8; SECRET_BYTES];
                rand::rngs::OsRng.fill_bytes(&mut secret);
                let sealed = self.sealer.seal(&sealing_context(user.id), &hex::encode(&secret));
                if !self
                    .store
                    .put_pending_second_factor(user.id, sealed, self.now_micros())
                    .await?
                {
                    return Err(IdentityError::Duplicate("second factor".into()));
                }
                secret
            }
        };
        let totp = totp(secret, &user.username)?;
        Ok(Enrolment {
            secret: totp.get_secret_base32(),
            otpauth_uri: totp.get_url(),
        })
    }

    fn opened(&self, factor: &SecondFactorRow) -> Outcome<Vec<u8>> {
        self.sealer
            .open(&sealing_context(factor.staff_id), &factor.secret)
            .and_then(|plain| hex::decode(plain).ok())
            .ok_or_else(|| {
                Failure::Unexpected(anyhow::anyhow!(
                    "a second factor's secret cannot be opened with this server's key"
                ))
            })
    }

    /// Checks `code` against the user's confirmed second factor (or, with `enrolling`, the
    /// pending one, which it confirms), spending its time step; counts a wrong one.
    async fn check_code(&self, user: &StaffUser, code: &str, enrolling: bool, client: &Client) -> IdentityResult<()> {
        let (account, address) = login_keys(&user.username, client);
        let now = self.now_micros();
        self.refuse_while_blocked(&account, &address, now).await?;
        let factor = self.store.second_factor(user.id).await?;
        let factor = match factor {
            Some(f) if f.confirmed_at.is_none() == enrolling => f,
            Some(_) if enrolling => return Err(IdentityError::Duplicate("second factor".into())),
            _ => return Err(Invalid::new("not_enrolled", "code", "set up the authenticator app first").into()),
        };
        let totp = totp(self.opened(&factor)?, &user.username)?;
        let now_secs = u64::try_from(self.now().timestamp()).unwrap_or(0);
        let accepted = match step_of(&totp, code, now_secs) {
            None => false,
            Some(step) if enrolling => {
                let audit = AuditInsert {
                    at: now,
                    staff_id: Some(user.id),
                    action: "enrol_second_factor".into(),
                    target: format!("staff:{}", user.username),
                    details: "{}".into(),
                };
                self.store.confirm_second_factor(user.id, step, audit).await?
            }
            Some(step) => self.store.use_second_factor_step(user.id, step).await?,
        };
        if !accepted {
            self.login_failed(account, address, now).await?;
            return Err(wrong_code());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 rows: the generator the second factor uses, with 8 digits.
    #[test]
    fn the_generator_gives_the_rfc_6238_test_vectors() {
        let rfc = TOTP::new(
            Algorithm::SHA1,
            8,
            0,
            30,
            b"12345678901234567890".to_vec(),
            None,
            "rfc".into(),
        )
        .expect("the RFC's secret");
        for (time, code) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(rfc.generate(time), code, "T = {time}");
        }
    }

    #[test]
    fn a_code_matches_its_step_and_one_either_side_only() {
        let totp = totp(vec![7; SECRET_BYTES], "cap.admin").expect("totp");
        let now = 1_767_225_615; // within step 58_907_520
        let step = now / STEP_SECS;
        for (offset, expected) in [(-2_i64, None), (-1, Some(-1)), (0, Some(0)), (1, Some(1)), (2, None)] {
            let at = (step as i64 + offset) as u64 * STEP_SECS;
            let code = totp.generate(at);
            assert_eq!(
                step_of(&totp, &code, now),
                expected.map(|o| step as i64 + o),
                "offset {offset}"
            );
        }
    }

    #[test]
    fn codes_are_read_as_typed_and_refused_otherwise() {
        assert_eq!(parse_code("123456").expect("ascii"), "123456");
        assert_eq!(parse_code(" 123 456 ").expect("spaced"), "123456");
        assert_eq!(parse_code("١٢٣٤٥٦").expect("Arabic-Indic"), "123456");
        assert_eq!(parse_code("۱۲۳۴۵۶").expect("Eastern Arabic-Indic"), "123456");
        for bad in [
            "",
            "12345",
            "1234567",
            "12345a",
            "１２３４５６",
            "123456\u{202e}",
            &"1".repeat(10_000),
        ] {
            assert!(parse_code(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_uri_names_the_issuer_and_account_and_carries_the_secret() {
        let totp = totp(vec![1; SECRET_BYTES], "cap.admin").expect("totp");
        let uri = totp.get_url();
        assert!(uri.starts_with("otpauth://totp/Tawasul:cap.admin?"), "{uri}");
        assert!(uri.contains(&format!("secret={}", totp.get_secret_base32())), "{uri}");
        assert!(uri.contains("issuer=Tawasul"), "{uri}");
    }
}
