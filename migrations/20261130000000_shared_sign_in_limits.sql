-- Sign-in limits shared by every node: behind a load balancer a guesser gets one allowance, not one per node.
--
-- Unlogged: a counter is not worth a WAL record, an fsync and a wait for the synchronous standby on every sign-in.
-- The price is that a crash or a failover starts them empty, which gives a guesser what the restart of a node gave
-- when the limits lived in each node's memory: a fresh allowance, once.

-- GCRA buckets (`http/sign_in_limits/bucket.rs`): a key's theoretical arrival time. Rows whose time has passed
-- are a full bucket, the same as no row, and are swept.
create unlogged table sign_in_buckets (
    key  text primary key,
    tat  timestamptz not null
);

-- Administrator sign-ins per account and client address (`http/sign_in_limits/admin.rs`). `pending` counts
-- attempts reserved and not yet reported; `since` starts the lockout window.
create unlogged table admin_sign_in_pairs (
    email     text not null,
    client    text not null,
    failures  integer not null default 0,
    pending   integer not null default 0,
    since     timestamptz,
    primary key (email, client)
);

-- Administrator sign-ins per account from every address together: the pace.
create unlogged table admin_sign_in_accounts (
    email         text primary key,
    failures      integer not null default 0,
    since         timestamptz,
    next_allowed  timestamptz
);
