//! Abuse limits: who a request comes from (its client address, read from `X-Forwarded-For`
//! only when the connection comes from a configured proxy), the limits a node runs with, and
//! the per-node rate limiter (GCRA on the application's clock, so that tests move its time).
//!
//! Limits that must hold across nodes (failed sign-ins, one-time codes, which cost an SMS)
//! are counted in the store (`throttles`); limits on intake and uploads are per node, as the
//! issue asks: a node refuses what it cannot take without asking the database first.

use crate::error::{Failure, Outcome};
use crate::App;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::str::FromStr;
use std::sync::Mutex;

/// So many requests per so many seconds (a burst of `count` at once, then evenly spread).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub count: u32,
    pub per_secs: u64,
}

impl Rate {
    pub const fn per_minute(count: u32) -> Self {
        Self { count, per_secs: 60 }
    }

    pub const fn per_hour(count: u32) -> Self {
        Self { count, per_secs: 3600 }
    }
}

/// `30/min`, `5/hour`, `2/s`, `100/day`.
impl FromStr for Rate {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (count, unit) = s
            .trim()
            .split_once('/')
            .ok_or(format!("{s:?}: write a rate as 30/min"))?;
        let count = count.trim().parse().map_err(|_| format!("{s:?}: not a count"))?;
        let per_secs = match unit.trim() {
            "s" | "sec" | "second" => 1,
            "min" | "minute" => 60,
            "h" | "hour" => 3600,
            "d" | "day" => 86_400,
            other => return Err(format!("{other:?}: use s, min, hour or day")),
        };
        Ok(Self { count, per_secs })
    }
}

/// An address or a network (`10.0.0.0/8`, `fd00::/8`, `192.0.2.7`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    address: IpAddr,
    prefix: u8,
}

impl Network {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.address, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for Network {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (address, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s.trim(), None),
        };
        let address: IpAddr = address.parse().map_err(|_| format!("{s:?}: not an IP address"))?;
        let address = address.to_canonical();
        let max = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .parse()
                .ok()
                .filter(|p| *p <= max)
                .ok_or(format!("{s:?}: bad prefix"))?,
            None => max,
        };
        Ok(Self { address, prefix })
    }
}

/// The limits of one node. `Limits::default()` is what a contact centre runs with; each can
/// be set with `--limit name=value` (`TAWASUL_LIMITS`), listed in the README.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed.
    pub trusted_proxies: Vec<Network>,
    /// New cases from one client address (residents, anonymous callers of the API).
    pub intake_per_address: Rate,
    /// New cases giving one phone number or e-mail address.
    pub intake_per_contact: Rate,
    /// New cases sent with one staff credential (a contact centre's agent or integration).
    pub intake_per_key: Rate,
    /// Attachments uploaded from one client address.
    pub uploads_per_address: Rate,
    /// Attachments one case may have in all.
    pub attachments_per_case: usize,
    /// Messages one resident sends a guided conversation (phone keys, SMS, WhatsApp, chat):
    /// a flood past it is answered 429 and not read.
    pub messages_per_conversation: Rate,
    /// One-time codes sent to one contact (counted in the store).
    pub codes_per_contact: Rate,
    /// One-time codes asked for from one client address (counted in the store).
    pub codes_per_address: Rate,
    /// One-time codes sent by the whole service (counted in the store): the SMS bill's cap.
    pub codes_overall: Rate,
    /// Failed sign-ins to one account before each further one waits (1 s, doubling).
    pub login_failures_per_account: u32,
    /// Failed sign-ins from one client address before each further one waits.
    pub login_failures_per_address: u32,
    /// The longest wait after failed sign-ins, in seconds.
    pub login_max_delay_secs: u64,
    /// Password checks (argon2id, ~19 MiB each) running at once on this node; more are
    /// refused with 429 rather than queued.
    pub password_checks: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            trusted_proxies: vec![],
            intake_per_address: Rate::per_minute(30),
            intake_per_contact: Rate::per_hour(20),
            intake_per_key: Rate::per_minute(120),
            uploads_per_address: Rate::per_minute(60),
            attachments_per_case: 20,
            messages_per_conversation: Rate::per_minute(30),
            codes_per_contact: Rate::per_hour(5),
            codes_per_address: Rate::per_hour(20),
            codes_overall: Rate::per_hour(2000),
            login_failures_per_account: 5,
            login_failures_per_address: 20,
            login_max_delay_secs: 15 * 60,
            password_checks: 8,
        }
    }
}

impl Limits {
    /// What `tawasul demo` runs with: the defaults, except that one address, contact or key
    /// may send as many cases and photos as it likes, since trying the demo is often a load
    /// test from one machine with one phone number. Sign-ins and one-time codes are limited
    /// as in production.
    pub fn demo() -> Self {
        let lots = Rate::per_minute(1_000_000);
        Self {
            intake_per_address: lots,
            intake_per_contact: lots,
            intake_per_key: lots,
            uploads_per_address: lots,
            ..Self::default()
        }
    }

