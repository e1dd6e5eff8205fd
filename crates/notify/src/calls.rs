//! Outbound calls through a telephony platform's call-create API (Twilio's
//! `POST {base}/2010-04-01/Accounts/{AccountSid}/Calls.json`, HTTP Basic with the account and
//! its auth token, a form of `To`, `From`, `Url`, `StatusCallback`): the automatic call-back
//! of a phone case. The platform answers with the call's `sid`, then fetches `Url` when the
//! callee picks up and posts the call's progress to `StatusCallback`.

use std::fmt;

use reqwest::Url;

use crate::http::{client, http_url, outcome_of};
use crate::{ConfigError, DeliveryError, DEFAULT_TIMEOUT};

#[derive(Clone)]
pub struct CallApiSettings {
    /// The API's base, `https://api.twilio.com`.
    pub api_base: String,
    pub account_sid: String,
    pub auth_token: String,
    /// The number calls come from (`+97317000000`).
    pub from: String,
}

impl fmt::Debug for CallApiSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallApiSettings")
            .field("api_base", &self.api_base)
            .field("account_sid", &self.account_sid)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

/// One call to place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRequest {
    pub to: String,
    /// What the platform fetches when the callee answers.
    pub url: String,
    /// Where it posts the call's progress.
    pub status_callback: String,
}

pub struct CallPlacer {
    client: reqwest::Client,
    url: Url,
    account_sid: String,
    token: String,
    from: String,
}

impl CallPlacer {
    pub fn new(settings: CallApiSettings) -> Result<Self, ConfigError> {
        let base = settings.api_base.trim_end_matches('/');
        if settings.account_sid.is_empty()
            || !settings
                .account_sid
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(ConfigError::new("call API account", "is empty or not an account id"));
        }
        if settings.auth_token.is_empty() {
            return Err(ConfigError::new("call API token", "is empty"));
        }
        if settings.from.trim().is_empty() {
            return Err(ConfigError::new("call-back number", "is empty"));
        }
        let url = http_url(
            &format!("{base}/2010-04-01/Accounts/{}/Calls.json", settings.account_sid),
            "call API base",
        )?;
        Ok(Self {
            client: client()?,
            url,
            account_sid: settings.account_sid,
            token: settings.auth_token,
            from: settings.from,
        })
    }

    /// Asks the platform to place the call; its id (`sid`) when it took it. A refusal (4xx
    /// but 408 and 429) is permanent, anything else worth trying again.
    pub async fn place(&self, call: &CallRequest) -> Result<String, DeliveryError> {
        let form = [
            ("To", call.to.as_str()),
            ("From", self.from.as_str()),
            ("Url", call.url.as_str()),
            ("Method", "POST"),
            ("StatusCallback", call.status_callback.as_str()),
            ("StatusCallbackMethod", "POST"),
            ("StatusCallbackEvent", "completed"),
        ];
        let request = self
            .client
            .post(self.url.clone())
            .basic_auth(&self.account_sid, Some(&self.token))
            .form(&form)
            .timeout(DEFAULT_TIMEOUT);
        let response = outcome_of(request.send().await).await?;
        let body: serde_json::Value = response
            .json()
            .await
            .map_err(|e| DeliveryError::Transient(format!("the call API's answer is not JSON: {e}")))?;
        body["sid"]
            .as_str()
            .filter(|sid| !sid.is_empty() && sid.len() <= 64)
            .map(str::to_owned)
            .ok_or_else(|| DeliveryError::Transient("the call API's answer has no call sid".into()))
    }
}
