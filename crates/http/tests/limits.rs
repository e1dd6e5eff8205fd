//! Abuse limits end to end (issue 13): labels of `/metrics` that requests cannot multiply,
//! staff sign-in throttling, one-time codes, rate limits on intake and uploads, sessions.
//! Every test runs as `<name>::sqlite` and `<name>::postgres`.

use reqwest::{Method, StatusCode};
use tawasul_testkit::{on_both, spawn, Backend, Options, TestApp};

async fn plain(backend: Backend) -> TestApp {
    spawn(Options::on(backend)).await
}

on_both! { plain;
    async fn made_up_methods_do_not_make_new_metric_series(t: &TestApp) {
        for i in 0..40 {
            let method = Method::from_bytes(format!("FLOOD{i}").as_bytes()).expect("a token is a method");
            let answer = t.client.request(method, t.url("/healthz")).send().await.expect("sent");
            assert!(answer.status().is_client_error(), "{}", answer.status());
        }
        let text = t.client.get(t.url("/metrics")).send().await.expect("metrics").text().await.expect("text");
        assert!(!text.contains("FLOOD"), "a made-up method became a label: {text}");
        assert!(text.contains(r#"method="other""#), "{text}");
        let series = text.lines().filter(|l| l.starts_with("tawasul_http_requests_total{")).count();
        assert!(series <= 3, "{series} series after one route was asked with 40 methods: {text}");
    }
}
