-- Bulk fill of a migrated Stowage schema for plan and scale tests (HotQueryPlansIT, bench/scale/run.sh).
-- Placeholders, replaced before running: {{LO}} {{HI}} the file numbers g in [LO, HI) to add (a later call
-- with a higher range adds to the same shape), {{ACCOUNTS}} accounts in all, {{BIG}} of them large,
-- {{ACTIVE_UNTIL}} only files numbered below it are pending or in flight (the others of those slots are ready:
-- open uploads grow with the users and the upload rate, not with the files kept), {{RAW}} {{PROCESSED}} the
-- bucket names. Pending uploads belong to any account alike (the per-plan open-upload limit bounds each user).
--
-- Shape (per 100 files): half the files belong to the {{BIG}} large accounts, half spread over the others
-- ("big-1" and every account numbered 10k+1 are on plan premium); 1 pending with an upload session (a
-- third of them multipart, about half past expiry), 1 in flight (uploaded/verifying/scanning), 1 deleted
-- inside the 30-day restore window, 1 deleted past it, 1 purged, 1 rejected/expired/cancelled, 1 ready and
-- older than 365 days on a non-premium plan (the retention backlog), the rest ready; premium owners' ready
-- files span three years, the others' one year; 30 % of ready files are JPEGs with two variants; 1 in 100
-- files came from a migration and has a journal item; one db-scheduler verify job per in-flight file.
-- Deterministic: the same range always gives the same rows.

insert into accounts (user_id, plan, quota_bytes, used_bytes, reserved_bytes)
select case when a < {{BIG}} then 'big-' || a else 'u' || lpad(a::text, 7, '0') end,
       case when a % 10 = 1 then 'premium' when a % 10 = 2 then 'pro' else 'free' end,
       1099511627776, 0, 10737418240
from generate_series(0, {{ACCOUNTS}} - 1) a
where {{LO}} = 0;

create temporary table fill_g on commit drop as
select g, h, id, owner, st, created, mime, ext, spread,
       1000 + (g * 7919) % 5000000 as size,
       lpad(to_hex(g), 64, 'a') as sha,
       owner || '/' || id || '/file-' || g || ext as key
from (select g, case when g % 100 in (0, 1) and g >= {{ACTIVE_UNTIL}} then 8 else g % 100 end as h,
             md5('f' || g)::uuid as id, (g * 7919::bigint) % 94608000 as spread,
             case when g % 100 = 0 then (g / 100) % {{ACCOUNTS}}
                  when g % 2 = 0 then (g / 2) % {{BIG}} else {{BIG}} + (g / 2) % ({{ACCOUNTS}} - {{BIG}}) end as acct
      from generate_series({{LO}}::bigint, {{HI}}::bigint - 1) g) b
cross join lateral (select case when acct < {{BIG}} then 'big-' || acct else 'u' || lpad(acct::text, 7, '0') end as owner,
                           acct % 10 = 1 as premium,
                           case when (g / 100) % 10 < 3 then 'image/jpeg' else 'application/pdf' end as mime,
                           case when (g / 100) % 10 < 3 then '.jpg' else '.pdf' end as ext,
                           case h when 0 then 'pending'
                                  when 1 then (array['uploaded', 'verifying', 'scanning'])[1 + g / 100 % 3]
                                  when 2 then 'deleted' when 3 then 'deleted' when 4 then 'purged'
                                  when 5 then (array['rejected', 'expired', 'cancelled'])[1 + g / 100 % 3]
                                  else 'ready' end as st) o
cross join lateral (select case when h = 0 then now() - (spread % 172800) * interval '1 second'   -- last two days
                                when h = 1 then now() - (spread % 3600) * interval '1 second'
                                when h = 6 and not premium then now() - interval '366 days' - (spread % 2592000) * interval '1 second'
                                when premium then now() - spread * interval '1 second'
                                else now() - (spread % 31000000) * interval '1 second' end as created) c;

insert into files (id, owner_id, original_name, safe_name, declared_type, detected_type, declared_size, size_bytes,
                   sha256, bucket, object_key, status, scan_result, reason_code, source, created_at, updated_at,
                   uploaded_at, ready_at, deleted_at, deleted_by, purged_at, variants_status)
