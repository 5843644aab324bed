//! photosd: a self-hosted photo library daemon for NAS boxes. This file only parses the command line, sets up
//! logging, loads the config, and hands over to the subcommand.

mod api;
mod app;
mod config;
mod db;
mod ffi;
mod http;
mod inspect;
mod jobs;
mod media;
mod privileges;
mod service;
mod spaces;
mod thumb_command;
mod transcodes_command;
mod watch;
mod worker;

use clap::{Parser, Subcommand};

use config::{Config, Overrides};

#[derive(Parser)]
#[command(
    name = "photosd",
    version,
    about = "Self-hosted photo library for NAS boxes, compatible with Synology Photos"
)]
struct Cli {
    #[command(flatten)]
    overrides: Overrides,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon: watch the spaces, index changes, until SIGTERM.
    Serve,
    /// Index every space once, with a progress bar, then print a summary.
    Index,
    /// Print what photosd reads from each file, one JSON object per line.
    Inspect(inspect::InspectArgs),
    /// Render thumbnails of files into a folder, through the indexer's workers.
    Thumb(thumb_command::ThumbArgs),
    /// List video transcodes with their progress; cancel or restart one.
    Transcodes(transcodes_command::TranscodesArgs),
    /// Internal: a worker process that reads untrusted files for the daemon.
    #[command(hide = true)]
    Worker(worker::child::WorkerArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if let Command::Worker(args) = &cli.command {
        // Workers log nothing of their own; the daemon reports what happened to each file.
        return match worker::child::run(args) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("photosd worker: {e:#}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    let config = match Config::load(&cli.overrides) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("photosd: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    init_logging(&config);
    // Bind, then stop being root, before any thread exists (capabilities are per thread).
    let listener = match &cli.command {
        Command::Serve => match http::bind(&config).and_then(|l| {
            privileges::drop_to(&config.server.run_as, &config.storage.data_dir).map_err(std::io::Error::other)?;
            Ok(l)
        }) {
            Ok(l) => Some(l),
            Err(e) => {
                tracing::error!("cannot start: {e:#}");
                return std::process::ExitCode::FAILURE;
            }
        },
        _ => None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve => watch::serve(config, listener.expect("bound above")).await,
            Command::Index => watch::index_once(config).await,
            Command::Inspect(args) => inspect::run(&config, args).await,
            Command::Thumb(args) => thumb_command::run(&config, args).await,
            Command::Transcodes(args) => transcodes_command::run(&config, args).await,
            Command::Worker(_) => unreachable!("handled above"),
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&config.log.level));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}
