//! `tawasul-bench seed`: fills a store with cases at a big city's volume, in the shape of real
//! service (see `tawasul_demo::scale`), through the operator's bulk path.

use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::time::Instant;

/// Cases per transaction: large enough that commits cost little, small enough that a batch
/// in memory (with its events) stays in tens of megabytes.
const BATCH: usize = 10_000;

pub struct SeedArgs {
    pub cases: usize,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub seed: u64,
    pub years: u32,
}

pub async fn seed(args: SeedArgs) -> anyhow::Result<()> {
    let settings = tawasul_app::Settings {
        data_dir: args.data_dir.clone(),
        database_url: args.database_url.clone(),
        ..tawasul_app::Settings::default()
    };
    let app = tawasul_app::App::open(settings).await?;
    if tawasul_demo::seed(&app).await?.is_some() {
        eprintln!("the store was empty: seeded the demo's catalogue, staff, workflow and cases first");
    }
    let data = tawasul_demo::data::DemoData::load()?;
    let services = app.services().await?;
    let staff = app.operator().staff().await?;
    let mut scale = tawasul_demo::scale::Scale::new(
        &data,
        &services,
        staff,
        args.cases,
        args.seed,
        args.years,
        app.now_micros(),
    )?;
    let bar = ProgressBar::new(args.cases as u64).with_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} cases ({per_sec}, {eta} left)")?
            .progress_chars("=> "),
    );
    let started = Instant::now();
    let (mut written, mut events, mut surveys) = (0usize, 0usize, 0usize);
    loop {
        let batch = scale.next_batch(BATCH)?;
        if batch.is_empty() {
            break;
        }
        events += batch.iter().map(|c| c.case.events.len()).sum::<usize>();
        surveys += batch.iter().filter(|c| c.survey.is_some()).count();
        written += batch.len();
        app.operator().load_cases(batch).await?;
        bar.set_position(written as u64);
    }
    bar.finish();
    let loaded = started.elapsed().as_secs_f64();
    eprintln!("analysing the store for the query planner…");
    app.operator().analyze().await?;
    let seconds = started.elapsed().as_secs_f64();
    app.close().await;
    println!(
        "{written} cases, {events} events, {surveys} surveys loaded in {loaded:.1} s ({:.0} cases/s), analysed by {seconds:.1} s, into {}",
        written as f64 / loaded,
        args.database_url.as_deref().map_or_else(|| args.data_dir.display().to_string(), redacted),
    );
    Ok(())
}

/// A database URL without its password, for printing.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}
