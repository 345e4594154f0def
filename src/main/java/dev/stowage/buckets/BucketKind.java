package dev.stowage.buckets;

import dev.stowage.config.StowageConfig;

/** The four buckets of docs/architecture.md §3, whatever they are named. */
public enum BucketKind {
    /** Originals as uploaded. */
    RAW,
    /** Image variants (CDN origin). */
    PROCESSED,
    /** Database dumps and configuration snapshots. */
    BACKUPS,
    /** Server access logs of the other buckets. */
    LOGS;

    /** The configured name of this bucket. */
    public String name(StowageConfig.Buckets b) {
        return switch (this) {
            case RAW -> b.raw();
            case PROCESSED -> b.processed();
            case BACKUPS -> b.backups();
            case LOGS -> b.logs();
        };
    }

    /** This bucket's lifecycle in the settings. */
    public StowageConfig.BucketRules rules(StowageConfig.BucketSettings s) {
        return switch (this) {
            case RAW -> s.raw();
            case PROCESSED -> s.processed();
            case BACKUPS -> s.backups();
            case LOGS -> s.logs();
        };
    }

    /** Which bucket a name is, or {@code null}. */
    public static BucketKind of(StowageConfig.Buckets b, String bucket) {
        for (BucketKind k : values()) if (k.name(b).equals(bucket)) return k;
        return null;
    }
}
