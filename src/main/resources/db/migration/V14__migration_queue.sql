-- The migration journal's plans no longer depend on fresh statistics (docs/architecture.md §11). A run
-- writes most of its table within a minute, long before autovacuum analyses it; with the statistics of
-- an empty table the planner took the partial index over a run's open entries for statements that name
-- one row, and each of them read every open entry. Now:
-- * files are claimed in queue order: claim_seq (from migration_claim_seq, taken again whenever an entry
--   is queued again) with a cursor per process, through a partial index that holds only open entries;
-- * per-file statements address rows by primary key, and compare the state with a value bound per row,
--   which no partial index's predicate can be proven from;
-- * recopy marks a file whose source was found different from what was copied (migrate verify, or
--   migrate run --checksum): the next walk queues it again even when its size and mtime are unchanged.
create sequence migration_claim_seq as bigint;
alter table migration_items add column claim_seq bigint;
alter table migration_items add column recopy boolean not null default false;
update migration_items set claim_seq = nextval('migration_claim_seq') where state in ('pending', 'copying');
alter table migration_items alter column claim_seq set default nextval('migration_claim_seq');
comment on column migration_items.claim_seq is 'queue order of an open entry: taken from migration_claim_seq whenever it is queued';
comment on column migration_items.recopy is 'the source differs from what was copied (verify, run --checksum): the next walk queues it again';
drop index migration_items_open;
create index migration_items_queue on migration_items (run_id, claim_seq) where state in ('pending', 'copying');
