-- Which versions were ever published: any node may serve their files from here when its own folder lacks them
-- (`http/assets.rs`), and only theirs: a version stored but never published stays private.
alter table survey_versions add column published_at timestamptz;

update survey_versions v set published_at = coalesce(s.published_at, v.created_at)
from surveys s where s.current_version = v.version;

update survey_versions v set published_at = v.created_at
where v.published_at is null and exists (select 1 from respondents r where r.survey_version = v.version);
