-- Fair limits (DESIGN §4, §5): a user's open (pending) uploads are counted at every initiation on this
-- partial index, bounded by the plan's limit; the reconciler finds a user's pending files on it too.
create index files_pending_owner on files (owner_id, id) where status = 'pending';

-- Token buckets of the per-user initiation rate limit, kept by Bucket4j's PostgreSQL proxy manager
-- (SELECT ... FOR UPDATE per initiation), so every API node shares them. One row per user and plan;
-- expires_at is epoch milliseconds after which the bucket would be full again, and the row may go.
create table rate_limit_buckets (
    id         text   primary key,
    state      bytea,
    expires_at bigint
);
create index rate_limit_buckets_expiry on rate_limit_buckets (expires_at);
