package dev.stowage.uploads;

import dev.stowage.files.FileLifecycle;
import dev.stowage.files.FileRecord;
import dev.stowage.files.FileRepository;
import dev.stowage.files.FileStatus;
import dev.stowage.problems.Problem;
import dev.stowage.problems.ProblemCode;
import dev.stowage.scanning.MalwareScanner;
import dev.stowage.scanning.ScanResult;
import dev.stowage.storage.Capability;
import dev.stowage.storage.ObjectKeys;
import dev.stowage.storage.ObjectStore;
import dev.stowage.storage.ObjectTags;
import java.io.InputStream;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An operator's decisions on a quarantined file (docs/architecture.md §4): release it, only after a re-scan
 * of its quarantine copy with the configured scanner finds it clean ({@code quarantined → ready}), or purge it
 * ({@code quarantined → purged}, the quarantine copy removed, every version). The moves are
 * {@link FileLifecycle}'s; this class does the store's part around them.
 */
public final class Quarantine {
    private static final Logger log = LoggerFactory.getLogger(Quarantine.class);

    private final ObjectStore s3;
    private final FileRepository files;
    private final FileLifecycle lifecycle;
    private final UploadService uploads;
    private final MalwareScanner scanner;

    /**
     * @param s3        the store
     * @param files     repository
     * @param lifecycle makes the moves
     * @param uploads   removes objects of the raw bucket for good (every version)
     * @param scanner   the configured scanner, or {@code null} when none is (then nothing is released)
     */
    public Quarantine(ObjectStore s3, FileRepository files, FileLifecycle lifecycle, UploadService uploads, MalwareScanner scanner) {
        this.s3 = s3;
        this.files = files;
        this.lifecycle = lifecycle;
        this.uploads = uploads;
        this.scanner = scanner;
    }

    private FileRecord quarantined(UUID id) {
        FileRecord f = files.find(id).orElseThrow(() -> new Problem(ProblemCode.NOT_FOUND, "no file " + id));
        if (f.status() != FileStatus.QUARANTINED) {
            throw new Problem(ProblemCode.NOT_QUARANTINED, "file " + id + " is " + f.status().id() + ", not quarantined");
        }
        return f;
    }

