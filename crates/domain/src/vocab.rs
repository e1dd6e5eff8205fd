//! The closed vocabularies of the model: kinds, statuses, channels, languages, priorities, roles.
//! Each has one spelling (snake_case) in JSON, in SQL and on the command line.

use crate::Invalid;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident, $field:literal { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Result<Self, Invalid> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(Invalid::new(
                        concat!("unknown_", $field),
                        $field,
                        format!("unknown {} {:?}; one of: {}", $field, s, [$($text),+].join(", ")),
                    )),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = Invalid;
            fn from_str(s: &str) -> Result<Self, Invalid> { Self::parse(s) }
        }

        #[cfg(feature = "sqlx")]
        impl<DB: sqlx::Database> sqlx::Type<DB> for $name
        where
            str: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <str as sqlx::Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <str as sqlx::Type<DB>>::compatible(ty)
            }
        }

        #[cfg(feature = "sqlx")]
        impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for $name
        where
            &'q str: sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut DB::ArgumentBuffer<'q>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&'q str as sqlx::Encode<'q, DB>>::encode(self.as_str(), buf)
            }
        }

        /// A word outside the vocabulary is a decode error naming it, never a default.
        #[cfg(feature = "sqlx")]
        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $name
        where
            &'r str: sqlx::Decode<'r, DB>,
        {
            fn decode(value: DB::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                Ok(Self::parse(<&'r str as sqlx::Decode<'r, DB>>::decode(value)?)?)
            }
        }
    };
}

vocabulary!(
    /// What the resident is telling us.
    Kind, "kind" {
        Complaint = "complaint",
        Suggestion = "suggestion",
        Inquiry = "inquiry",
        Report = "report",
        Compliment = "compliment",
        /// "My report was ignored": made by the system from the reporter's complaint about
        /// another case, never chosen at intake.
        Escalation = "escalation",
    }
);

vocabulary!(
    /// Where a case stands in its lifecycle (see `lifecycle`).
    Status, "status" {
        New = "new",
        Acknowledged = "acknowledged",
        Assigned = "assigned",
        InProgress = "in_progress",
        WaitingOnReporter = "waiting_on_reporter",
        /// Handed to another entity, which has not yet accepted or returned it.
        Transferred = "transferred",
        Resolved = "resolved",
        Closed = "closed",
        Rejected = "rejected",
        /// A duplicate report joined to the case that stays; final.
        Merged = "merged",
    }
);

vocabulary!(
    /// How the case reached us.
    Channel, "channel" {
        Web = "web",
        Api = "api",
        Phone = "phone",
        Email = "email",
        Sms = "sms",
        Whatsapp = "whatsapp",
        Chat = "chat",
        WalkIn = "walk_in",
        Social = "social",
        Open311 = "open311",
        Qr = "qr",
    }
);

vocabulary!(
    /// How a notification reaches its recipient: each has one transport, configured or not.
    OutboundChannel, "outbound_channel" {
        Email = "email",
        Sms = "sms",
        /// The signed webhook that the WhatsApp, chat and social bridges receive.
        Webhook = "webhook",
        /// WhatsApp's Cloud API, for cases that came by WhatsApp when that channel is on.
        Whatsapp = "whatsapp",
        /// Facebook Messenger or X direct messages, for cases that came by either when its
        /// adapter is on (the recipient is `fb:…` or `x:…`).
        Social = "social",
    }
);

vocabulary!(
    /// Languages residents write in and are answered in. Arabic first.
    Language, "language" {
        Ar = "ar",
        En = "en",
        Ur = "ur",
        Hi = "hi",
        Bn = "bn",
        Tl = "tl",
        Ml = "ml",
        Fr = "fr",
    }
);

vocabulary!(
    /// What the KPI figures are grouped by (`GET /api/v1/kpis?group_by=`).
    KpiGroupBy, "group_by" {
        Entity = "entity",
        Department = "department",
        Employee = "employee",
        Service = "service",
        Channel = "channel",
        Kind = "kind",
        Area = "area",
        Language = "language",
    }
);

vocabulary!(
    /// What a KPI's value counts in.
    KpiUnit, "unit" {
        Count = "count",
        Percent = "percent",
        /// Elapsed (calendar) minutes.
        Minutes = "minutes",
        /// Minutes within the entity's working hours (its SLA calendar).
        BusinessMinutes = "business_minutes",
        /// A mean score from 1 to 5.
        Score = "score",
    }
);

vocabulary!(
    /// A KPI's value against its target: met, at risk (missed by no more than the margin) or missed.
    KpiState, "state" {
        Met = "met",
        AtRisk = "at_risk",
        Missed = "missed",
    }
);

vocabulary!(
    Priority, "priority" {
        Low = "low",
        Normal = "normal",
        High = "high",
        Urgent = "urgent",
    }
);

vocabulary!(
    /// What a staff user does; what each role may do is decided in the application layer.
    Role, "role" {
        Admin = "admin",
        Supervisor = "supervisor",
        Agent = "agent",
        Officer = "officer",
        Inspector = "inspector",
        Liaison = "liaison",
        Satisfaction = "satisfaction",
        Secretary = "secretary",
    }
);

impl Status {
    /// Open cases are those someone still has to act on.
    pub fn is_open(self) -> bool {
        !matches!(
            self,
            Status::Closed | Status::Rejected | Status::Resolved | Status::Merged
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_round_trips_through_text_and_json() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Ok(*s));
            let json = serde_json::to_string(s).expect("serialises");
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(*r));
        }
        assert_eq!(Channel::WalkIn.as_str(), "walk_in");
    }

    #[test]
    fn unknown_words_name_the_field_and_the_choices() {
        let err = Kind::parse("nonsense").expect_err("not a kind");
        assert_eq!(err.code, "unknown_kind");
        assert_eq!(err.field, "kind");
        assert!(err.message.contains("complaint"));
    }
}
