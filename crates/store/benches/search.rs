//! Staff text search on a filled store: p50/p95 of each kind of query, through `Store::list_cases`
//! as the application calls it. Not run by `cargo bench` alone: it needs a store to read.
//!
//! ```text
//! cargo bench -p tawasul-store --bench search -- --data-dir DIR | --database-url URL [--reindex] [--runs 50]
//! ```
//!
//! `--reindex` first rebuilds the index (timed), for a store filled without it.

use std::time::{Duration, Instant};
use tawasul_domain::text::query_words;
use tawasul_store::{CaseFilter, CaseOrder, Store};

struct Options {
    data_dir: Option<String>,
    database_url: Option<String>,
    reindex: bool,
    runs: usize,
}

fn options() -> Options {
    let mut options = Options {
        data_dir: None,
        database_url: None,
        reindex: false,
        runs: 50,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--data-dir" => options.data_dir = args.next(),
            "--database-url" => options.database_url = args.next(),
            "--reindex" => options.reindex = true,
            "--runs" => options.runs = args.next().and_then(|n| n.parse().ok()).unwrap_or(50),
            _ => {} // cargo bench passes --bench
        }
    }
    options
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let options = options();
    if options.data_dir.is_none() && options.database_url.is_none() {
        println!("search bench: give --data-dir or --database-url of a filled store (skipped)");
        return;
    }
    let dir = std::path::PathBuf::from(options.data_dir.clone().unwrap_or_default());
    let store = Store::open(&dir, options.database_url.as_deref())
        .await
        .expect("the store opens");
    if options.reindex {
        let started = Instant::now();
        let cases = store.rebuild_search_index(|_| {}).await.expect("reindex");
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "reindex: {cases} cases in {seconds:.1} s ({:.0} cases/s)",
            cases as f64 / seconds
        );
    }
    let newest = store
        .list_cases(CaseFilter {
            limit: 50,
            ..Default::default()
        })
        .await
        .expect("newest");
    let phone = newest
        .iter()
        .find_map(|c| c.reporter_phone.clone())
        .expect("a recent case with a phone");
    let local = phone
        .chars()
        .rev()
        .take(8)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<String>();
    let queries: Vec<(&str, String, bool, CaseOrder)> = vec![
        ("common Arabic word", "المياه".into(), false, CaseOrder::Newest),
        (
            "common Arabic word, next page",
            "المياه".into(),
            false,
            CaseOrder::Newest,
        ),
        ("rare word", "زلزال".into(), false, CaseOrder::Newest),
        ("spelling variant", "الاناره".into(), false, CaseOrder::Newest),
        ("two words", "تسرب مياة".into(), false, CaseOrder::Newest),
        (
            "two words, rare and common",
            "زلزال شارع".into(),
            false,
            CaseOrder::Newest,
        ),
        ("English word", "Pothole".into(), false, CaseOrder::Newest),
        ("phone number (local part)", local, true, CaseOrder::Newest),
        ("no match", "غيرموجود".into(), false, CaseOrder::Newest),
        ("common word, sort=due", "المياه".into(), false, CaseOrder::DueFirst),
        (
            "rare word, sort=priority",
            "زلزال".into(),
            false,
            CaseOrder::PriorityFirst,
        ),
        (
            "medium word, sort=priority",
            "pothole".into(),
            false,
            CaseOrder::PriorityFirst,
        ),
    ];
    println!("| query | words | matches on page | p50 ms | p95 ms |");
    println!("| --- | --- | ---: | ---: | ---: |");
    for (name, query, reporter, order) in queries {
        let mut filter = CaseFilter {
            words: query_words(&query),
            search_reporter: reporter,
            order,
            limit: 51,
            ..Default::default()
        };
        if name.ends_with("next page") {
            let first = store.list_cases(filter.clone()).await.expect("first page");
            filter.after = first.last().map(|r| order.cursor_after(r));
        }
        // One warm-up run, not counted.
        let mut found = store.list_cases(filter.clone()).await.expect("search").len();
        let mut times = Vec::with_capacity(options.runs);
        for _ in 0..options.runs {
            let started = Instant::now();
            found = store.list_cases(filter.clone()).await.expect("search").len();
            times.push(started.elapsed());
        }
        times.sort();
        println!(
            "| {name} | `{}` | {found} | {:.2} | {:.2} |",
            filter.words.join(" "),
            percentile(&times, 0.5),
            percentile(&times, 0.95)
        );
    }
    store.close().await;
}
