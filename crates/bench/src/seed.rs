//! `tawasul-bench seed`: fills a store with cases at a big city's volume, in the shape of real
//! service (see `tawasul_demo::scale`), through the operator's bulk path.

use anyhow::anyhow;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use tawasul_demo::scale::{Scale, CHUNK};
use tawasul_store::LoadedCase;
use tokio::sync::mpsc;

/// Cases per transaction by default: large enough that commits cost little, small enough
/// that a batch in memory (with its events) stays in tens of megabytes.
pub const BATCH: usize = 10_000;

/// A batch as a thread made it, or why it could not.
type Made = anyhow::Result<Vec<LoadedCase>>;

pub struct SeedArgs {
    pub cases: usize,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub seed: u64,
    pub years: u32,
    /// The moment the history runs up to (microseconds); now when `None`. Fixed, it makes
    /// the same store twice.
    pub now: Option<i64>,
    /// Threads making batches while the store writes; the cores when `None`.
    pub makers: Option<usize>,
    /// Cases per transaction, rounded up to whole chunks of the generator: it changes how
    /// the rows are written, not which.
    pub batch: usize,
}

/// What a seed wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seeded {
    pub cases: usize,
    pub events: usize,
    pub surveys: usize,
}

/// Fills the store. The cases are made on `makers` threads, batch `k` on thread `k % makers`
/// (each chunk of a batch from its own generator, see `Scale::chunk`), and written in order by this
/// task: the store writes one batch while the next ones are made, and the store holds the
/// same rows whatever the number of threads.
pub async fn seed(args: SeedArgs) -> anyhow::Result<Seeded> {
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
    let scale = Arc::new(Scale::new(
        data,
        &services,
        staff,
        args.cases,
        args.seed,
        args.years,
        args.now.unwrap_or_else(|| app.now_micros()),
    )?);
    let config = app.workflow().await?;
    let chunks = scale.chunks();
    let per_batch = args.batch.div_ceil(CHUNK).max(1);
    let batches = chunks.div_ceil(per_batch);
    let makers = args
        .makers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, batches.max(1));
    // One queue per maker, one batch deep: the makers run at most a batch ahead each, so a
    // slow store bounds the memory.
    let (queues, threads): (Vec<_>, Vec<_>) = (0..makers)
        .map(|maker| {
            let (send, receive) = mpsc::channel::<Made>(1);
            let (scale, config) = (scale.clone(), config.clone());
            let thread = std::thread::spawn(move || {
                for index in (maker..batches).step_by(makers) {
                    let made = (index * per_batch..((index + 1) * per_batch).min(chunks))
                        .map(|chunk| scale.chunk(chunk))
                        .collect::<anyhow::Result<Vec<_>>>()
                        .and_then(|chunks| {
                            let mut batch: Vec<LoadedCase> = chunks.into_iter().flatten().collect();
                            tawasul_app::operator::settle_loaded(&config, &mut batch)?;
                            Ok(batch)
                        });
                    let failed = made.is_err();
                    // The writer stopped (it failed): nothing more to make.
                    if send.blocking_send(made).is_err() || failed {
                        return;
                    }
                }
            });
            (receive, thread)
        })
        .unzip();
    let bar = ProgressBar::new(args.cases as u64).with_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} cases ({per_sec}, {eta} left)")?
            .progress_chars("=> "),
    );
    let started = Instant::now();
    let written = write_batches(&app, queues, batches, &bar).await;
    for thread in threads {
        thread.join().map_err(|_| anyhow!("a thread making cases panicked"))?;
    }
    let written = written?;
    bar.finish();
    let loaded = started.elapsed().as_secs_f64();
    eprintln!("analysing the store for the query planner…");
    app.operator().analyze().await?;
    let seconds = started.elapsed().as_secs_f64();
    app.close().await;
    println!(
        "{} cases, {} events, {} surveys loaded in {loaded:.1} s ({:.0} cases/s), analysed by {seconds:.1} s, into {}",
        written.cases,
        written.events,
        written.surveys,
        written.cases as f64 / loaded,
        args.database_url
            .as_deref()
            .map_or_else(|| args.data_dir.display().to_string(), redacted),
    );
    Ok(written)
}

/// Writes the batches in order, batch `k` from queue `k % queues.len()`. On an error the
/// queues are dropped, which stops the makers.
async fn write_batches(
    app: &tawasul_app::App,
    mut queues: Vec<mpsc::Receiver<Made>>,
    batches: usize,
    bar: &ProgressBar,
) -> anyhow::Result<Seeded> {
    let mut seeded = Seeded {
        cases: 0,
        events: 0,
        surveys: 0,
    };
    let makers = queues.len();
    for index in 0..batches {
        let batch = queues[index % makers]
            .recv()
            .await
            .ok_or_else(|| anyhow!("a thread making cases stopped early"))??;
        seeded.events += batch.iter().map(|c| c.case.events.len()).sum::<usize>();
        seeded.surveys += batch.iter().filter(|c| c.survey.is_some()).count();
        seeded.cases += batch.len();
        app.operator().load_settled(batch).await?;
        bar.set_position(seeded.cases as u64);
    }
    Ok(seeded)
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
