-- SNS unsubscribing the events webhook raises an alert beside the cost alerts (docs/architecture.md §5).
alter table cost_alerts drop constraint cost_alerts_kind_check;
alter table cost_alerts add constraint cost_alerts_kind_check
    check (kind in ('monthly_cost', 'bucket_bytes', 'growth', 'leftovers', 'sns_unsubscribed'));
