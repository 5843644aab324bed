//! `App`: the state every part of the daemon shares, built once from the config and handed down explicitly.

use std::sync::Arc;

use tokio::sync::{Notify, Semaphore};

use crate::config::Config;
use crate::db::Db;
use crate::geo::Geocoder;
use crate::ml::subjects::ClassifierFile;
use crate::ml::ModelFiles;
use crate::service::clustering::{Clustering, Tuning};
use crate::service::login_crypto::LoginKeys;
use crate::service::login_guard::LoginGuard;
use crate::worker::{PoolSpec, WorkerPool};

pub struct App {
    pub config: Config,
    pub db: Db,
    pub workers: WorkerPool,
    /// One worker for transcodes, apart from the others, so a long video never holds up thumbnails.
    pub transcoder: WorkerPool,
    /// One worker for the networks (faces, subjects), which leaves with their memory when idle.
    pub face_worker: WorkerPool,
    /// The face models, opened at start; `None`: they are missing, and the library finds no faces.
    pub face_models: Option<ModelFiles>,
    /// The subject classifier's model, opened at start; `None`: it is missing, and the library finds no subjects.
    pub subject_model: Option<ClassifierFile>,
    /// The database id of each concept of the vocabulary (`ml::concepts`), in its order.
    pub concept_ids: Vec<i64>,
    /// The text model and the subjects' words embedded, loaded by the first search that needs them (a word no
    /// subject has), not at start: `None` inside when its files are missing, and search then knows subjects by
    /// their words only.
    pub text_search: tokio::sync::OnceCell<Option<Arc<TextSearch>>>,
    /// The reverse geocoder, loaded at start; `None`: Places is off, or its data is missing.
    pub geocoder: Option<Arc<Geocoder>>,
    /// The map's points of each space, kept between requests.
    pub map_cache: crate::db::MapCache,
    /// Groups faces into persons, with its in-memory index of every face.
    pub clustering: Arc<Clustering>,
    /// Wakes the job runners when work is enqueued.
    pub jobs_ready: Notify,
    pub login_guard: LoginGuard,
    /// Wrong share link passwords, per link and address, and per address.
    pub link_guard: LoginGuard,
    /// PAM checks at once: a wrong password holds a thread for seconds.
    pub pam_slots: Semaphore,
    pub login_keys: Arc<LoginKeys>,
}

