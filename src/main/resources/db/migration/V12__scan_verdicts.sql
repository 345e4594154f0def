-- Every scanner answer classified (docs/architecture.md §4, "Scanning"): a scan that hit one of the
-- scanner's limits is 'limits_exceeded' and names the limit; a failing scan keeps its last error and
-- since when scans of the file fail, so retries end after scanner.give_up_after_seconds.
alter table files drop constraint files_scan_result_check;
alter table files add constraint files_scan_result_check
    check (scan_result in ('clean', 'infected', 'unscanned', 'too_large', 'limits_exceeded', 'error'));
alter table files add column scan_limit text check (scan_limit ~ '^[A-Za-z][A-Za-z0-9_]{0,63}$');
alter table files add column scan_error text;
alter table files add column scan_failing_since timestamptz;
