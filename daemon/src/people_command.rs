//! `photosd people`: where People stands in each space (on or off, photos looked at for faces, faces found,
//! persons), and `--regroup`, which queues the grouping of every face of a space again. Like `photosd
//! transcodes` it works on the database beside a running daemon: the daemon takes the job from the queue (or
//! the next `photosd index` does), keeps what users named, merged or corrected, and `SYNO.Foto.Index get`
//! counts it as `person_clustering` until it ends.

use crate::config::Config;
use crate::db::{Db, PeopleSummary, SpaceKind};
use crate::jobs::pipeline::Job;

#[derive(Debug, Clone, clap::Args)]
pub struct PeopleArgs {
    /// Group every face again: of the space given with --space, else of every space with People on.
    #[arg(long)]
    pub regroup: bool,
    /// Only this space (the SPACE column).
    #[arg(long, value_name = "SPACE")]
    pub space: Option<i64>,
    /// Print one JSON object per line instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(config: &Config, args: PeopleArgs) -> anyhow::Result<()> {
    let db = Db::open_existing(&config.db_path())?;
    let mut spaces = db.call(|db| db.people_summaries()).await?;
    if let Some(wanted) = args.space {
        spaces.retain(|s| s.space.id == wanted);
        if spaces.is_empty() {
            anyhow::bail!("no space {wanted} (`photosd people` lists them)");
        }
    }
    if args.regroup {
        let chosen: Vec<&PeopleSummary> = spaces.iter().filter(|s| s.enabled || args.space.is_some()).collect();
        if let Some(off) = chosen.iter().find(|s| !s.enabled) {
            anyhow::bail!("People is off in space {} ({}): turn it on first", off.space.id, off.space.root);
        }
        let jobs: Vec<_> = chosen.iter().map(|s| Job::regroup(s.space.id, &s.space.root).queued()).collect();
        db.call(move |db| db.enqueue(&jobs)).await?;
        for s in &chosen {
            eprintln!(
                "space {} ({}): its {} faces will be grouped again by the running daemon (or the next `photosd \
                 index`); what users named or corrected stays",
                s.space.id, s.space.root, s.faces
            );
        }
        return Ok(());
    }
    if args.json {
        for s in &spaces {
            let line = serde_json::json!({
                "space": s.space.id, "kind": s.space.kind, "owner": s.space.owner_name, "root": s.space.root,
                "enabled": s.enabled, "photos": s.photos.total, "looked_at": s.photos.done, "faces": s.faces,
                "persons": s.persons,
            });
            println!("{line}");
        }
        return Ok(());
    }
    println!(
        "{:>5}  {:<14}  {:<6}  {:>17}  {:>7}  {:>7}  ROOT",
        "SPACE", "OWNER", "PEOPLE", "LOOKED AT", "FACES", "PERSONS"
    );
    for s in &spaces {
        let owner = match s.space.kind {
            SpaceKind::Shared => "(shared)".to_string(),
            SpaceKind::Personal => s.space.owner_name.clone().unwrap_or_default(),
        };
        let looked_at = format!("{} of {}", s.photos.done, s.photos.total);
        let state = if s.enabled { "on" } else { "off" };
        println!(
            "{:>5}  {:<14}  {:<6}  {:>17}  {:>7}  {:>7}  {}",
            s.space.id, owner, state, looked_at, s.faces, s.persons, s.space.root
        );
    }
    Ok(())
}
