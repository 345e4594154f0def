-- The users storing the most, recorded with each cost snapshot (docs/architecture.md §7): counting them reads
-- the files and variants tables whole, so it is done once per snapshot by a worker, never per page view.
create table cost_top_users (
    snapshot_id bigint not null references cost_snapshots (id) on delete cascade,
    rank        int    not null check (rank >= 1),
    user_id     text   not null,
    bytes       bigint not null check (bytes >= 0),
    files       bigint not null check (files >= 0),
    primary key (snapshot_id, rank)
);
