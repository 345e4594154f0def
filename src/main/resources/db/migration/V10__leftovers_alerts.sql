-- The leftovers monitor raises its alerts beside the cost alerts (docs/architecture.md §7).
alter table cost_alerts drop constraint cost_alerts_kind_check;
alter table cost_alerts add constraint cost_alerts_kind_check
    check (kind in ('monthly_cost', 'bucket_bytes', 'growth', 'leftovers'));
