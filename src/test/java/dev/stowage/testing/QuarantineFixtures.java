package dev.stowage.testing;

import dev.stowage.Stowage;
import dev.stowage.files.FileStatus;
import dev.stowage.files.Migrated;
import dev.stowage.storage.ObjectKeys;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * Quarantined files for the operator console's tests. A file the scanner finds infected now comes from a real
 * upload of the EICAR string; a quarantined file a re-scan finds clean (a false positive of an older signature
 * database) is made the way {@code migrate run --scan} records one: its bytes at the quarantine key and the row
 * created {@code (new) → quarantined} through {@code FileLifecycle.migrated}.
 */
public final class QuarantineFixtures {
    private QuarantineFixtures() {}

    /** A signature the test clamd does not know: what an older database found. */
    public static final String OLD_SIGNATURE = "Stowage.Test.Retired-Signature.UNOFFICIAL";

    /**
     * Records a quarantined file of {@code bytes} owned by {@code user} (the account must exist).
     *
     * @return the file id
     */
    public static UUID quarantinedButClean(Stowage s, String user, String name, byte[] bytes) {
        UUID id = UUID.randomUUID();
        String raw = s.config().storage().buckets().raw();
        String qkey = ObjectKeys.quarantineKey(ObjectKeys.rawKey(user, id.toString(), name));
        s.s3().client().putObject(r -> r.bucket(raw).key(qkey).contentType("text/plain"), RequestBody.fromBytes(bytes));
        s.lifecycle().migrated(s.files(), List.of(new Migrated(id, user, name, null, name, "text/plain", bytes.length, Harness.sha256(bytes),
                raw, qkey, FileStatus.QUARANTINED, "infected", OLD_SIGNATURE, Instant.now(), false)));
        return id;
    }
}
