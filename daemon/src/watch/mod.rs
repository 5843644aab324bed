//! Watching the spaces (inotify) and the reconcile scan. Both only enqueue work; jobs do the rest.

mod ignore;

use crate::config::Config;

pub async fn serve(_config: Config) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}

pub async fn index_once(_config: Config) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}