    /// Limits no test of something else reaches; a test of a limit sets its own.
    pub fn generous() -> Self {
        let lots = Rate::per_minute(1_000_000);
        Self {
            attachments_per_case: 10_000,
            messages_per_conversation: lots,
            codes_per_contact: lots,
            codes_per_address: lots,
            codes_overall: lots,
            login_failures_per_account: 1_000_000,
            login_failures_per_address: 1_000_000,
            ..Self::demo()
        }
    }

    /// Sets one limit by its name, as `--limit name=value` gives it.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        let rate = || value.parse::<Rate>();
        let number = || {
            value
                .trim()
                .parse::<u64>()
                .map_err(|_| format!("{name}: {value:?} is not a number"))
        };
        match name.trim() {
            "trusted_proxies" => {
                self.trusted_proxies = value
                    .split([' ', ';'])
                    .filter(|s| !s.is_empty())
                    .map(str::parse)
                    .collect::<Result<_, _>>()?
            }
            "intake_per_address" => self.intake_per_address = rate()?,
            "intake_per_contact" => self.intake_per_contact = rate()?,
            "intake_per_key" => self.intake_per_key = rate()?,
            "uploads_per_address" => self.uploads_per_address = rate()?,
            "messages_per_conversation" => self.messages_per_conversation = rate()?,
            "attachments_per_case" => self.attachments_per_case = usize::try_from(number()?).unwrap_or(usize::MAX),
            "codes_per_contact" => self.codes_per_contact = rate()?,
            "codes_per_address" => self.codes_per_address = rate()?,
            "codes_overall" => self.codes_overall = rate()?,
            "login_failures_per_account" => self.login_failures_per_account = clamp_u32(number()?),
            "login_failures_per_address" => self.login_failures_per_address = clamp_u32(number()?),
            "login_max_delay_secs" => self.login_max_delay_secs = number()?,
            "password_checks" => self.password_checks = usize::try_from(number()?).unwrap_or(usize::MAX),
            other => return Err(format!("{other:?} is no limit; see the README's list")),
        }
        Ok(())
    }

    /// Each `name=value` in turn.
    pub fn with(mut self, settings: &[String]) -> Result<Self, String> {
        for setting in settings.iter().filter(|s| !s.trim().is_empty()) {
            let (name, value) = setting
                .split_once('=')
                .ok_or(format!("{setting:?}: write a limit as name=value"))?;
            self.set(name, value)?;
        }
        Ok(self)
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|n| n.contains(ip))
    }
}

fn clamp_u32(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Who sent a request, as far as limits and cookies are concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// The client's address: the connection's peer, or, when the peer is a trusted proxy,
    /// the nearest address in `X-Forwarded-For` that is not one.
    pub address: IpAddr,
    /// Whether the browser reached us over TLS: the public URL is https, or a trusted proxy
    /// says `X-Forwarded-Proto: https`. Cookies are `Secure` (and `__Host-`) only then.
    pub tls: bool,
}

impl Default for Client {
    fn default() -> Self {
        Self {
            address: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            tls: false,
        }
    }
}

impl Client {
    /// The client of a connection from `peer` carrying these forwarding headers.
    pub fn resolve(
        limits: &Limits,
        public_tls: bool,
        peer: Option<IpAddr>,
        forwarded_for: &[&str],
        forwarded_proto: Option<&str>,
    ) -> Self {
        let Some(peer) = peer.map(|p| p.to_canonical()) else {
            return Self {
                tls: public_tls,
                ..Self::default()
            };
        };
        if !limits.trusts(peer) {
            return Self {
                address: peer,
                tls: public_tls,
            };
        }
        // Each proxy appends the address it received from: read from the right, past our own
        // proxies, to the first address that is not one of them.
        let hops: Vec<IpAddr> = forwarded_for
            .iter()
            .flat_map(|h| h.split(','))
            .filter_map(|a| a.trim().parse::<IpAddr>().ok())
            .map(|a| a.to_canonical())
            .collect();
        let address = hops
            .iter()
            .rev()
            .find(|a| !limits.trusts(**a))
            .or(hops.first())
            .copied()
            .unwrap_or(peer);
        let proto_tls = forwarded_proto
            .and_then(|p| p.split(',').next())
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
        Self {
            address,
            tls: public_tls || proto_tls,
        }
    }
}

/// Per-node rate limits: a theoretical arrival time per key (GCRA), so a key costs one
/// integer and a refusal says exactly when the next request would pass.
#[derive(Default)]
pub struct RateLimiter {
    arrivals: Mutex<HashMap<String, i64>>,
}

