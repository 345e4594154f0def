package dev.stowage.files;

import dev.stowage.problems.Problem;
import dev.stowage.problems.ProblemCode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The filters of a file listing ({@code GET /v1/files?q=&type=&status=}), validated. All given filters must
 * match (and); within {@code type} and {@code status}, any listed value matches (or).
 *
 * @param nameContains   text the original name contains, compared case-insensitively; {@code null} for any name
 * @param typePrefixes   lower-case MIME types or prefixes ({@code image/}, {@code application/pdf}) the file's type
 *                       (detected, else declared) starts with; empty for any type
 * @param statuses       statuses to list (never {@code purged}); empty for the default (everything but deleted
 *                       and purged, or everything but purged with {@code deleted=true})
 */
public record FileFilter(String nameContains, List<String> typePrefixes, Set<FileStatus> statuses) {
    /** No filter at all. */
    public static final FileFilter NONE = new FileFilter(null, List.of(), Set.of());
    /** Longest {@code q}, in characters. */
    public static final int MAX_NAME_QUERY = 100;
    /** Most MIME prefixes in one {@code type}. */
    public static final int MAX_TYPES = 10;
    private static final Pattern MIME_PREFIX = Pattern.compile("[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9!#$&^_.+-]{0,100}");
    private static final Pattern CONTROL = Pattern.compile("\\p{Cc}");

    /** Copies the lists. */
    public FileFilter {
        typePrefixes = List.copyOf(typePrefixes);
        statuses = statuses.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(statuses));
    }

    /**
     * Parses the query parameters; absent or blank ones filter nothing.
     *
     * @param q      name contains (1 to {@value #MAX_NAME_QUERY} characters after trimming, no control characters)
     * @param type   comma-separated MIME types or prefixes ending in {@code /}, e.g. {@code image/,application/pdf}
     *               (case-insensitive, at most {@value #MAX_TYPES})
     * @param status comma-separated statuses, e.g. {@code uploaded,verifying,scanning} (any but {@code purged})
     * @return the filter
     * @throws Problem {@code invalid_filter} naming the bad parameter and what it accepts
     */
    public static FileFilter parse(String q, String type, String status) {
        String name = q == null ? null : q.strip();
        if (name != null && name.isEmpty()) name = null;
        if (name != null) {
            if (name.codePointCount(0, name.length()) > MAX_NAME_QUERY) {
                throw new Problem(ProblemCode.INVALID_FILTER, "q must be at most " + MAX_NAME_QUERY + " characters");
            }
            if (CONTROL.matcher(name).find()) throw new Problem(ProblemCode.INVALID_FILTER, "q must not contain control characters");
        }
        List<String> types = new ArrayList<>();
        for (String t : items(type)) {
            String lower = t.toLowerCase(Locale.ROOT);
            if (!MIME_PREFIX.matcher(lower).matches()) {
                throw new Problem(ProblemCode.INVALID_FILTER, "type must be MIME types or prefixes such as image/ or application/pdf, comma-separated; got '"
                        + printable(t) + "'");
            }
            if (!types.contains(lower)) types.add(lower);
        }
        if (types.size() > MAX_TYPES) throw new Problem(ProblemCode.INVALID_FILTER, "type lists at most " + MAX_TYPES + " MIME types");
        Set<FileStatus> statuses = EnumSet.noneOf(FileStatus.class);
        for (String s : items(status)) {
            FileStatus st = Arrays.stream(FileStatus.values()).filter(x -> x != FileStatus.PURGED && x.id().equals(s))
                    .findFirst().orElseThrow(() -> new Problem(ProblemCode.INVALID_FILTER, "status must be one or more of "
                            + listable() + ", comma-separated; got '" + printable(s) + "'"));
            statuses.add(st);
        }
        return new FileFilter(name, types, statuses);
    }

    private static List<String> items(String param) {
        if (param == null || param.isBlank()) return List.of();
        return Arrays.stream(param.split(",", -1)).map(String::strip).toList();
    }

    private static String listable() {
        return Arrays.stream(FileStatus.values()).filter(s -> s != FileStatus.PURGED).map(FileStatus::id).collect(Collectors.joining(", "));
    }

    private static String printable(String s) {
        String shown = CONTROL.matcher(s).replaceAll("?");
        return shown.length() > 40 ? shown.substring(0, 40) + "…" : shown;
    }

    /** Whether nothing is filtered. */
    public boolean isEmpty() {
        return nameContains == null && typePrefixes.isEmpty() && statuses.isEmpty();
    }

    /** Whether a status filter replaces the default (which leaves deleted files out unless asked for). */
    public boolean choosesStatuses() {
        return !statuses.isEmpty();
    }

    /**
     * {@code nameContains} as a SQL {@code LIKE} pattern ({@code %text%}, with {@code \}, {@code %} and {@code _}
     * escaped by a backslash), or {@code null}.
     */
    public String namePattern() {
        return nameContains == null ? null : "%" + escapeLike(nameContains) + "%";
    }

    /** {@code typePrefixes} as SQL {@code LIKE} patterns ({@code prefix%}, escaped). */
    public List<String> typePatterns() {
        return typePrefixes.stream().map(t -> escapeLike(t) + "%").toList();
    }

    static String escapeLike(String s) {
        return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
    }

    /**
     * Whether a file passes the filter (the same test the database makes), with {@code includeDeleted} read
     * when no status is chosen.
     */
    public boolean matches(FileRecord f, boolean includeDeleted) {
        if (f.status() == FileStatus.PURGED) return false;
        if (statuses.isEmpty() ? !includeDeleted && f.status() == FileStatus.DELETED : !statuses.contains(f.status())) return false;
        if (nameContains != null && !f.originalName().toLowerCase(Locale.ROOT).contains(nameContains.toLowerCase(Locale.ROOT))) return false;
        if (typePrefixes.isEmpty()) return true;
        String type = (f.detectedType() != null ? f.detectedType() : f.declaredType());
        String lower = type == null ? "" : type.toLowerCase(Locale.ROOT);
        return typePrefixes.stream().anyMatch(lower::startsWith);
    }
}
