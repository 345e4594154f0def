-- Animation of image variants (docs/architecture.md §6): frames of the variant's own object, frames of the
-- source image, and why a variant of an animated source is still (the engine writes still images, or the
-- animation is over the frame or pixel limits). Defaults make the statement a catalogue change only.
alter table variants
    add column frames int not null default 1,
    add column source_frames int not null default 1,
    add column still_reason text;
