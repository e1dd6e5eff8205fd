//! E-mails per second through one pooled SmtpSender to a local SMTP server (the SmtpSink), with
//! 1, 8 and 32 concurrent senders. The project's target is 500/s.
//!
//! cargo run -p tawasul-notify --release --features testing --example smtp_throughput

use std::sync::Arc;
use std::time::Instant;

use serde_json::json;
use tawasul_notify::{Outbound, SmtpSecurity, SmtpSender, SmtpSettings, Templates, Transport};
use tawasul_testkit::sinks::SmtpSink;

const EMAILS: usize = 5_000;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let templates = Templates::embedded();
    // Rendered up front: this measures delivery; rendering is timed on its own below.
    let started = Instant::now();
    let messages: Vec<Outbound> = (0..EMAILS)
        .map(|i| {
            let language = if i % 2 == 0 { "ar" } else { "en" };
            let payload = json!({
                "reference": format!("TW-2026-{i:07}"), "service_ar": "صيانة الطرق", "service_en": "Road maintenance",
                "track_url": format!("https://tawasul.example.gov/track/{i}"),
            });
            let rendered = templates.render("case_received", language, &payload)?;
            let id = i64::try_from(i)?;
            Ok(Outbound {
                id,
                channel: "email".into(),
                recipient: format!("r{i}@example.bh"),
                template: "case_received".into(),
                rendered,
                references: vec![],
                in_session: false,
            })
        })
        .collect::<Result<_, Box<dyn std::error::Error>>>()?;
    println!(
        "rendered {EMAILS} e-mails in {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    let messages = Arc::new(messages);

    for concurrency in [1usize, 8, 32] {
        let sink = SmtpSink::start().await?;
        let sender = Arc::new(SmtpSender::new(&SmtpSettings {
            host: "127.0.0.1".into(),
            port: sink.port(),
            security: SmtpSecurity::None,
            username: None,
            password: None,
            from: "Tawasul <noreply@example.gov>".into(),
            pool_size: u32::try_from(concurrency)?,
        })?);
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for task in 0..concurrency {
            let (sender, messages) = (sender.clone(), messages.clone());
            tasks.spawn(async move {
                for message in messages.iter().skip(task).step_by(concurrency) {
                    sender.deliver(message).await?;
                }
                Ok::<_, tawasul_notify::DeliveryError>(())
            });
        }
        while let Some(result) = tasks.join_next().await {
            result??;
        }
        let elapsed = started.elapsed();
        // The sink keeps a message before it answers 250, so all are there now.
        assert_eq!(sink.count(), EMAILS, "every e-mail arrived");
        println!(
            "{concurrency:>2} concurrent: {EMAILS} e-mails in {:.2} s = {:.0} e-mails/s",
            elapsed.as_secs_f64(),
            EMAILS as f64 / elapsed.as_secs_f64()
        );
    }
    Ok(())
}
