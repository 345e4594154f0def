-- Stowage schema, version 1: accounts with quotas, files and their upload state (DESIGN §4),
-- upload sessions, variants, and the job table of the scheduler.

create table accounts (
    user_id        text        primary key check (user_id ~ '^[A-Za-z0-9._-]{1,128}$' and user_id not in ('.', '..')),
    plan           text        not null default 'free' check (length(plan) between 1 and 64),
    quota_bytes    bigint      not null check (quota_bytes >= 0),
    used_bytes     bigint      not null default 0 check (used_bytes >= 0),
    reserved_bytes bigint      not null default 0 check (reserved_bytes >= 0),
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now()
);

create table files (
    id              uuid        primary key,
    owner_id        text        not null references accounts (user_id),
    original_name   text        not null check (length(original_name) > 0),
    original_name_bytes bytea,                       -- raw bytes when the source name was not valid UTF-8
    safe_name       text        not null check (length(safe_name) > 0),
    declared_type   text        not null,
    detected_type   text,
    declared_size   bigint      not null check (declared_size >= 0),
    size_bytes      bigint      check (size_bytes >= 0),
    declared_sha256 text        check (declared_sha256 ~ '^[0-9a-f]{64}$'),
    sha256          text        check (sha256 ~ '^[0-9a-f]{64}$'),
    bucket          text        not null,
    object_key      text        not null check (octet_length(object_key) <= 1024),
    version_id      text,
    status          text        not null default 'pending' check (status in
                        ('pending', 'uploaded', 'verifying', 'scanning', 'ready',
                         'rejected', 'quarantined', 'expired', 'deleted', 'purged')),
    scan_result     text        check (scan_result in ('clean', 'infected', 'unscanned', 'too_large', 'error')),
    reason_code     text,
    reason          text,
    source          text        not null default 'upload' check (source in ('upload', 'migration')),
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    ready_at        timestamptz,
    deleted_at      timestamptz,
    unique (bucket, object_key),
    -- a file that reached ready has its size and checksum
    check (status not in ('ready', 'deleted') or (size_bytes is not null and sha256 is not null)),
    check ((status = 'deleted') = (deleted_at is not null))
);
create index files_owner_newest on files (owner_id, created_at desc, id desc);
create index files_in_flight on files (status, updated_at)
    where status in ('pending', 'uploaded', 'verifying', 'scanning');

create table upload_sessions (
    file_id      uuid        primary key references files (id) on delete cascade, -- one session per file
    kind         text        not null check (kind in ('single', 'multipart')),
    s3_upload_id text,
    part_size    bigint      check (part_size >= 5242880),
    expires_at   timestamptz not null,
    created_at   timestamptz not null default now(),
    check ((kind = 'multipart') = (s3_upload_id is not null)),
    check ((kind = 'multipart') = (part_size is not null)),
    check (expires_at > created_at)
);
create index upload_sessions_expiry on upload_sessions (expires_at);

create table variants (
    file_id       uuid        not null references files (id) on delete cascade,
    name          text        not null check (name in ('thumb', 'medium', 'original')),
    bucket        text        not null,
    object_key    text        not null,
    content_type  text        not null,
    width         integer     not null check (width > 0),
    height        integer     not null check (height > 0),
    size_bytes    bigint      not null check (size_bytes >= 0),
    recipe_digest text        not null check (recipe_digest ~ '^[0-9a-f]{12}$'),
    created_at    timestamptz not null default now(),
    primary key (file_id, name),
    unique (bucket, object_key)
);

-- db-scheduler's table (PostgreSQL form from its documentation)
create table scheduled_tasks (
    task_name            text                     not null,
    task_instance        text                     not null,
    task_data            bytea,
    execution_time       timestamp with time zone not null,
    picked               boolean                  not null,
    picked_by            text,
    last_success         timestamp with time zone,
    last_failure         timestamp with time zone,
    consecutive_failures int,
    last_heartbeat       timestamp with time zone,
    version              bigint                   not null,
    priority             smallint,
    primary key (task_name, task_instance)
);
create index execution_time_idx on scheduled_tasks (execution_time);
create index last_heartbeat_idx on scheduled_tasks (last_heartbeat);
create index priority_execution_time_idx on scheduled_tasks (priority desc, execution_time asc);
