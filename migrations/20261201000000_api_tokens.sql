-- Per-person tokens for the admin API (`Authorization: Bearer qat_…`, `api/auth.rs`). A token acts as the account
-- that owns it (a coordinator's token is held to that coordinator's school and surveys), narrowed by its scope:
-- read-only or full, one survey or all. Only the SHA-256 of a token is stored, like `admin_sessions`: a leaked table
-- opens nothing. Revoked tokens are kept (marked) so the audit log and the tokens page can still name them.
create table api_tokens (
    id            uuid primary key,
    token_hash    bytea not null unique,
    admin_id      uuid not null references admins (id) on delete cascade,
    -- What the token is for, as its creator put it ("nightly export").
    name          text not null,
    read_only     boolean not null,
    -- The one survey the token may touch; null: every survey its owner may.
    survey_id     text,
    created_by    uuid references admins (id) on delete set null,
    created_at    timestamptz not null default now(),
    expires_at    timestamptz,
    revoked_at    timestamptz,
    last_used_at  timestamptz
);

create index api_tokens_admin on api_tokens (admin_id);
