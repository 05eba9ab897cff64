//! What an analysis file is made from: every version of the survey, and its respondents one at a time (a cursor,
//! so memory stays flat whatever the size of the survey).

use std::sync::Arc;

use futures_util::{Stream, TryStreamExt};
use quire_shared::roster;
use quire_shared::{AllAnswers, ValidSurvey};
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use super::rows::Respondent;
use crate::respondent::surveys::SurveyStore;

/// Every version of `survey_id`, oldest first (none if it has no version).
pub async fn versions(pool: &PgPool, store: &SurveyStore, survey_id: &str) -> anyhow::Result<Vec<Arc<ValidSurvey>>> {
    let ids: Vec<(String,)> =
        sqlx::query_as("select version from survey_versions where survey_id = $1 order by created_at, version")
            .bind(survey_id)
            .fetch_all(pool)
            .await?;
    let mut out = Vec::with_capacity(ids.len());
    for (id,) in ids {
        if let Some(s) = store.get(pool, &id).await? {
            out.push(s);
        }
    }
    Ok(out)
}

type Row = (
    Uuid,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<OffsetDateTime>,
    Option<OffsetDateTime>,
    Option<OffsetDateTime>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Every respondent of the roster (of one school if given), by school, class and external id, with their current
/// answers of every page.
pub fn respondents<'a>(
    pool: &'a PgPool,
    survey_id: &'a str,
    school: Option<&'a str>,
) -> impl Stream<Item = anyhow::Result<Respondent>> + Send + 'a {
    sqlx::query_as::<_, Row>(
        "select r.id, r.school, r.class, r.role, r.external_id, r.survey_version,
                (select s.received_at from page_saves s where s.respondent_id = r.id order by s.revision limit 1),
                p.last_activity, p.completed_at,
                (select jsonb_object_agg(c.page_id, s.answers)::text
                 from current_answers c join page_saves s using (respondent_id, revision)
                 where c.respondent_id = r.id),
                r.district, r.grade, r.language
         from respondents r left join respondent_progress p on p.respondent_id = r.id
         where r.survey_id = $1 and ($2::text is null or r.school = $2)
         order by r.school, r.class, r.external_id",
    )
    .bind(survey_id)
    .bind(school)
    .fetch(pool)
    .map_err(anyhow::Error::from)
    .and_then(
        |(
            id,
            school,
            class,
            role,
            external_id,
            version,
            first_save,
            last_activity,
            completed_at,
            pages,
            district,
            grade,
            language,
        )| async move {
            let pages: AllAnswers = match pages {
                Some(text) => serde_json::from_str(&text)?,
                None => AllAnswers::new(),
            };
            let roster = roster::from_row(&school, &class, &role, [district, grade, language]);
            Ok(Respondent {
                roster,
                id,
                school,
                class,
                role,
                external_id,
                version,
                first_save,
                last_activity,
                completed_at,
                pages,
            })
        },
    )
}
