//! `photosd transcodes`: lists the videos whose browser copy is queued, running (with its progress), cancelled
//! or failed, and cancels or restarts one. It works on the database beside a running daemon: the daemon's job
//! notices a cancellation within a second, and takes a restarted transcode from the queue.

use crate::config::Config;
use crate::db::Db;
use crate::jobs::pipeline;

#[derive(Debug, Clone, clap::Args)]
pub struct TranscodesArgs {
    /// Cancel the transcode of this item (the ID column); a running one stops within a second.
    #[arg(long, value_name = "ITEM")]
    pub cancel: Option<i64>,
    /// Run a cancelled or failed transcode again.
    #[arg(long, value_name = "ITEM", conflicts_with = "cancel")]
    pub retry: Option<i64>,
    /// Print one JSON object per line instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(config: &Config, args: TranscodesArgs) -> anyhow::Result<()> {
    let db = Db::open_existing(&config.db_path())?;
    if let Some(item) = args.cancel {
        match db.call(move |db| db.cancel_transcode(item)).await? {
            true => eprintln!("cancelled the transcode of item {item}"),
            false => anyhow::bail!("item {item} has no queued or running transcode"),
        }
        return Ok(());
    }
    if let Some(item) = args.retry {
        let reset = db
            .call(move |db| {
                let reset = db.reset_transcode(item)?;
                if reset {
                    db.enqueue(&[pipeline::Job::transcode(item).queued()])?;
                }
                Ok(reset)
            })
            .await?;
        match reset {
            true => eprintln!("item {item} is queued for transcoding again"),
            false => anyhow::bail!("item {item} has no cancelled or failed transcode"),
        }
        return Ok(());
    }
    let transcodes = db.call(|db| db.transcodes()).await?;
    if args.json {
        for t in &transcodes {
            println!("{}", serde_json::to_string(t)?);
        }
        return Ok(());
    }
    if transcodes.is_empty() {
        println!("no transcodes queued, running, cancelled or failed");
    }
    for t in transcodes {
        let progress = t.progress.filter(|_| t.state == "running").map(|p| format!("{:>3.0}%", p * 100.0));
        let reason = t.error.map(|e| format!("  ({e})")).unwrap_or_default();
        println!("{:>8}  {:<9}  {:>4}  {}{reason}", t.item_id, t.state, progress.unwrap_or_default(), t.path);
    }
    Ok(())
}
