-- Image variants: a per-file variants state, and the key digest of each variant's recipe.

alter table files add column variants_status text not null default 'none'
    check (variants_status in ('none', 'pending', 'ready', 'failed'));
alter table files add column variants_reason_code text;
alter table files add column variants_reason text;
alter table files add constraint files_variants_reason check ((variants_status = 'failed') = (variants_reason_code is not null));