    private static java.security.MessageDigest sha256() {
        try {
            return java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The key a quarantined file had before it was quarantined: its quarantine key without {@code quarantine/}. */
    static String finalKey(String quarantineKey) {
        if (!quarantineKey.startsWith(ObjectKeys.QUARANTINE_PREFIX)) {
            throw new IllegalStateException("not a quarantine key: " + quarantineKey);
        }
        return quarantineKey.substring(ObjectKeys.QUARANTINE_PREFIX.length());
    }

    /**
     * Re-scans the quarantine copy and, when the scanner finds it clean, releases the file: the copy is
     * copied back to the final key (tagged ready), the file moves to {@code ready} (its size counted in the
     * owner's used bytes), and the quarantine copy is removed, every version.
     *
     * @return the file as it is afterwards ({@code ready})
     * @throws Problem {@code not_found} (404); {@code not_quarantined} (409); {@code scanner_not_configured} (409);
     *                 {@code still_infected} (409): the scanner found malware again, nothing changed;
     *                 {@code rescan_failed} (503): no verdict (scanner down, a limit hit), nothing changed;
     *                 {@code quarantine_copy_changed} (409): the copy's SHA-256 is not the file's, nothing changed;
     *                 {@code object_gone} (409): the quarantine copy is not in the store
     */
    public FileRecord release(UUID id) {
        FileRecord f = quarantined(id);
        if (scanner == null) {
            throw new Problem(ProblemCode.SCANNER_NOT_CONFIGURED, "no malware scanner is configured: a quarantined file is released only after a clean re-scan");
        }
        String qkey = f.objectKey();
        long size = s3.head(f.bucket(), qkey).orElseThrow(() -> new Problem(ProblemCode.OBJECT_GONE,
                "the quarantine copy of file " + id + " is no longer in the store")).size();
        ScanResult result;
        java.security.MessageDigest md = sha256();
        try (InputStream in = new java.security.DigestInputStream(s3.get(f.bucket(), qkey), md)) {
            result = scanner.scan(in, size);
        } catch (java.io.IOException e) {
            result = new ScanResult.Failed("reading the quarantine copy failed: " + e.getMessage());
        }
        String sha = java.util.HexFormat.of().formatHex(md.digest());
        if (result instanceof ScanResult.Clean && f.sha256() != null && !f.sha256().equals(sha)) {
            // what would be served must be exactly what was verified
            throw new Problem(ProblemCode.QUARANTINE_COPY_CHANGED, "the quarantine copy of file " + id + " has SHA-256 " + sha
                    + ", the file was verified as " + f.sha256() + ": it stays quarantined");
        }
        switch (result) {
            case ScanResult.Clean c -> { }
            case ScanResult.Infected i -> {
                log.warn("file {} stays quarantined: the re-scan found {}", id, i.signature());
                throw new Problem(ProblemCode.STILL_INFECTED, "the re-scan found " + i.signature() + " again: file " + id + " stays quarantined");
            }
            case ScanResult.LimitsExceeded l -> throw new Problem(ProblemCode.RESCAN_FAILED,
                    "the re-scan did not look at all of the content (limit " + l.limit() + "): file " + id + " stays quarantined");
            case ScanResult.Failed x -> throw new Problem(ProblemCode.RESCAN_FAILED,
                    "the re-scan gave no verdict (" + x.reason() + "): file " + id + " stays quarantined");
        }
        String key = finalKey(qkey);
        s3.copy(f.bucket(), qkey, f.bucket(), key);
        // a tag set is replaced whole: the SHA-256 tag a file migrated in parts carries goes with it (the bytes were just hashed)
        if (s3.profile().has(Capability.OBJECT_TAGGING)) {
            s3.putTags(f.bucket(), key, Map.of(ObjectTags.STATE_KEY, ObjectTags.READY, ObjectTags.SHA256_KEY, sha));
        }
        if (lifecycle.release(id, key).isPresent()) {
            uploads.removeForGood(qkey);
            log.info("file {} released from quarantine after a clean re-scan", id);
        } else {
            // another operator released or purged it meanwhile: a copy that is not the file's goes again
            FileRecord now = files.find(id).orElseThrow();
            if (!(now.status() == FileStatus.READY && key.equals(now.objectKey()))) uploads.removeForGood(key);
            throw new Problem(ProblemCode.NOT_QUARANTINED, "file " + id + " is " + now.status().id() + ", not quarantined");
        }
        return files.find(id).orElseThrow();
    }

    /**
     * Purges a quarantined file: the row moves to {@code purged} (terminal), then the quarantine copy is
     * removed, every version. Asked again for a file this purged, it removes what a crash left and answers
     * the same.
     *
     * @return the file as it is afterwards ({@code purged})
     * @throws Problem {@code not_found} (404); {@code not_quarantined} (409) for a file in any other state
     */
    public FileRecord purge(UUID id) {
        FileRecord f = files.find(id).orElseThrow(() -> new Problem(ProblemCode.NOT_FOUND, "no file " + id));
        boolean leftOver = f.status() == FileStatus.PURGED && f.objectKey().startsWith(ObjectKeys.QUARANTINE_PREFIX);
        if (!leftOver) {
            quarantined(id);
            if (lifecycle.purgeQuarantined(id).isEmpty()) {
                FileRecord now = files.find(id).orElseThrow();
                throw new Problem(ProblemCode.NOT_QUARANTINED, "file " + id + " is " + now.status().id() + ", not quarantined");
            }
            log.info("file {} purged from quarantine ({})", id, f.scanSignature());
        }
        uploads.removeForGood(f.objectKey());
        return files.find(id).orElseThrow();
    }
}
