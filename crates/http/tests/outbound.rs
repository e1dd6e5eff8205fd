//! Outbound channels: a notification on a channel this node has no transport for is ended
//! as undeliverable with the reason recorded and counted per channel in `/metrics`, never
//! dropped silently. Each check runs on SQLite and PostgreSQL.

use reqwest::StatusCode;
use serde_json::json;
use tawasul_domain::vocab::OutboundChannel;
use tawasul_testkit::fixtures::Fixtures;
use tawasul_testkit::{on_both, spawn, Backend, Options, TestApp};

/// The application with the capital's water-leak service and no transport at all.
async fn without_transports(backend: Backend) -> TestApp {
    let t = spawn(Options::on(backend)).await;
    Fixtures::new(&t.app).await.capital(json!([])).await;
    t
}

on_both! { without_transports;
    async fn a_notification_without_a_transport_is_undeliverable_with_its_reason_and_counted(t: &TestApp) {
        assert!(t.app.outbound_channels().iter().all(|(_, configured)| !configured), "no transport configured");
        assert_eq!(t.app.outbound_channels().len(), OutboundChannel::ALL.len());
        for (i, contact) in [json!({"email": "fatima@example.bh"}), json!({"phone": "+973 3300 1234"}), json!({"email": "ali@example.bh"})].into_iter().enumerate() {
            let mut reporter = json!({"name": "فاطمة", "language": "ar"});
            reporter.as_object_mut().expect("object").extend(contact.as_object().expect("object").clone());
            t.submit(json!({"service": "water-leak", "kind": "complaint", "description": format!("تسرب {i}"), "reporter": reporter})).await;
        }
        t.work().await;
        let outbox = t.store.outbox_deliveries(10).await.expect("outbox");
        assert_eq!(outbox.len(), 3, "{outbox:?}");
        for notification in &outbox {
            assert_eq!(notification.status, "undeliverable", "{notification:?}");
            assert_eq!(notification.last_error.as_deref(), Some(format!("no transport configured for {}", notification.channel).as_str()));
        }
        let metrics = t.client.get(t.url("/metrics")).send().await.expect("metrics");
        assert_eq!(metrics.status(), StatusCode::OK);
        let text = metrics.text().await.expect("text");
        assert!(text.contains("tawasul_notifications_undeliverable_total{channel=\"email\"} 2"), "{text}");
        assert!(text.contains("tawasul_notifications_undeliverable_total{channel=\"sms\"} 1"), "{text}");
        t.work().await;
        let again = t.client.get(t.url("/metrics")).send().await.expect("metrics").text().await.expect("text");
        assert!(again.contains("tawasul_notifications_undeliverable_total{channel=\"email\"} 2"), "ended once, counted once: {again}");
    }
}
