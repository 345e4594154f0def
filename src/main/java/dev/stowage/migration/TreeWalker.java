package dev.stowage.migration;

import dev.stowage.storage.ObjectKeys;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.FileVisitor;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Walks a legacy tree {@code ROOT/{userId}/…} without following symbolic links and says what each
 * entry is and what happens to it:
 *
 * <table>
 * <caption>outcomes decided by the walk</caption>
 * <tr><th>entry</th><th>state</th><th>outcome</th></tr>
 * <tr><td>regular file under a user's folder (nested folders too)</td><td>pending</td><td>copied later</td></tr>
 * <tr><td>name on the ignore list ({@code .DS_Store}, {@code Thumbs.db}, …)</td><td>skipped</td><td>{@code ignored}</td></tr>
 * <tr><td>symbolic link to an ancestor folder, or in a cycle of links</td><td>skipped</td><td>{@code symlink_loop}</td></tr>
 * <tr><td>symbolic link to nothing</td><td>skipped</td><td>{@code symlink_dangling}</td></tr>
 * <tr><td>symbolic link leaving the tree</td><td>skipped</td><td>{@code symlink_outside}</td></tr>
 * <tr><td>other symbolic link (its target, if a file under a user, is migrated in its own right)</td><td>skipped</td><td>{@code symlink}</td></tr>
 * <tr><td>named pipe, device, socket: never opened</td><td>skipped</td><td>{@code special_file}</td></tr>
 * <tr><td>file at the top level</td><td>skipped</td><td>{@code top_level_file}</td></tr>
 * <tr><td>top-level folder whose name is not a user id (e.g. {@code lost+found}); not entered</td><td>skipped</td><td>{@code not_a_user_dir}</td></tr>
 * <tr><td>user folder left out by {@code --users}</td><td>—</td><td>not walked, not journalled</td></tr>
 * <tr><td>folder that cannot be listed</td><td>failed</td><td>{@code unreadable}</td></tr>
 * </table>
 */
public final class TreeWalker {
    private static final Pattern USER_ID = Pattern.compile("[A-Za-z0-9._-]{1," + ObjectKeys.MAX_USER_ID_LENGTH + "}");
    private static final int S_IFMT = 0170000, S_IFIFO = 0010000, S_IFCHR = 0020000, S_IFBLK = 0060000, S_IFSOCK = 0140000;

    private final Path root;
    private final Set<String> users;
    private final List<Pattern> ignore;

    /**
     * @param root   the tree's root, a real path (no symbolic links in it)
     * @param users  only these user folders, or {@code null} for all
     * @param ignore file-name globs never migrated
     */
    public TreeWalker(Path root, Set<String> users, List<String> ignore) {
        this.root = root;
        this.users = users;
        this.ignore = ignore.stream().map(TreeWalker::glob).toList();
    }

