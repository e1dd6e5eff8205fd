//! Real receivers for tests and benchmarks: a project rule is no mocks where the real
//! component can run, so e-mail is tested over a real SMTP exchange and SMS gateways and
//! webhooks against a real HTTP server.

mod http;
mod smtp;

pub use http::{HttpSink, RecordedRequest};
pub use smtp::{ReceivedMail, SmtpSink};
