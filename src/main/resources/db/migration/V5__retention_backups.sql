-- Premium-aware retention (DESIGN §7): who deleted a file, the delete marker that hides its object in a
-- versioned bucket (removing it restores the file), when it was purged; a purged file keeps its deletion
-- time. Each retention pass and what it did to which file, for the report.

alter table files add column deleted_by text check (deleted_by in ('user', 'retention'));
alter table files add column delete_marker_version_id text;
alter table files add column purged_at timestamptz;
alter table files add constraint files_purged_at check ((status = 'purged') = (purged_at is not null));

do $$
declare c text;
begin
    select conname into c from pg_constraint
     where conrelid = 'files'::regclass and contype = 'c'
       and pg_get_constraintdef(oid) like '%(status = ''deleted''::text) = (deleted_at IS NOT NULL)%';
    if c is not null then
        execute format('alter table files drop constraint %I', c);
    end if;
end $$;
alter table files add constraint files_deleted_at check ((status in ('deleted', 'purged')) = (deleted_at is not null));
create index files_deleted on files (deleted_at) where status = 'deleted';
create index files_ready_age on files (created_at) where status = 'ready';

create table retention_runs (
    id           uuid        primary key,
    dry_run      boolean     not null,
    cutoff       timestamptz not null,                -- ready files created before this were candidates
    started_at   timestamptz not null default now(),
    finished_at  timestamptz,
    deleted      integer     not null default 0 check (deleted >= 0),
    kept_premium integer     not null default 0 check (kept_premium >= 0),
    purged       integer     not null default 0 check (purged >= 0)
);

create table retention_actions (
    run_id     uuid        not null references retention_runs (id) on delete cascade,
    file_id    uuid        not null references files (id) on delete cascade,
    owner_id   text        not null,
    plan       text        not null,                  -- the owner's plan read in the deleting transaction
    action     text        not null check (action in ('deleted', 'would_delete', 'kept_premium', 'purged', 'would_purge')),
    reason     text        not null,
    size_bytes bigint,
    at         timestamptz not null default now(),
    primary key (run_id, file_id, action)
);
create index retention_actions_file on retention_actions (file_id);
