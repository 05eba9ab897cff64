-- Results (issue 17): each school's counts per class and role, computed from its respondents' active answers and
-- kept with the time they were computed and a fingerprint of the school's activity (see server/src/results/cache.rs).
-- A results page recomputes a school only when its fingerprint moved. `summary` is what the levels above the school
-- need from it (its counts by role, and those no cell of the school shows), for the survey's `min_cell` of the time.
create table result_counts (
    survey_id         text not null references surveys (survey_id) on delete cascade,
    school            text not null,
    -- the survey's newest version, the school's people, started, completed and last activity when computed
    fingerprint       text not null,
    district          text,
    invited           bigint not null,
    responded         bigint not null,
    -- [{"class", "role", "invited", "responded", "counts": [[index, count]…]}], zero counts left out
    counts            jsonb not null,
    summary           jsonb not null,
    summary_min_cell  integer not null,
    computed_at       timestamptz not null default now(),
    primary key (survey_id, school)
);
