-- An account's open (pending) uploads, kept beside its reserved bytes by every move into or out of pending
-- (docs/architecture.md §4, "Fair limits"), so an initiation checks the plan's max_open_uploads in the
-- statement that reserves its bytes instead of counting the user's pending files (up to the limit) each time.
alter table accounts add column open_uploads integer not null default 0 check (open_uploads >= 0);

update accounts a set open_uploads = p.n
from (select owner_id, count(*) as n from files where status = 'pending' group by owner_id) p
where a.user_id = p.owner_id;
