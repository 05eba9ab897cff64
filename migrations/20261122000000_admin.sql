-- Administrators, their sessions, the audit log, and the per-class progress aggregates the dashboard reads.

create table admins (
    id             uuid primary key,
    email          text not null unique,
    -- PHC string (argon2id, its parameters and salt inside).
    password_hash  text not null,
    role           text not null check (role in ('administrator', 'coordinator')),
    -- A coordinator sees only this school; an administrator has none.
    school         text,
    created_at     timestamptz not null default now(),
    check ((role = 'coordinator') = (school is not null))
);

-- Only the SHA-256 of a session token is stored: a leaked table signs nobody in.
create table admin_sessions (
    token_hash  bytea primary key,
    admin_id    uuid not null references admins (id) on delete cascade,
    csrf        text not null,
    created_at  timestamptz not null default now(),
    expires_at  timestamptz not null
);

create index admin_sessions_expiry on admin_sessions (expires_at);

create table audit_log (
    id          bigserial primary key,
    at          timestamptz not null default now(),
    admin_id    uuid references admins (id) on delete set null,
    -- Kept as text so the log still reads after an administrator is removed.
    admin_email text not null,
    action      text not null,
    survey_id   text,
    detail      jsonb not null default '{}'
);

create index audit_log_at on audit_log (at desc);

-- Per (survey, school, class): how many respondents the roster holds, how many have started and completed, and the
-- last activity. Maintained on every transition (roster load adds to `total`; a respondent's first save adds to
-- `started`, a finishing save to `completed`) in the same transaction, so a dashboard refresh reads one row per class
-- instead of counting two million respondents. Ordinary saves never touch these rows (only transitions do, at most
-- twice per respondent); `last_activity` is written every few seconds from memory (see activity.rs).
create table group_progress (
    survey_id      text not null,
    school         text not null,
    class          text not null,
    total          bigint not null default 0,
    started        bigint not null default 0,
    completed      bigint not null default 0,
    last_activity  timestamptz,
    primary key (survey_id, school, class)
);

insert into group_progress (survey_id, school, class, total, started, completed, last_activity)
select r.survey_id, r.school, r.class, count(*), count(p.respondent_id), count(p.completed_at), max(p.last_activity)
from respondents r left join respondent_progress p on p.respondent_id = r.id
group by 1, 2, 3;
