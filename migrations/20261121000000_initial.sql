-- Quire's schema. Hot tables (page_saves, current_answers, respondent_progress, quarantine) carry no foreign key to
-- respondents on purpose: every row's respondent id comes from a token this server signed for an existing
-- respondent, and a foreign key would take a KEY SHARE lock on the respondent row for every page-save.

-- Every survey version ever loaded. `content` is the canonical JSON whose hash is `version`, kept as text so that
-- the exact bytes can be republished.
create table survey_versions (
    version     text primary key,
    survey_id   text not null,
    content     text not null,
    created_at  timestamptz not null default now()
);

-- One row per survey: which version new respondents get.
create table surveys (
    survey_id        text primary key,
    current_version  text references survey_versions (version),
    published_at     timestamptz
);

create table respondents (
    id              uuid primary key,
    survey_id       text not null references surveys (survey_id),
    school          text not null,
    class           text not null,
    role            text not null,
    external_id     text not null,
    name            text,
    -- Normalized: upper case, no separators.
    access_code     text not null unique,
    -- Pinned at first login; a respondent never moves to a newer version mid-survey.
    survey_version  text references survey_versions (version),
    created_at      timestamptz not null default now(),
    unique (survey_id, school, role, external_id)
);

create index respondents_school_class on respondents (survey_id, school, class);

-- Every accepted page-save, forever: the history. (respondent, revision) is the idempotency key.
create table page_saves (
    respondent_id  uuid not null,
    revision       bigint not null check (revision > 0),
    page_id        text not null,
    answers        jsonb not null,
    client_time    timestamptz not null,
    finishes       boolean not null,
    draft          boolean not null,
    received_at    timestamptz not null default now(),
    primary key (respondent_id, revision)
);

-- The latest revision of each page: what counts.
create table current_answers (
    respondent_id  uuid not null,
    page_id        text not null,
    revision       bigint not null,
    answers        jsonb not null,
    updated_at     timestamptz not null default now(),
    primary key (respondent_id, page_id)
);

-- One row per respondent, touched only by that respondent's own saves: no shared hot row.
create table respondent_progress (
    respondent_id  uuid primary key,
    last_page      text not null,
    last_revision  bigint not null,
    last_activity  timestamptz not null,
    completed_at   timestamptz
);

-- Saves that failed validation, raw, so that nothing a respondent typed is ever thrown away.
create table quarantine (
    id             bigserial primary key,
    respondent_id  uuid not null,
    received_at    timestamptz not null default now(),
    payload        jsonb not null,
    errors         jsonb not null
);

create index quarantine_respondent on quarantine (respondent_id);
