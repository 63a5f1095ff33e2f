//! `medcode serve`: the review workbench and HTTP API on one engine, loaded once.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use medcode::pipeline::Engine;
use medcode::serve::store::Store;
use medcode::serve::{AppState, Settings};

use super::config::user_packs;
use super::data::choose_dictionary;

/// `medcode serve` arguments.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The address to listen on. Anything but loopback needs a token.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// The SQLite database of the queue and the decisions (created when missing).
    #[arg(long, default_value = "medcode-review.sqlite3")]
    db: PathBuf,
    /// A JSONL file, a note file or a directory of them to add to the queue at start (notes
    /// already in the queue are left as they are).
    #[arg(long)]
    queue: Vec<PathBuf>,
    /// The token every request must carry (also MEDCODE_TOKEN); required off loopback.
    #[arg(long, env = "MEDCODE_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Largest note, in bytes.
    #[arg(long, default_value_t = medcode::input::DEFAULT_MAX_NOTE_BYTES)]
    max_note_size: u64,
    /// Requests answered at once.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Seconds one request may take (streamed batches excepted).
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// Print the OpenAPI document of the API and exit (`> schema/openapi.json`).
    #[arg(long)]
    openapi: bool,
    /// Write the accepted codes of the database as a gold directory (`gold_dev.jsonl` and
    /// `notes/`) and exit: `medcode eval gold DIR` then scores medcode against its reviewers.
    #[arg(long, value_name = "DIR")]
    export_gold: Option<PathBuf>,
}

pub(super) fn run(
    args: ServeArgs,
    config: Option<&Path>,
    rule_paths: &[PathBuf],
    dict: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    if args.openapi {
        out!("{}", medcode::serve::openapi::document())?;
        return Ok(ExitCode::SUCCESS);
    }
    let store = Store::open(&args.db).with_context(|| format!("{}", args.db.display()))?;
    if let Some(dir) = &args.export_gold {
        let notes = store.accepted()?;
        medcode::serve::export::write_gold_dir(&notes, dir)
            .with_context(|| format!("{}: cannot write the gold directory", dir.display()))?;
        eprintln!(
            "{}: {} reviewed note(s) written",
            dir.display(),
            notes.len()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let (engine, _) =
        Engine::with_rule_packs(choose_dictionary(dict)?, &user_packs(config, rule_paths)?)?;
    let settings = Settings {
        max_note_bytes: args.max_note_size,
        concurrency: args.concurrency.max(1),
        timeout: Duration::from_secs(args.timeout.max(1)),
        token: args.token.filter(|t| !t.is_empty()),
    };
    let state = AppState::new(engine, store, settings)?;
    for path in &args.queue {
        let lines = medcode::serve::ui::lines_of_path(path, args.max_note_size);
        let (added, errors) = medcode::serve::ui::import_blocking(&state, lines)?;
        eprintln!(
            "{}: {} note(s) added, {} already in the queue, {} could not be read",
            path.display(),
            added.keys.len(),
            added.skipped.len(),
            errors.len()
        );
        for error in errors.iter().take(20) {
            eprintln!("  {error}");
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = medcode::serve::bind(args.addr, &state.settings).await?;
        let addr = listener.local_addr()?;
        // The one line a script waits for (tests read the port from it).
        println!(
            "medcode workbench on http://{addr}/ (database {})",
            args.db.display()
        );
        medcode::serve::run(listener, Arc::new(state), shutdown()).await?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C or SIGTERM: requests in flight are finished, then the server stops.
async fn shutdown() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
