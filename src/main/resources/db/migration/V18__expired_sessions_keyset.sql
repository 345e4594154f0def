-- The reconciler walks the sessions past their lifetime a keyset page at a time, longest expired first
-- (docs/architecture.md §5): with the file id in the index a page is an index range read in order, however
-- long the backlog is (on expires_at alone PostgreSQL read and sorted every expired session after the cursor).
create index upload_sessions_expiry_keyset on upload_sessions (expires_at, file_id);
drop index upload_sessions_expiry;
