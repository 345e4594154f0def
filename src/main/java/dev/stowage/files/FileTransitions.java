package dev.stowage.files;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The state machine of a file (docs/architecture.md §4) as one table: every move a file may make, from →
 * to, who makes it, and what it does to its owner's reserved and used bytes. {@link FileLifecycle} makes
 * every move through {@link #of}, which refuses a pair that is not in the table with an
 * {@link IllegalTransitionException}; the persistence seam accepts only the {@link Transition}s this
 * class hands out.
 *
 * <p>Quota bookkeeping follows one rule the table spells out move by move: an account's reserved bytes
 * are the declared sizes of its files in flight ({@link FileStatus#IN_FLIGHT}), its used bytes the stored
 * sizes of its {@code ready} files, its open uploads the number of its {@code pending} files ({@link #openDelta}).
 */
public final class FileTransitions {
    private FileTransitions() {
    }

    /** What a move does to the owner's reserved bytes. */
    public enum Reserved {
        /** unchanged */
        NONE,
        /** + the declared size (the upload starts) */
        RESERVE,
        /** − the declared size (the upload ends) */
        RELEASE
    }

    /** What a move does to the owner's used bytes. */
    public enum Used {
        /** unchanged */
        NONE,
        /** + the stored size */
        USE,
        /** − the stored size (never below zero) */
        FREE,
        /** + the new stored size − the old one (a migrated file copied again) */
        REPLACE
    }

    /**
     * One legal move.
     *
     * @param from     the state before; {@code null} for a file that does not exist yet (its row is created)
     * @param to       the state after
     * @param reserved effect on the owner's reserved bytes
     * @param used     effect on the owner's used bytes
     * @param quotaChecked whether the move happens only if the quota has room for its bytes
     *                 ({@code used + reserved + bytes <= quota}); otherwise it is refused and nothing changes
     * @param by       who makes it (for people: docs and messages)
     */
    public record Transition(FileStatus from, FileStatus to, Reserved reserved, Used used, boolean quotaChecked, String by) {
        /** The move as {@code from → to}. */
        @Override
        public String toString() {
            return (from == null ? "(new)" : from.id()) + " → " + to.id();
        }
    }

    private static final List<Transition> TABLE = List.of(
            new Transition(null, FileStatus.PENDING, Reserved.RESERVE, Used.NONE, true, "UploadService.initiate"),
            new Transition(FileStatus.PENDING, FileStatus.UPLOADED, Reserved.NONE, Used.NONE, false, "UploadService.markUploaded (complete call, S3 event, reconciler)"),
            new Transition(FileStatus.PENDING, FileStatus.CANCELLED, Reserved.RELEASE, Used.NONE, false, "UploadService.cancel"),
            new Transition(FileStatus.PENDING, FileStatus.EXPIRED, Reserved.RELEASE, Used.NONE, false, "Reconciler"),
            new Transition(FileStatus.PENDING, FileStatus.REJECTED, Reserved.RELEASE, Used.NONE, false, "UploadService.complete"),
            new Transition(FileStatus.UPLOADED, FileStatus.VERIFYING, Reserved.NONE, Used.NONE, false, "Verifier"),
            new Transition(FileStatus.VERIFYING, FileStatus.SCANNING, Reserved.NONE, Used.NONE, false, "Verifier"),
            new Transition(FileStatus.SCANNING, FileStatus.READY, Reserved.RELEASE, Used.USE, false, "Verifier"),
            new Transition(FileStatus.VERIFYING, FileStatus.REJECTED, Reserved.RELEASE, Used.NONE, false, "Verifier"),
            new Transition(FileStatus.VERIFYING, FileStatus.EXPIRED, Reserved.RELEASE, Used.NONE, false, "Verifier: the staging expiry removed the object first"),
            new Transition(FileStatus.SCANNING, FileStatus.REJECTED, Reserved.RELEASE, Used.NONE, false, "Verifier"),
            new Transition(FileStatus.SCANNING, FileStatus.QUARANTINED, Reserved.RELEASE, Used.NONE, false, "Verifier"),
            new Transition(FileStatus.REJECTED, FileStatus.SCANNING, Reserved.RESERVE, Used.NONE, true, "FileLifecycle.rescan (stowage files rescan): a file whose scans failed"),
            new Transition(FileStatus.READY, FileStatus.DELETED, Reserved.NONE, Used.FREE, false, "FileService.delete, RetentionService"),
            new Transition(FileStatus.DELETED, FileStatus.READY, Reserved.NONE, Used.USE, true, "RetentionService.restore"),
            new Transition(FileStatus.DELETED, FileStatus.PURGED, Reserved.NONE, Used.NONE, false, "RetentionService"),
            new Transition(null, FileStatus.READY, Reserved.NONE, Used.USE, false, "MigrationService (quota not enforced)"),
            new Transition(null, FileStatus.QUARANTINED, Reserved.NONE, Used.NONE, false, "MigrationService --scan"),
            new Transition(FileStatus.READY, FileStatus.READY, Reserved.NONE, Used.REPLACE, false, "MigrationService: a changed legacy file copied again"),
            new Transition(FileStatus.READY, FileStatus.QUARANTINED, Reserved.NONE, Used.FREE, false, "MigrationService --scan: a changed legacy file copied again"),
            new Transition(FileStatus.QUARANTINED, FileStatus.READY, Reserved.NONE, Used.USE, false, "MigrationService: a changed legacy file copied again; Quarantine.release: clean on an operator's re-scan (quota not enforced)"),
            new Transition(FileStatus.QUARANTINED, FileStatus.PURGED, Reserved.NONE, Used.NONE, false, "Quarantine.purge: an operator removes the quarantine copy"),
            new Transition(FileStatus.QUARANTINED, FileStatus.QUARANTINED, Reserved.NONE, Used.NONE, false, "MigrationService --scan: a changed legacy file copied again"),
            new Transition(FileStatus.DELETED, FileStatus.DELETED, Reserved.NONE, Used.NONE, false, "MigrationService: a changed legacy file copied again stays deleted"));

    private static final Map<FileStatus, Transition> CREATE = new EnumMap<>(FileStatus.class);
    private static final Map<FileStatus, Map<FileStatus, Transition>> MOVES = new EnumMap<>(FileStatus.class);

    static {
        for (Transition t : TABLE) {
            Transition clash = t.from() == null ? CREATE.put(t.to(), t)
                    : MOVES.computeIfAbsent(t.from(), k -> new EnumMap<>(FileStatus.class)).put(t.to(), t);
            if (clash != null) throw new ExceptionInInitializerError("two entries for " + t);
        }
    }

    /** The whole table, in the order of §4. */
    public static List<Transition> table() {
        return TABLE;
    }

    /** The move from {@code from} to {@code to}, if the table has it ({@code from == null}: a new row). */
    public static Optional<Transition> find(FileStatus from, FileStatus to) {
        return Optional.ofNullable(from == null ? CREATE.get(to) : MOVES.getOrDefault(from, Map.of()).get(to));
    }

    /**
     * The move from {@code from} to {@code to}.
     *
     * @throws IllegalTransitionException when the table has no such move
     */
    static Transition of(FileStatus from, FileStatus to) {
        return find(from, to).orElseThrow(() -> new IllegalTransitionException(from, to));
    }

    /**
     * {@code t} itself if it is one of the table's moves.
     *
     * @throws IllegalTransitionException for a move made up elsewhere
     */
    static Transition checked(Transition t) {
        if (!TABLE.contains(t)) throw new IllegalTransitionException(t.from(), t.to());
        return t;
    }

    /**
     * The one status a {@code move} over {@code moves} leads to: every move is in the table, none starts
     * from "new" (that is {@code createPending} or a migrated insert), and all end in the same state.
     *
     * @throws IllegalTransitionException otherwise
     */
    static FileStatus target(java.util.Collection<Transition> moves) {
        FileStatus to = null;
        for (var t : moves) {
            checked(t);
            if (t.from() == null || (to != null && t.to() != to)) throw new IllegalTransitionException(t.from(), t.to());
            to = t.to();
        }
        if (to == null) throw new IllegalArgumentException("no move given");
        return to;
    }

    /** The states a file may be created in. */
    public static Set<FileStatus> initial() {
        return CREATE.keySet();
    }

    /** The change of reserved bytes a move makes for a file of {@code declaredSize} bytes. */
    public static long reservedDelta(Transition t, long declaredSize) {
        return switch (t.reserved()) {
            case NONE -> 0;
            case RESERVE -> declaredSize;
            case RELEASE -> -declaredSize;
        };
    }

    /**
     * The change of the owner's open uploads ({@code accounts.open_uploads}) a move makes: +1 into
     * {@code pending}, −1 out of it, 0 otherwise.
     */
    public static int openDelta(Transition t) {
        return (t.to() == FileStatus.PENDING ? 1 : 0) - (t.from() == FileStatus.PENDING ? 1 : 0);
    }

    /**
     * The change of used bytes a move makes.
     *
     * @param oldSize the stored size before the move (for {@code FREE} and {@code REPLACE})
     * @param newSize the stored size after the move (for {@code USE} and {@code REPLACE})
     */
    public static long usedDelta(Transition t, long oldSize, long newSize) {
        return switch (t.used()) {
            case NONE -> 0;
            case USE -> newSize;
            case FREE -> -oldSize;
            case REPLACE -> newSize - oldSize;
        };
    }

    /** A move that is not in the table was asked for: a programming error, never a lost race. */
    public static final class IllegalTransitionException extends IllegalStateException {
        /** The state before, {@code null} for a new row. */
        public final FileStatus from;
        /** The state asked for. */
        public final FileStatus to;

        IllegalTransitionException(FileStatus from, FileStatus to) {
            super("illegal file transition " + (from == null ? "(new)" : from.id()) + " → " + to.id());
            this.from = from;
            this.to = to;
        }
    }
}
