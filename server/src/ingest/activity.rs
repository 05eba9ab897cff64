//! The dashboard's "last activity" per class, kept off the ingest path.
//!
//! Each accepted sync marks its respondent here, in memory; a background task writes the classes of the marked
//! respondents to `group_progress.last_activity` every `FLUSH_EVERY`, in one statement. Measured with quire-load:
//! refreshing it inside every ingest transaction cost about 10 % of max throughput; this costs a hash-set insert per
//! request. The price is that the dashboard's last activity lags by up to `FLUSH_EVERY` and a crash loses the
//! marks of the last interval (the respondents' own rows in `respondent_progress` stay exact).

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use sqlx::PgPool;
use uuid::Uuid;

pub const FLUSH_EVERY: Duration = Duration::from_secs(5);

#[derive(Default)]
pub struct Activity {
    seen: Mutex<HashSet<Uuid>>,
}

impl Activity {
    pub fn touch(&self, respondent: Uuid) {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).insert(respondent);
    }

    /// Writes the marked respondents' classes. Upserts in key order, like ingest, so the two never deadlock.
    pub async fn flush(&self, pool: &PgPool) -> Result<(), sqlx::Error> {
        let ids: Vec<Uuid> =
            std::mem::take(&mut *self.seen.lock().unwrap_or_else(|e| e.into_inner())).into_iter().collect();
        if ids.is_empty() {
            return Ok(());
        }
        let result = sqlx::query(
            "insert into group_progress as g (survey_id, school, class, last_activity)
             select distinct r.survey_id, r.school, r.class, now()
             from respondents r where r.id = any($1)
             order by 1, 2, 3
             on conflict (survey_id, school, class) do update
                set last_activity = greatest(g.last_activity, excluded.last_activity)",
        )
        .bind(&ids)
        .execute(pool)
        .await;
        if result.is_err() {
            // Keep the marks for the next round rather than lose them.
            self.seen.lock().unwrap_or_else(|e| e.into_inner()).extend(ids);
        }
        result.map(|_| ())
    }

    /// Flushes every `period` for as long as the process runs.
    pub fn spawn_flusher(self: std::sync::Arc<Self>, pool: PgPool, period: Duration) {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = self.flush(&pool).await {
                    tracing::warn!(error = %e, "could not record last activity; retrying next round");
                }
            }
        });
    }
}
