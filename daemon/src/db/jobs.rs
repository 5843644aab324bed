//! The persistent job queue. Each job has a kind and a unique key, so enqueuing the same work twice is one job;
//! a job enqueued again while it runs is run once more afterwards. Finished jobs are deleted; failed ones stay,
//! with their last error, for the summary and the API.

use rusqlite::{params, OptionalExtension};

use super::{now, Db, DbError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    pub kind: &'static str,
    pub key: String,
    pub payload: String,
    /// Lower runs first.
    pub priority: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedJob {
    pub id: i64,
    pub kind: String,
    pub key: String,
    pub payload: String,
    pub attempts: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct JobCounts {
    pub queued: i64,
    pub running: i64,
    pub failed: i64,
}

impl Db {
    pub fn enqueue(&self, jobs: &[NewJob]) -> Result<(), DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO job (kind, key, payload, priority, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)
                 ON CONFLICT (kind, key) DO UPDATE SET
                    payload = excluded.payload,
                    priority = min(priority, excluded.priority),
                    requeue = (state = 'running'),
                    attempts = CASE WHEN state = 'running' THEN attempts ELSE 0 END,
                    state = CASE WHEN state = 'running' THEN 'running' ELSE 'queued' END,
                    updated_at = excluded.updated_at",
            )?;
            for job in jobs {
                stmt.execute(params![job.kind, job.key, job.payload, job.priority, now()])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Claims the next runnable job of one of `kinds` (a lane's). A `barrier_kind` job waits until no job of
    /// `waits_for` is queued or running: the purge after a reconcile must not delete items that a pending import
    /// could still adopt.
    pub fn claim_job(&self, kinds: &[&str], barrier_kind: &str, waits_for: &str) -> Result<Option<QueuedJob>, DbError> {
        let kinds = serde_json::to_string(kinds).unwrap_or_else(|_| "[]".into());
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let job = tx
            .query_row(
                "SELECT id, kind, key, payload, attempts FROM job
                 WHERE state = 'queued' AND not_before <= ?4
                   AND (kind <> ?1 OR NOT EXISTS (SELECT 1 FROM job w WHERE w.kind = ?2 AND w.state IN ('queued', 'running')))
                   AND kind IN (SELECT value FROM json_each(?3))
                 ORDER BY priority, id LIMIT 1",
                params![barrier_kind, waits_for, kinds, now()],
                |r| Ok(QueuedJob { id: r.get(0)?, kind: r.get(1)?, key: r.get(2)?, payload: r.get(3)?, attempts: r.get(4)? }),
            )
            .optional()?;
        if let Some(job) = &job {
            tx.execute(
                "UPDATE job SET state = 'running', attempts = attempts + 1, requeue = 0, updated_at = ?2 WHERE id = ?1",
                params![job.id, now()],
            )?;
        }
        tx.commit()?;
        Ok(job.map(|j| QueuedJob { attempts: j.attempts + 1, ..j }))
    }

    pub fn finish_job(&self, id: i64) -> Result<(), DbError> {
        let conn = self.lock();
        conn.execute(
            "UPDATE job SET state = 'queued', attempts = 0, updated_at = ?2 WHERE id = ?1 AND requeue = 1",
            params![id, now()],
        )?;
        conn.execute("DELETE FROM job WHERE id = ?1 AND state = 'running'", [id])?;
        Ok(())
    }

    /// Records a failure: the job is queued again while it has attempts left, else kept as `failed`.
    pub fn fail_job(&self, id: i64, error: &str, max_attempts: i64) -> Result<(), DbError> {
        self.lock().execute(
            "UPDATE job SET last_error = ?2, updated_at = ?3,
                state = CASE WHEN requeue = 1 OR attempts < ?4 THEN 'queued' ELSE 'failed' END,
                attempts = CASE WHEN requeue = 1 THEN 0 ELSE attempts END
             WHERE id = ?1",
            params![id, error, now(), max_attempts],
        )?;
        Ok(())
    }

    /// Puts a job that failed for a reason of photosd's own (its storage) back in the queue, without counting the
    /// attempt (the file did nothing wrong), to run again in 5 s, then 10, 20... up to 10 minutes.
    pub fn retry_job_later(&self, id: i64, error: &str) -> Result<(), DbError> {
        self.lock().execute(
            "UPDATE job SET state = 'queued', last_error = ?2, updated_at = ?3, requeue = 0,
                attempts = max(attempts - 1, 0),
                not_before = ?3 + min(600, 5 << storage_failures),
                storage_failures = min(storage_failures + 1, 8)
             WHERE id = ?1",
            params![id, error, now()],
        )?;
        Ok(())
    }

    /// After a crash or kill, jobs that were running are run again. Jobs waiting for the storage run at once: a
    /// restart is when an administrator has fixed it.
    pub fn requeue_interrupted_jobs(&self) -> Result<usize, DbError> {
        let conn = self.lock();
        conn.execute("UPDATE job SET not_before = 0 WHERE not_before > 0", [])?;
        Ok(conn.execute("UPDATE job SET state = 'queued' WHERE state = 'running'", [])?)
    }

    /// Whether more than `at_most` jobs of these kinds are queued or running in the whole library. Stops at the
    /// first `at_most + 1` it finds: cheap enough to ask after every job, where counting per space is not.
    pub fn more_jobs_than(&self, kinds: &[&str], at_most: i64) -> Result<bool, DbError> {
        let marks = vec!["?"; kinds.len()].join(",");
        let mut values: Vec<rusqlite::types::Value> = kinds.iter().map(|k| k.to_string().into()).collect();
        values.push((at_most + 1).into());
        let found: i64 = self.read().query_row(
            &format!(
                "SELECT count(*) FROM (SELECT 1 FROM job WHERE state IN ('queued', 'running') AND kind IN ({marks})
                 LIMIT ?)"
            ),
            rusqlite::params_from_iter(values),
            |r| r.get(0),
        )?;
        Ok(found > at_most)
    }

    /// Queued and running jobs per kind.
    /// How many jobs of each kind are queued or running for one space: a user is told of their own library's work,
    /// never of another's. A job names its space (import, purge) or its item (thumbnails, transcode).
    pub fn pending_jobs_in_space(&self, space_id: i64) -> Result<Vec<(String, i64)>, DbError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT j.kind, count(*) FROM job j LEFT JOIN item i ON i.id = json_extract(j.payload, '$.item')
             WHERE j.state IN ('queued', 'running')
               AND coalesce(json_extract(j.payload, '$.space'), i.space_id) = ?1
             GROUP BY j.kind",
        )?;
        let rows = stmt.query_map([space_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn job_counts(&self) -> Result<JobCounts, DbError> {
        let conn = self.lock();
        let mut c = JobCounts::default();
        let mut stmt = conn.prepare("SELECT state, count(*) FROM job GROUP BY state")?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
            let (state, n) = row?;
            match state.as_str() {
                "queued" => c.queued = n,
                "running" => c.running = n,
                "failed" => c.failed = n,
                _ => {}
            }
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUICK: [&str; 3] = ["import", "thumbs", "purge"];

    fn job(key: &str) -> NewJob {
        NewJob { kind: "import", key: key.into(), payload: "{}".into(), priority: 0 }
    }

    #[test]
    fn same_key_is_one_job_and_rerun_when_enqueued_while_running() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("l.db")).unwrap();
        db.enqueue(&[job("a"), job("a")]).unwrap();
        assert_eq!(db.job_counts().unwrap().queued, 1);
        let j = db.claim_job(&QUICK, "purge", "import").unwrap().unwrap();
        db.enqueue(&[job("a")]).unwrap();
        db.finish_job(j.id).unwrap();
        assert_eq!(db.job_counts().unwrap().queued, 1, "enqueued while running: runs again");
        let j = db.claim_job(&QUICK, "purge", "import").unwrap().unwrap();
        db.finish_job(j.id).unwrap();
        assert_eq!(db.job_counts().unwrap(), JobCounts::default());
    }

    #[test]
    fn barrier_job_waits_for_imports_and_failures_retry_then_stick() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("l.db")).unwrap();
        db.enqueue(&[NewJob { kind: "purge", key: "1".into(), payload: "{}".into(), priority: -5 }, job("x")]).unwrap();
        let first = db.claim_job(&QUICK, "purge", "import").unwrap().unwrap();
        assert_eq!(first.kind, "import", "purge waits for the import");
        assert!(db.claim_job(&QUICK, "purge", "import").unwrap().is_none(), "import still running");
        db.fail_job(first.id, "boom", 2).unwrap();
        let again = db.claim_job(&QUICK, "purge", "import").unwrap().unwrap();
        assert_eq!((again.kind.as_str(), again.attempts), ("import", 2));
        db.fail_job(again.id, "boom", 2).unwrap();
        assert_eq!(db.job_counts().unwrap().failed, 1);
        assert_eq!(db.claim_job(&QUICK, "purge", "import").unwrap().unwrap().kind, "purge");
    }

    #[test]
    fn a_job_the_storage_refused_waits_longer_each_time_without_using_up_attempts() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("l.db")).unwrap();
        db.enqueue(&[job("refused"), job("other")]).unwrap();
        let first = db.claim_job(&QUICK, "purge", "import").unwrap().unwrap();
        db.retry_job_later(first.id, "disk full").unwrap();
        let next = db.claim_job(&QUICK, "purge", "import").unwrap().unwrap();
        assert_eq!(next.key, "other", "the queue goes on while the refused job waits");
        assert!(db.claim_job(&QUICK, "purge", "import").unwrap().is_none(), "it waits 5 s");
        let (attempts, wait): (i64, i64) = db
            .lock()
            .query_row("SELECT attempts, not_before - updated_at FROM job WHERE id = ?1", [first.id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((attempts, wait), (0, 5));
        db.lock().execute("UPDATE job SET not_before = 0 WHERE id = ?1", [first.id]).unwrap();
        let again = db.claim_job(&QUICK, "purge", "import").unwrap().unwrap();
        assert_eq!((again.id, again.attempts), (first.id, 1), "an attempt counts only when the file is tried");
        db.retry_job_later(again.id, "disk full").unwrap();
        let wait: i64 = db.lock().query_row("SELECT not_before - updated_at FROM job", [], |r| r.get(0)).unwrap();
        assert_eq!(wait, 10, "longer the second time");
    }

    #[test]
    fn long_jobs_have_their_own_lane() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("l.db")).unwrap();
        let long = NewJob { kind: "transcode", key: "1".into(), payload: "{}".into(), priority: -5 };
        db.enqueue(&[long, job("x")]).unwrap();
        let short = db.claim_job(&QUICK, "purge", "import").unwrap().unwrap();
        assert_eq!(short.kind, "import", "the short lane skips the transcode though it comes first");
        assert!(db.claim_job(&QUICK, "purge", "import").unwrap().is_none());
        assert_eq!(db.claim_job(&["transcode"], "purge", "import").unwrap().unwrap().kind, "transcode");
    }
}
