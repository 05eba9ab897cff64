//! The check against the database: it must hold exactly what was acknowledged.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::load::respondent::Respondent;

#[derive(Debug, Serialize, Default)]
pub struct Verification {
    pub checked: bool,
    pub acknowledged: u64,
    pub rows: u64,
    pub missing: u64,
    pub unexpected: u64,
    pub wrong_current: u64,
    pub quarantined: u64,
    pub unacknowledged_at_end: u64,
}

impl Verification {
    pub fn ok(&self) -> bool {
        !self.checked || (self.missing == 0 && self.unexpected == 0 && self.wrong_current == 0 && self.quarantined == 0)
    }
}

/// The database must hold exactly what was acknowledged: every accepted revision, nothing that was not sent or
/// could not have been stored, and each page's current answers at its highest acknowledged revision.
pub(crate) async fn verify(pool: &PgPool, respondents: &[Respondent]) -> anyhow::Result<Verification> {
    let ids: Vec<Uuid> = respondents.iter().map(|r| r.login.respondent_id).collect();
    let rows: Vec<(Uuid, i64)> =
        sqlx::query_as("select respondent_id, revision from page_saves where respondent_id = any($1)")
            .bind(&ids)
            .fetch_all(pool)
            .await?;
    let current: Vec<(Uuid, String, i64)> =
        sqlx::query_as("select respondent_id, page_id, revision from current_answers where respondent_id = any($1)")
            .bind(&ids)
            .fetch_all(pool)
            .await?;
    let (quarantined,): (i64,) = sqlx::query_as("select count(*) from quarantine where respondent_id = any($1)")
        .bind(&ids)
        .fetch_one(pool)
        .await?;
    let mut stored: HashMap<Uuid, HashSet<u64>> = HashMap::new();
    for (id, rev) in &rows {
        stored.entry(*id).or_default().insert(*rev as u64);
    }
    let current: HashMap<(Uuid, String), u64> = current.into_iter().map(|(id, p, r)| ((id, p), r as u64)).collect();
    let mut v =
        Verification { checked: true, rows: rows.len() as u64, quarantined: quarantined as u64, ..Default::default() };
    for r in respondents {
        let id = r.login.respondent_id;
        let empty = HashSet::new();
        let have = stored.get(&id).unwrap_or(&empty);
        let mut highest: HashMap<&str, u64> = HashMap::new();
        for (rev, (page, accepted)) in &r.acked {
            let page = &r.path[*page].page_id;
            if *accepted {
                v.acknowledged += 1;
                if !have.contains(rev) {
                    v.missing += 1;
                }
                let h = highest.entry(page.as_str()).or_insert(0);
                *h = (*h).max(*rev);
            }
        }
        for rev in have {
            if !r.acked.contains_key(rev) && !r.uncertain.contains(rev) {
                v.unexpected += 1;
            }
        }
        for (page, rev) in highest {
            let cur = current.get(&(id, page.to_owned())).copied().unwrap_or(0);
            // A higher revision may be current only if it was sent and its answer lost.
            if cur != rev && !(cur > rev && r.uncertain.contains(&cur)) {
                v.wrong_current += 1;
            }
        }
        v.unacknowledged_at_end += r.pending.len() as u64;
    }
    Ok(v)
}
