-- How many events the last take of a bucket got: a node takes a lease of several sign-ins at once and counts them
-- down in memory (`http/sign_in_limits/respondent.rs`), so a school's sign-ins share one row write per lease.
alter table sign_in_buckets add column taken integer not null default 0;
