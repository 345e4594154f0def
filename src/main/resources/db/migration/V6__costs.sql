-- Costs (DESIGN §7): usage snapshots per bucket and storage class (the store's listing beside what the
-- database accounts for), the cost figures of each snapshot, and the alerts raised from thresholds.

create table cost_snapshots (
    id                    bigserial     primary key,
    taken_at              timestamptz   not null default now(),
    price_table           text          not null check (price_table in ('aws', 'r2', 'self-hosted')),
    storage_usd           numeric(18,6) not null check (storage_usd >= 0),
    requests_usd          numeric(18,6) not null check (requests_usd >= 0),
    write_requests        bigint        not null check (write_requests >= 0),  -- PUT-class requests of the last 30 days
    projected_monthly_usd numeric(18,6) not null check (projected_monthly_usd >= 0),
    growth_bytes_per_day  bigint,
    listed_objects        bigint        not null check (listed_objects >= 0),
    list_millis           bigint        not null check (list_millis >= 0)
);
create index cost_snapshots_newest on cost_snapshots (taken_at desc);

create table cost_usage (
    snapshot_id   bigint not null references cost_snapshots (id) on delete cascade,
    bucket        text   not null,
    storage_class text   not null,
    store_bytes   bigint not null check (store_bytes >= 0),
    store_objects bigint not null check (store_objects >= 0),
    db_bytes      bigint not null check (db_bytes >= 0),
    db_objects    bigint not null check (db_objects >= 0),
    primary key (snapshot_id, bucket, storage_class)
);

create table cost_alerts (
    id           bigserial     primary key,
    kind         text          not null check (kind in ('monthly_cost', 'bucket_bytes', 'growth')),
    subject      text          not null,
    value        numeric(24,4) not null,
    threshold    numeric(24,4) not null,
    message      text          not null,
    raised_at    timestamptz   not null default now(),
    delivered_at timestamptz,
    attempts     integer       not null default 0 check (attempts >= 0),
    last_error   text
);
create index cost_alerts_recent on cost_alerts (kind, subject, raised_at desc);
