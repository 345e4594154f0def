package dev.stowage.migration;

import dev.stowage.files.FileRepository;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;

/**
 * Old links after cutover: {@code /uploads/{userId}/{filename}} (any depth below the user's folder) to
 * the file that was migrated from that path, looked up by the path's exact bytes in the journal (or, for
 * a name that was not UTF-8, by the text the migration shows for it).
 */
public final class LegacyLinks {
    private final Jdbi jdbi;
    private final FileRepository files;

    /**
     * @param jdbi  the database (the migration journal)
     * @param files the files the journal's items became
     */
    public LegacyLinks(Jdbi jdbi, FileRepository files) {
        this.jdbi = jdbi;
        this.files = files;
    }

    /**
     * The file migrated from a legacy path, if {@code userId} owns it.
     *
     * @param userId the user (first segment of the old path)
     * @param path   the old path below {@code /uploads/}, raw bytes (percent-decoded), starting with the user id
     * @return the file id; empty when nothing was migrated from there, or it belongs to someone else
     */
    public Optional<UUID> find(String userId, byte[] path) {
        Optional<UUID> exact = owned(userId, jdbi.withHandle(h -> h.createQuery("""
                        select file_id from migration_items
                        where path = :p and state in ('done', 'quarantined') order by done_at desc""")
                .bind("p", path).mapTo(UUID.class).list()));
        if (exact.isPresent() || !LegacyPath.isUtf8(path)) return exact;
        // a link written with the name as the migration shows it (a name that was not UTF-8, as UTF-8 text)
        String text = new String(path, java.nio.charset.StandardCharsets.UTF_8);
        return owned(userId, jdbi.withHandle(h -> h.createQuery("""
                        select file_id from migration_items
                        where display_path = :d and state in ('done', 'quarantined') order by done_at desc""")
                .bind("d", text).mapTo(UUID.class).list()));
    }

    /** The first of {@code ids} (newest first) whose file {@code userId} owns. */
    private Optional<UUID> owned(String userId, List<UUID> ids) {
        for (UUID id : ids) {
            if (files.findOwned(id, userId).isPresent()) return Optional.of(id);
        }
        return Optional.empty();
    }
}
