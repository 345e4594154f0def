-- Migration of a legacy /uploads/{userId}/{filename} tree (DESIGN §11): one run per source tree, and a
-- journal that records every entry of the tree, so a run resumes after any stop (even kill -9) and
-- several processes can share it (items are claimed with FOR UPDATE SKIP LOCKED).

create table migration_runs (
    id          uuid        primary key,
    source      text        not null,            -- the tree's absolute path, for people
    source_uri  text        not null unique,     -- the same path as a file: URI (raw bytes percent-encoded): lossless
    created_at  timestamptz not null default now(),
    walked_at   timestamptz,                     -- end of the last complete walk of the tree
    updated_at  timestamptz not null default now()
);

-- ids of running `migrate run` processes; each holds a session advisory lock on its id while it lives,
-- so items claimed by a process that died (kill -9 closes its connection) can be taken over at once
create sequence migration_worker_seq as integer minvalue 1 maxvalue 2147483647 cycle;

create table migration_items (
    run_id        uuid        not null references migration_runs (id) on delete cascade,
    path          bytea       not null,          -- relative to the tree's root, the file system's raw bytes
    display_path  text        not null,          -- the same path as text (bytes that are not UTF-8 decoded as Windows-1252)
    kind          text        not null check (kind in
                      ('file', 'directory', 'symlink', 'fifo', 'char_device', 'block_device', 'socket', 'other')),
    user_id       text,                          -- the owner, for entries under a user's folder
    size_bytes    bigint      check (size_bytes >= 0),
    mtime_ns      bigint,                        -- modification time when walked, nanoseconds since the epoch
    sha256        text        check (sha256 ~ '^[0-9a-f]{64}$'),
    state         text        not null check (state in ('pending', 'copying', 'done', 'quarantined', 'skipped', 'failed')),
    outcome       text,                          -- stable code: migrated, malware, ignored, symlink_loop, unreadable, …
    note          text,                          -- what else is worth knowing: hard_link, name_not_utf8, name_nfd, …
    attempts      integer     not null default 0 check (attempts >= 0),
    error         text,
    file_id       uuid        unique,            -- chosen when the entry is first journalled: a retry reuses it
    object_key    text        check (octet_length(object_key) <= 1024),
    upload_id     text,                          -- an open multipart upload, aborted when the item is retried
    worker        integer,                       -- migration_worker_seq of the process copying it
    claimed_at    timestamptz,
    done_at       timestamptz,
    updated_at    timestamptz not null default now(),
    primary key (run_id, path),
    check (kind = 'file' or state in ('skipped', 'failed')),
    check (state not in ('done', 'quarantined') or (sha256 is not null and file_id is not null and object_key is not null))
);
create index migration_items_open on migration_items (run_id) where state in ('pending', 'copying');
create index migration_items_done on migration_items (run_id, done_at) where state in ('done', 'quarantined');
-- old links /uploads/{userId}/{filename} are looked up by their path
create index migration_items_legacy_path on migration_items (path) where state in ('done', 'quarantined');
