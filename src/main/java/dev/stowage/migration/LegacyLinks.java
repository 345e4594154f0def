package dev.stowage.migration;

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

    /** @param jdbi the database */
    public LegacyLinks(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /**
     * The file migrated from a legacy path, if {@code userId} owns it.
     *
     * @param userId the user (first segment of the old path)
     * @param path   the old path below {@code /uploads/}, raw bytes (percent-decoded), starting with the user id
     * @return the file id; empty when nothing was migrated from there, or it belongs to someone else
     */
    public Optional<UUID> find(String userId, byte[] path) {
        Optional<UUID> exact = jdbi.withHandle(h -> h.createQuery("""
                        select i.file_id from migration_items i join files f on f.id = i.file_id
                        where i.path = :p and i.state in ('done', 'quarantined') and f.owner_id = :u
                        order by i.done_at desc limit 1""")
                .bind("p", path).bind("u", userId).mapTo(UUID.class).findOne());
        if (exact.isPresent() || !LegacyPath.isUtf8(path)) return exact;
        // a link written with the name as the migration shows it (a name that was not UTF-8, as UTF-8 text)
        String text = new String(path, java.nio.charset.StandardCharsets.UTF_8);
        return jdbi.withHandle(h -> h.createQuery("""
                        select i.file_id from migration_items i join files f on f.id = i.file_id
                        where i.display_path = :d and i.state in ('done', 'quarantined') and f.owner_id = :u
                        order by i.done_at desc limit 1""")
                .bind("d", text).bind("u", userId).mapTo(UUID.class).findOne());
    }
}
