-- Per-part SHA-256 of multipart uploads (DESIGN §4): declared when a part's URL is signed (the latest
-- declaration of a part wins), checked against the part's byte range when the object is verified, and
-- removed when the file leaves verification. The upload session row ends at uploaded; these rows outlive it.

create table upload_part_checksums (
    file_id     uuid        not null references files (id) on delete cascade,
    part_number integer     not null check (part_number between 1 and 10000),
    part_size   bigint      not null check (part_size >= 5242880), -- the session's uniform part size; the last part is shorter
    sha256      text        not null check (sha256 ~ '^[0-9a-f]{64}$'),
    declared_at timestamptz not null default now(),
    primary key (file_id, part_number)
);
