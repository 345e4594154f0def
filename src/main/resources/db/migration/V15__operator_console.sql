-- The operator console (docs/architecture.md §4, §14): an operator purges a quarantined file
-- (quarantined → purged, deleted_by 'operator'), and the quarantine is listed newest first, keyset-paginated.
alter table files drop constraint files_deleted_by_check;
alter table files add constraint files_deleted_by_check check (deleted_by in ('user', 'retention', 'operator'));
create index files_quarantined on files (updated_at desc, id desc) where status = 'quarantined';
