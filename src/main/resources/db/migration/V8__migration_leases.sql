-- Claims of the migration journal as rows with a lease (docs/architecture.md §11), instead of a session
-- advisory lock per process: a lock held on a pooled server session (PgBouncer in transaction mode)
-- outlives the process that took it. A process renews the lease of the files it copies while it runs;
-- a file in 'copying' whose lease has passed belongs to a process that is gone and is claimed again.
-- Items left 'copying' by an earlier version have no lease: they are claimable at once.
alter table migration_items add column lease_until timestamptz;
comment on column migration_items.lease_until is 'end of the claim of the process named by worker, renewed while it copies';
comment on column migration_items.worker is 'migration_worker_seq of the process that claimed it (its claim lasts until lease_until)';
-- the renewal and the release of one process's claims
create index migration_items_claims on migration_items (worker) where state = 'copying';
