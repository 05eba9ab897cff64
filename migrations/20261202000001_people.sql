-- People and access (issue 17): an account can be disabled (its sessions are ended and its API tokens refused while
-- it is), and its last sign-in is noted. Accounts are never deleted from the page: the audit log keeps naming them.
alter table admins
    add column disabled_at     timestamptz,
    add column last_sign_in_at timestamptz;

-- The audit log is read filtered by person and action, newest first, a page at a time (`id < before`). A person is
-- who acted (`admin_email`: for a failed sign-in, the address typed) or whom a change was to (`detail ->> 'email'`).
create index audit_log_email on audit_log (admin_email, id);
create index audit_log_target on audit_log ((detail ->> 'email'), id) where detail ? 'email';
create index audit_log_action on audit_log (action, id);