select id, owner, 'file-' || g || ext, 'file-' || g || ext, mime,
       case when st = 'pending' then null else mime end,
       size, case when st in ('pending', 'rejected', 'expired', 'cancelled') then null else size end,
       case when st in ('pending', 'rejected', 'expired', 'cancelled') then null else sha end,
       '{{RAW}}', key, st,
       case when st in ('ready', 'deleted', 'purged') then 'clean' end,
       case when st in ('rejected', 'expired', 'cancelled') then st end,
       case when h = 7 then 'migration' else 'upload' end,
       created, created,
       case when st not in ('pending', 'rejected', 'expired', 'cancelled') then created end,
       case when st in ('ready', 'deleted', 'purged') then created end,
       case when h = 2 then now() - (spread % 2500000) * interval '1 second'                  -- inside 30 days
            when h in (3, 4) then now() - interval '31 days' - (spread % 2500000) * interval '1 second' end,
       case when h in (2, 3, 4) then 'user' end,
       case when h = 4 then now() - interval '1 day' end,
       case when st = 'ready' and mime = 'image/jpeg' then 'ready' else 'none' end
from fill_g;

-- each account counts its pending files, as every move into or out of pending keeps it (V19)
update accounts a set open_uploads = a.open_uploads + p.n
from (select owner, count(*) as n from fill_g where st = 'pending' group by owner) p
where a.user_id = p.owner;

insert into upload_sessions (file_id, kind, s3_upload_id, part_size, part_count, expires_at, created_at)
select id, case when (g / 100) % 3 = 0 then 'multipart' else 'single' end,
       case when (g / 100) % 3 = 0 then 'mp-' || g end,
       case when (g / 100) % 3 = 0 then 5242880 end, case when (g / 100) % 3 = 0 then 3 end,
       created + interval '1 day', created
from fill_g where h = 0;

insert into upload_part_checksums (file_id, part_number, part_size, sha256)
select id, p, 5242880, sha
from fill_g cross join generate_series(1, 3) p
where h = 0 and (g / 100) % 3 = 0;

insert into variants (file_id, name, bucket, object_key, content_type, width, height, size_bytes, recipe_digest, created_at)
select id, v.name, '{{PROCESSED}}', id || '/' || v.name || '.webp', 'image/webp',
       v.w, v.w, 100 + (g * 31) % 200000, '0123456789ab', created
from fill_g cross join (values ('thumb', 256), ('medium', 1024)) v(name, w)
where st = 'ready' and mime = 'image/jpeg';

insert into scheduled_tasks (task_name, task_instance, task_data, execution_time, picked, version)
select 'verify', id::text, null, now() + (spread % 600) * interval '1 second', false, 1
from fill_g where h = 1;

insert into migration_runs (id, source, source_uri)
select '00000000-0000-0000-0000-00000000a001', '/srv/legacy/uploads', 'file:///srv/legacy/uploads/'
where {{LO}} = 0;

insert into migration_items (run_id, path, display_path, kind, user_id, size_bytes, sha256, state, outcome, file_id,
                             object_key, done_at)
select '00000000-0000-0000-0000-00000000a001', convert_to(owner || '/file-' || g || '.bin', 'UTF8'),
       owner || '/file-' || g || '.bin', 'file', owner, size, sha, 'done', 'migrated', id, key, created
from fill_g
where h = 7 and st = 'ready';

insert into rate_limit_buckets (id, state, expires_at)
select 'initiations:' || case when a < {{BIG}} then 'big-' || a else 'u' || lpad(a::text, 7, '0') end, '\x00'::bytea,
       (extract(epoch from now()) * 1000)::bigint + (a % 7200) * 1000 - 3600000
from generate_series(0, {{ACCOUNTS}} - 1) a
where {{LO}} = 0;

insert into cost_snapshots (taken_at, price_table, storage_usd, requests_usd, write_requests, projected_monthly_usd,
                            growth_bytes_per_day, listed_objects, list_millis)
select now() - d * interval '1 day', 'aws', 1, 0.1, 1000, 1.2, 1000, 1000, 10
from generate_series(1, 730) d
where {{LO}} = 0;

insert into cost_usage (snapshot_id, bucket, storage_class, store_bytes, store_objects, db_bytes, db_objects)
select s.id, b, 'STANDARD', 1000, 10, 1000, 10
from cost_snapshots s cross join (values ('{{RAW}}'), ('{{PROCESSED}}')) v(b)
where {{LO}} = 0;