impl App {
    pub fn open(config: Config) -> anyhow::Result<Arc<App>> {
        let db = Db::open_with_readers(&config.db_path(), config.storage.db_readers)?;
        let requeued = db.requeue_interrupted_jobs()?;
        if requeued > 0 {
            tracing::info!(requeued, "jobs interrupted by the last shutdown will run again");
        }
        let (thumbs, videos) = db.clear_storage_failures()?;
        if !thumbs.is_empty() || !videos.is_empty() {
            let jobs: Vec<_> = thumbs
                .iter()
                .map(|&item| crate::jobs::pipeline::Job::thumbs(item).queued())
                .chain(videos.iter().map(|&item| crate::jobs::pipeline::Job::transcode(item).queued()))
                .collect();
            db.enqueue(&jobs)?;
            tracing::info!(
                thumbnails = thumbs.len(),
                transcodes = videos.len(),
                "items an older photosd marked broken because its data directory refused their files are queued again"
            );
        }
        // Workers may write these and nothing else (they must exist for the sandbox to name them).
        let trees: Vec<_> = crate::service::thumbs::TREES.iter().map(|t| config.storage.data_dir.join(t)).collect();
        for tree in &trees {
            if let Err(e) = std::fs::create_dir_all(tree) {
                tracing::warn!(folder = %tree.display(), "cannot create: {e}; thumbnails wait until it can be");
            }
        }
        let workers = WorkerPool::new(PoolSpec::media(&config).writing_to(&trees).for_the_library())?;
        let transcoder = WorkerPool::new(PoolSpec::transcoder(&config).writing_to(&trees).for_the_library())?;
        let face_worker = WorkerPool::new(PoolSpec::faces(&config).for_the_library())?;
        let face_models = match ModelFiles::open(&config.models_dir()) {
            Ok(models) => {
                // What an older photosd, or a space with People off until now, left to do.
                let backlog = db.face_backlog(None)?;
                db.enqueue(
                    &backlog.iter().map(|&item| crate::jobs::pipeline::Job::faces(item).queued()).collect::<Vec<_>>(),
                )?;
                if !backlog.is_empty() {
                    tracing::info!(photos = backlog.len(), "faces to find");
                }
                Some(models)
            }
            Err(e) => {
                tracing::warn!("People is off: {e}");
                None
            }
        };
        let geocoder = open_geocoder(&config, &db)?;
        let concept_ids = db.concept_ids(&crate::ml::concepts::vocabulary().names())?;
        let subject_model = match ClassifierFile::open(&config.models_dir()) {
            Ok(model) => {
                let backlog = db.subject_backlog(None)?;
                let jobs: Vec<_> =
                    backlog.iter().map(|&item| crate::jobs::pipeline::Job::subjects(item).queued()).collect();
                db.enqueue(&jobs)?;
                if !backlog.is_empty() {
                    tracing::info!(photos = backlog.len(), "photos to classify");
                }
                Some(model)
            }
            Err(e) => {
                tracing::warn!("Subjects is off: {e}");
                None
            }
        };
        Ok(Arc::new(App {
            login_guard: LoginGuard::new(&config.auth),
            link_guard: LoginGuard::with_limits(
                crate::service::sharing::PASSWORD_FAILURES,
                crate::service::sharing::PASSWORD_WINDOW,
                crate::service::sharing::PASSWORD_BLOCK,
            ),
            pam_slots: Semaphore::new(4),
            login_keys: LoginKeys::new(&config.storage.data_dir),
            config,
            db,
            workers,
            transcoder,
            face_worker,
            face_models,
            subject_model,
            concept_ids,
            text_search: tokio::sync::OnceCell::new(),
            geocoder,
            map_cache: Default::default(),
            clustering: Arc::new(Clustering::new(Tuning::default())),
            jobs_ready: Notify::new(),
        }))
    }
}

/// The geocoder, when Places is on and its data is there; positions placed with other data or rules are placed
/// again, and every space with positions left to place gets its geocode job.
fn open_geocoder(config: &Config, db: &Db) -> anyhow::Result<Option<Arc<Geocoder>>> {
    if !config.places.enabled {
        return Ok(None);
    }
    let geocoder = match Geocoder::open(&config.places_dir()) {
        Ok(geocoder) => geocoder,
        Err(e) => {
            tracing::warn!("Places is off: {e}");
            return Ok(None);
        }
    };
    let again = db.forget_places_not_of(geocoder.version())?;
    if again > 0 {
        tracing::info!(items = again, "new place data: positions are placed again");
    }
    let spaces = db.spaces_with_unplaced()?;
    db.enqueue(&spaces.iter().map(|&space| crate::jobs::pipeline::Job::geocode(space).queued()).collect::<Vec<_>>())?;
    Ok(Some(Arc::new(geocoder)))
}

/// What search needs to know a subject by other words than its own.
pub struct TextSearch {
    pub model: crate::ml::text::TextModel,
    pub index: crate::ml::text::ConceptIndex,
}

impl App {
    /// The text search, loading it on first use (a few seconds: the model, and the subjects' words embedded).
    pub async fn text_search(&self) -> Option<Arc<TextSearch>> {
        let dir = self.config.models_dir();
        let loaded = self.text_search.get_or_init(|| async move {
            let load = move || -> anyhow::Result<TextSearch> {
                let started = std::time::Instant::now();
                let model = crate::ml::text::TextModel::open(&dir)?;
                let index = crate::ml::text::ConceptIndex::build(&model, crate::ml::concepts::vocabulary())?;
                tracing::info!(ms = started.elapsed().as_millis() as u64, "text search ready");
                Ok(TextSearch { model, index })
            };
            match tokio::task::spawn_blocking(load).await {
                Ok(Ok(search)) => Some(Arc::new(search)),
                Ok(Err(e)) => {
                    tracing::warn!("search knows subjects by their own words only: {e}");
                    None
                }
                Err(e) => {
                    tracing::warn!("the text model failed to load: {e}");
                    None
                }
            }
        });
        loaded.await.clone()
    }
}
