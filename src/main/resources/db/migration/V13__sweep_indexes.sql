-- Retention's purge sweep takes the oldest deleted files first, a batch at a time (docs/architecture.md §14):
-- with the id in the index the batch is read from the index alone, in order, however long the backlog is
-- (the index on deleted_at alone made PostgreSQL fetch and sort every deleted file past the window).
create index files_deleted_sweep on files (deleted_at, id) where status = 'deleted';
drop index files_deleted;