    static Pattern glob(String g) {
        var sb = new StringBuilder();
        for (char c : g.toCharArray()) {
            switch (c) {
                case '*' -> sb.append(".*");
                case '?' -> sb.append('.');
                default -> sb.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(sb.toString(), Pattern.DOTALL);
    }

    /** Whether a top-level folder name is a user id. */
    public static boolean isUserId(String name) {
        return USER_ID.matcher(name).matches() && !name.equals(".") && !name.equals("..") && !name.equalsIgnoreCase("quarantine")
                && !name.equalsIgnoreCase("staging");
    }

    /**
     * Walks the tree, handing every entry to {@code sink} (folders under users are not entries; their files are).
     *
     * @throws IOException when the root itself cannot be read
     */
    public void walk(Consumer<Entry> sink) throws IOException {
        Files.walkFileTree(root, EnumSet.noneOf(java.nio.file.FileVisitOption.class), Integer.MAX_VALUE, visitor(sink, user -> { }));
    }

    /** Receives the entries of one user's folder. */
    @FunctionalInterface
    public interface UserSink {
        /**
         * @param user    the folder's name, a user id
         * @param entries every entry {@link #walk} reports under it (and the folder itself when it cannot be listed)
         */
        void accept(String user, List<Entry> entries) throws IOException, InterruptedException;
    }

    /**
     * Walks the tree one top-level entry at a time, reporting what {@link #walk} reports: the entries of each
     * user folder it enters go to {@code user} together, every other top-level entry (files, links, folders
     * that are not users', entries that cannot be read) to {@code topLevel}. Holds one user folder's entries
     * at a time; top-level entries come in the order the file system lists them.
     *
     * @throws IOException when the root itself cannot be listed
     */
    public void walkByUser(Consumer<Entry> topLevel, UserSink user) throws IOException, InterruptedException {
        try (var children = Files.newDirectoryStream(root)) {
            for (Path child : children) {
                List<Entry> entries = new ArrayList<>();
                String[] entered = new String[1];
                Files.walkFileTree(child, EnumSet.noneOf(java.nio.file.FileVisitOption.class), Integer.MAX_VALUE,
                        visitor(entries::add, u -> entered[0] = u));
                if (entered[0] != null) user.accept(entered[0], entries);
                else entries.forEach(topLevel);
            }
        } catch (java.nio.file.DirectoryIteratorException e) {
            throw e.getCause();
        }
    }

    /** The walk's visitor: entries to {@code sink}, the name of each user folder it enters to {@code entered}. */
    private FileVisitor<Path> visitor(Consumer<Entry> sink, Consumer<String> entered) {
        return new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                if (dir.equals(root)) return FileVisitResult.CONTINUE;
                byte[] rel = LegacyPath.relative(root, dir);
                List<byte[]> segs = LegacyPath.segments(rel);
                if (segs.size() == 1) {
                    String name = LegacyPath.text(segs.getFirst());
                    if (!LegacyPath.isUtf8(segs.getFirst()) || !isUserId(name)) {
                        sink.accept(skipped(rel, "directory", null, attrs, "not_a_user_dir", "a top-level folder whose name is not a user id: not entered"));
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    if (users != null && !users.contains(name)) return FileVisitResult.SKIP_SUBTREE;
                    entered.accept(name);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                sink.accept(classify(file, attrs));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) {
                if (file.equals(root)) return FileVisitResult.TERMINATE;
                byte[] rel = LegacyPath.relative(root, file);
                List<byte[]> segs = LegacyPath.segments(rel);
                String user = segs.size() > 1 ? LegacyPath.text(segs.getFirst()) : null;
                if (user != null && users != null && !users.contains(user)) return FileVisitResult.CONTINUE;
                boolean dir = Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS);
                sink.accept(new Entry(rel, LegacyPath.display(rel), dir ? "directory" : "other", user, List.of(),
                        LegacyPath.text(segs.getLast()), 0, 0, exc instanceof NoSuchFileException ? "skipped" : "failed",
                        exc instanceof NoSuchFileException ? "vanished" : "unreadable", reason(exc)));
                return FileVisitResult.CONTINUE;
            }
        };
    }

    private Entry classify(Path file, BasicFileAttributes attrs) {
        byte[] rel = LegacyPath.relative(root, file);
        List<byte[]> segs = LegacyPath.segments(rel);
        byte[] nameBytes = segs.getLast();
        String name = LegacyPath.text(nameBytes);
        String user = segs.size() > 1 ? LegacyPath.text(segs.getFirst()) : null;
        if (attrs.isSymbolicLink()) {
            String[] sym = symlink(file);
            return skipped(rel, "symlink", user, attrs, sym[0], sym[1]);
        }
        if (attrs.isOther() || !attrs.isRegularFile()) {
            return skipped(rel, specialKind(file), user, attrs, "special_file", "named pipes, devices and sockets are never opened");
        }
        if (user == null) return skipped(rel, "file", null, attrs, "top_level_file", "a file outside every user's folder");
        for (Pattern p : ignore) {
            if (p.matcher(name).matches()) return skipped(rel, "file", user, attrs, "ignored", "on the ignore list (migration.ignore)");
        }
        List<String> folders = new ArrayList<>();
        for (int i = 1; i < segs.size() - 1; i++) folders.add(LegacyPath.text(segs.get(i)));
        List<String> notes = new ArrayList<>();
        if (!folders.isEmpty()) notes.add("nested");
        boolean utf8 = segs.stream().allMatch(LegacyPath::isUtf8);
        if (!utf8) notes.add("name_not_utf8");
        else if (!Normalizer.isNormalized(name, Normalizer.Form.NFC)) notes.add("name_nfd");
        if (nlink(file) > 1) notes.add("hard_link");
        return new Entry(rel, LegacyPath.display(rel), "file", user, List.copyOf(folders), name, attrs.size(),
                nanos(attrs), "pending", null, notes.isEmpty() ? null : String.join(",", notes));
    }

    private Entry skipped(byte[] rel, String kind, String user, BasicFileAttributes attrs, String outcome, String detail) {
        List<byte[]> segs = LegacyPath.segments(rel);
        return new Entry(rel, LegacyPath.display(rel), kind, user, List.of(), LegacyPath.text(segs.getLast()),
                kind.equals("file") ? attrs.size() : 0, nanos(attrs), "skipped", outcome, detail);
    }

    static long nanos(BasicFileAttributes attrs) {
        var t = attrs.lastModifiedTime().toInstant();
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    private static int nlink(Path file) {
        try {
            return (Integer) Files.getAttribute(file, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return 1;
        }
    }

    private static String specialKind(Path file) {
        try {
            int mode = (Integer) Files.getAttribute(file, "unix:mode", LinkOption.NOFOLLOW_LINKS) & S_IFMT;
            return switch (mode) {
                case S_IFIFO -> "fifo";
                case S_IFCHR -> "char_device";
                case S_IFBLK -> "block_device";
                case S_IFSOCK -> "socket";
                default -> "other";
            };
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "other";
        }
    }

    /** {outcome, detail} of a symbolic link, which is never followed. */
    private String[] symlink(Path link) {
        String target;
        try {
            target = Files.readSymbolicLink(link).toString();
        } catch (IOException e) {
            return new String[] {"symlink_dangling", "cannot read the link: " + reason(e)};
        }
        Path lexical = link.getParent().resolve(target).normalize();
        if (!lexical.startsWith(root)) return new String[] {"symlink_outside", "points outside the tree: " + target};
        Path real;
        try {
            real = link.toRealPath();
        } catch (NoSuchFileException e) {
            return new String[] {"symlink_dangling", "points to nothing: " + target};
        } catch (FileSystemException e) {
            String r = reason(e);
            return r.contains("levels of symbolic links")
                    ? new String[] {"symlink_loop", "a cycle of links: " + target}
                    : new String[] {"symlink_dangling", "cannot resolve " + target + ": " + r};
        } catch (IOException e) {
            return new String[] {"symlink_dangling", "cannot resolve " + target + ": " + reason(e)};
        }
        if (!real.startsWith(root)) return new String[] {"symlink_outside", "points outside the tree: " + target};
        if (Files.isDirectory(real, LinkOption.NOFOLLOW_LINKS) && link.getParent().startsWith(real)) {
            return new String[] {"symlink_loop", "points to a folder that contains it: " + target};
        }
        return new String[] {"symlink", "not followed (points to " + target + " inside the tree)"};
    }

    /** A short, stable reason for an I/O failure on an entry: {@code permission denied}, {@code no such file}, or the system's message. */
    public static String reason(IOException e) {
        if (e instanceof java.nio.file.AccessDeniedException) return "permission denied";
        if (e instanceof NoSuchFileException) return "no such file";
        if (e instanceof FileSystemException fse && fse.getReason() != null) return fse.getReason();
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
