//! Real receivers for tests, here and in other crates (feature `testing`): a project rule is no
//! mocks where the real component can run, so e-mail is tested over a real SMTP exchange.

mod http;
mod smtp;

pub use http::{HttpSink, RecordedRequest};
pub use smtp::{ReceivedMail, SmtpSink};
