package dev.stowage.iam;

import java.util.Locale;

/** Who runs which part of Stowage, each with its own least-privilege IAM policy. */
public enum Role {
    /** {@code stowage serve} without workers: signs uploads and downloads, completes, cancels, restores, on-demand variants. */
    API,
    /** {@code stowage worker}: verification and scanning, quarantine, variants, reconciler, retention and purge. */
    WORKER,
    /** {@code stowage migrate}: copies the legacy tree into the raw bucket and verifies it. */
    MIGRATOR,
    /** {@code stowage backup}: database dumps and bucket settings snapshots into the backups bucket, restores. */
    BACKUP;

    /** The lower-case name used on the command line. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
