//! Survey versions: storing, publishing (writing the content-hashed file under `static/surveys/`), and the
//! in-memory cache that ingest validates against. The database is read once per version per process, never per
//! request.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use anyhow::Context;
use quire_shared::ValidSurvey;
use sqlx::PgPool;

/// URL path of a published version's file, relative to the site root.
pub fn survey_url(version: &str) -> String {
    format!("/static/surveys/{version}.json")
}

#[derive(Default)]
pub struct SurveyStore {
    versions: RwLock<HashMap<String, Arc<ValidSurvey>>>,
}

impl SurveyStore {
    /// Loads every version that respondents can be on, so the first requests after a start need no query.
    pub async fn preload(pool: &PgPool) -> anyhow::Result<Self> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "select content from survey_versions v
             where exists (select 1 from surveys s where s.current_version = v.version)
                or exists (select 1 from respondents r where r.survey_version = v.version)",
        )
        .fetch_all(pool)
        .await?;
        let store = SurveyStore::default();
        for (content,) in rows {
            let survey = parse_stored(&content)?;
            store.insert(survey);
        }
        Ok(store)
    }

    fn insert(&self, survey: ValidSurvey) -> Arc<ValidSurvey> {
        let survey = Arc::new(survey);
        let mut map = self.versions.write().unwrap_or_else(|e| e.into_inner());
        map.entry(survey.version().to_owned()).or_insert(survey).clone()
    }

    /// The survey of a version: from memory, or once from the database (a version loaded after this process started).
    pub async fn get(&self, pool: &PgPool, version: &str) -> anyhow::Result<Option<Arc<ValidSurvey>>> {
        if let Some(s) = self.versions.read().unwrap_or_else(|e| e.into_inner()).get(version) {
            return Ok(Some(s.clone()));
        }
        let row: Option<(String,)> = sqlx::query_as("select content from survey_versions where version = $1")
            .bind(version)
            .fetch_optional(pool)
            .await?;
        match row {
            Some((content,)) => Ok(Some(self.insert(parse_stored(&content)?))),
            None => Ok(None),
        }
    }
}

fn parse_stored(content: &str) -> anyhow::Result<ValidSurvey> {
    ValidSurvey::parse(content).map_err(|errors| anyhow::anyhow!("a stored survey no longer validates: {errors:?}"))
}

/// Stores a version (a no-op if it exists) and, with `publish`, makes it the one new respondents get. The file is
/// written before the database points at it, so no respondent is ever sent to a missing URL.
pub async fn store_version(
    pool: &PgPool,
    survey: &ValidSurvey,
    publish: bool,
    static_dir: &Path,
) -> anyhow::Result<()> {
    if publish {
        write_published(survey.version(), &survey.canonical_json(), static_dir)?;
    }
    let mut tx = pool.begin().await?;
    sqlx::query("insert into survey_versions (version, survey_id, content) values ($1, $2, $3) on conflict do nothing")
        .bind(survey.version())
        .bind(&survey.survey().id)
        .bind(survey.canonical_json())
        .execute(&mut *tx)
        .await?;
    sqlx::query("insert into surveys (survey_id) values ($1) on conflict do nothing")
        .bind(&survey.survey().id)
        .execute(&mut *tx)
        .await?;
    if publish {
        sqlx::query("update survey_versions set published_at = coalesce(published_at, now()) where version = $1")
            .bind(survey.version())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "update surveys set current_version = $2, published_at = now()
             where survey_id = $1 and current_version is distinct from $2",
        )
        .bind(&survey.survey().id)
        .bind(survey.version())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Writes `surveys/<version>.json`, the canonical JSON `json`, with `.br` and `.gz` beside it (served precompressed).
/// Atomic: each file is written under a name of its own and renamed, so a reader never sees half a file, even while
/// another process writes the same one.
pub fn write_published(version: &str, json: &str, static_dir: &Path) -> anyhow::Result<PathBuf> {
    let dir = static_dir.join("surveys");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(format!("{version}.json"));
    let mut br = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut br, 4096, 11, 22);
        w.write_all(json.as_bytes())?;
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(json.as_bytes())?;
    let gz = gz.finish()?;
    for (suffix, bytes) in [("", json.as_bytes()), (".br", &br[..]), (".gz", &gz[..])] {
        let target = PathBuf::from(format!("{}{suffix}", path.display()));
        let tmp = PathBuf::from(format!("{}.{}.tmp", target.display(), uuid::Uuid::new_v4().simple()));
        std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &target).with_context(|| format!("renaming to {}", target.display()))?;
    }
    Ok(path)
}

/// The canonical JSON of a version that was published, whichever process published it.
pub async fn published_json(pool: &PgPool, version: &str) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(String,)> =
        sqlx::query_as("select content from survey_versions where version = $1 and published_at is not null")
            .bind(version)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|(content,)| content))
}
