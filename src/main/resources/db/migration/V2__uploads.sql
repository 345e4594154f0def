-- Uploads: a cancelled state, scan details, the moment the object arrived, multipart part count.

alter table files drop constraint files_status_check;
alter table files add constraint files_status_check check (status in
    ('pending', 'uploaded', 'verifying', 'scanning', 'ready',
     'rejected', 'quarantined', 'expired', 'cancelled', 'deleted', 'purged'));
alter table files add column scan_signature text;
alter table files add column uploaded_at timestamptz;
alter table files add column verify_attempts integer not null default 0 check (verify_attempts >= 0);

alter table upload_sessions add column part_count integer check (part_count between 1 and 10000);
alter table upload_sessions add constraint upload_sessions_parts check ((kind = 'multipart') = (part_count is not null));