/// Keys kept before the limiter forgets those that are idle again.
const MAX_KEYS: usize = 100_000;

impl RateLimiter {
    /// Admits one request under `key` at `now` (µs), or says in how many seconds one would be.
    pub fn admit(&self, key: &str, rate: Rate, now: i64) -> Result<(), u64> {
        let count = i64::from(rate.count.max(1));
        let period = i64::try_from(rate.per_secs.max(1)).unwrap_or(i64::MAX / 2_000_000) * 1_000_000;
        let interval = period / count;
        let tolerance = period - interval;
        let Ok(mut arrivals) = self.arrivals.lock() else {
            return Ok(());
        };
        if arrivals.len() >= MAX_KEYS {
            arrivals.retain(|_, tat| *tat > now);
        }
        let tat = arrivals.get(key).copied().unwrap_or(now).max(now);
        if tat - now > tolerance {
            let wait = tat - now - tolerance;
            return Err(u64::try_from((wait + 999_999) / 1_000_000).unwrap_or(1));
        }
        arrivals.insert(key.to_owned(), tat + interval);
        Ok(())
    }
}

/// What a limited request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    Intake,
    Upload,
}

impl App {
    /// This node's limits.
    pub fn limits(&self) -> &Limits {
        &self.settings.limits
    }

    /// Whether the browser reaches this service over TLS by configuration (an https public URL).
    pub fn public_tls(&self) -> bool {
        self.settings
            .public_url
            .as_deref()
            .is_some_and(|u| u.get(..8).is_some_and(|s| s.eq_ignore_ascii_case("https://")))
    }

    /// Counts one request against a per-node limit.
    pub(crate) fn admit(&self, key: &str, rate: Rate, what: &str) -> Outcome<()> {
        self.limiter
            .admit(key, rate, self.now_micros())
            .map_err(|secs| Failure::throttled(format!("too many {what}; try again in {secs} s"), secs))
    }

    /// Counts an upload from `client` against its address's limit.
    pub fn admit_upload(&self, client: &Client) -> Outcome<()> {
        let limits = self.limits();
        self.admit(
            &format!("upload:a:{}", client.address),
            limits.uploads_per_address,
            "uploads from this address",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_networks_parse() {
        assert_eq!("30/min".parse(), Ok(Rate::per_minute(30)));
        assert_eq!("5/hour".parse(), Ok(Rate::per_hour(5)));
        assert!("5 an hour".parse::<Rate>().is_err());
        let net: Network = "10.1.0.0/16".parse().expect("network");
        assert!(net.contains("10.1.200.3".parse().expect("ip")));
        assert!(!net.contains("10.2.0.1".parse().expect("ip")));
        assert!(net.contains("::ffff:10.1.0.9".parse().expect("mapped")));
        assert!("10.0.0.0/33".parse::<Network>().is_err());
        let mut limits = Limits::default();
        limits.set("intake_per_address", "2/s").expect("set");
        assert_eq!(limits.intake_per_address, Rate { count: 2, per_secs: 1 });
        assert!(limits.set("no_such_limit", "1").is_err());
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_proxies() {
        let mut limits = Limits::default();
        let proxy: IpAddr = "10.0.0.5".parse().expect("ip");
        let client: IpAddr = "203.0.113.9".parse().expect("ip");
        let spoof = ["198.51.100.1, 203.0.113.9"];
        // Not configured: the header is whoever's claim, the peer is the client.
        let direct = Client::resolve(&limits, false, Some(proxy), &spoof, Some("https"));
        assert_eq!(
            direct,
            Client {
                address: proxy,
                tls: false
            }
        );
        limits.trusted_proxies = vec!["10.0.0.0/24".parse().expect("net")];
        let through = Client::resolve(&limits, false, Some(proxy), &spoof, Some("https"));
        assert_eq!(
            through,
            Client {
                address: client,
                tls: true
            },
            "the rightmost untrusted hop"
        );
        let stranger: IpAddr = "192.0.2.1".parse().expect("ip");
        let forged = Client::resolve(&limits, false, Some(stranger), &spoof, Some("https"));
        assert_eq!(
            forged,
            Client {
                address: stranger,
                tls: false
            },
            "a stranger's headers count for nothing"
        );
    }

    #[test]
    fn the_limiter_admits_a_burst_then_spreads() {
        let limiter = RateLimiter::default();
        let rate = Rate::per_minute(3);
        for _ in 0..3 {
            assert_eq!(limiter.admit("k", rate, 0), Ok(()));
        }
        assert_eq!(limiter.admit("k", rate, 0), Err(20), "one every 20 s after the burst");
        assert_eq!(limiter.admit("other", rate, 0), Ok(()), "keys are separate");
        assert_eq!(limiter.admit("k", rate, 20_000_000), Ok(()));
        assert!(limiter.admit("k", rate, 20_000_000).is_err());
    }
}
