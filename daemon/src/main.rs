//! photosd: a self-hosted photo library daemon for NAS boxes. This file only parses the command line, sets up
//! logging, loads the config, and hands over to the subcommand.

mod api;
mod app;
mod config;
mod db;
mod domain;
mod faces_command;
mod ffi;
mod geo;
mod geocode_command;
mod http;
mod index_command;
mod inspect;
mod jobs;
mod licenses_command;
mod media;
mod ml;
mod people_command;
mod privileges;
mod serve_command;
mod service;
mod spaces;
mod subjects_command;
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
    Index(index_command::IndexArgs),
    /// Print what photosd reads from each file, one JSON object per line.
    Inspect(inspect::InspectArgs),
    /// Render thumbnails of files into a folder, through the indexer's workers.
    Thumb(thumb_command::ThumbArgs),
    /// Print the faces found in files (box, landmarks, score, embedding), through the face worker.
    Faces(faces_command::FacesArgs),
    /// Print the subjects and ImageNet classes of files, through the worker that classifies for the indexer.
    Subjects(subjects_command::SubjectsArgs),
    /// Find the place of positions offline (country, state, county, city); measure the geocoder (--bench).
    Geocode(geocode_command::GeocodeArgs),
    /// Show where People stands in each space; group every face of a space again (--regroup).
    People(people_command::PeopleArgs),
    /// List video transcodes with their progress; cancel or restart one.
    Transcodes(transcodes_command::TranscodesArgs),
    /// Print photosd's licence and those of the libraries built into it.
    Licenses(licenses_command::LicensesArgs),
    /// Internal: a worker process that reads untrusted files for the daemon.
    #[command(hide = true)]
    Worker(worker::child::WorkerArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // Commands that need no config and no logging. Workers log nothing of their own: the daemon reports what
    // happened to each file.
    let standalone = match &cli.command {
        Command::Worker(args) => Some(("photosd worker", worker::child::run(args))),
        Command::Licenses(args) => Some(("photosd", licenses_command::run(args))),
        _ => None,
    };
    if let Some((who, result)) = standalone {
        return match result {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{who}: {e:#}");
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
    // Bind, then stop being root, before any thread exists (capabilities are per thread). Every command that
    // writes to the data dir runs as the service user, so that nothing in it is left root's.
    // The launcher of workers is forked first, while photosd is root and has no other thread.
    let drop_root = || {
        worker::launcher::start(&config.workers.run_as)?;
        privileges::drop_to(&config.server.run_as, &config.storage.data_dir)
    };
    let started = match &cli.command {
        Command::Serve => http::bind(&config).map_err(anyhow::Error::from).and_then(|l| drop_root().map(|()| Some(l))),
        Command::Index(_) => drop_root().map(|()| None),
        // Only on a library that exists: a mistyped --data is reported, not made.
        Command::Transcodes(_) | Command::People(_) if config.db_path().exists() => drop_root().map(|()| None),
        _ => Ok(None),
    };
    let listener = match started {
        Ok(l) => l,
        Err(e) => {
            tracing::error!("cannot start: {e:#}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve => serve_command::serve(config, listener.expect("bound above")).await,
            Command::Index(args) => index_command::index_once(config, args).await,
            Command::Inspect(args) => inspect::run(&config, args).await,
            Command::Thumb(args) => thumb_command::run(&config, args).await,
            Command::Faces(args) => faces_command::run(&config, args).await,
            Command::Subjects(args) => subjects_command::run(&config, args).await,
            Command::Transcodes(args) => transcodes_command::run(&config, args).await,
            Command::People(args) => people_command::run(&config, args).await,
            Command::Geocode(args) => geocode_command::run(&config, args).await,
            Command::Worker(_) | Command::Licenses(_) => unreachable!("handled above"),
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
    // Colours only on a terminal: a log file or journald gets plain text that grep and scripts can read.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_writer(std::io::stderr).init();
}
