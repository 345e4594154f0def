package dev.stowage.buckets;

import dev.stowage.config.StowageConfig;
import dev.stowage.storage.ListingGuard;
import dev.stowage.storage.Capability;
import dev.stowage.storage.ObjectStore;
import dev.stowage.storage.ObjectStore.VersionEntry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds what a bucket's lifecycle rules should have removed and has not (docs/architecture.md §7): incomplete
 * multipart uploads older than the abort rule's days, noncurrent versions noncurrent for longer than the
 * noncurrent-expiry days, and expired-object delete markers (a delete marker with no version of its key
 * behind it) where the rules remove them — each beyond {@code costs.leftovers.grace_hours}, since a
 * provider applies lifecycle rules about once a day. A provider that ignores a rule lets these pile up
 * silently; this is how it shows.
 *
 * <p>Bounded: one pass lists at most {@code costs.leftovers.max_pages} pages of {@code page_size} per
 * bucket and kind, and the next pass resumes where it stopped (back at the start after the last page), so a
 * huge bucket is covered over several passes, never listed whole in one. A result that stopped early says
 * so ({@link Result#truncated()}): its counts cover the listed part only. Thread-safe.
 */
public final class Leftovers {
    /** What is left behind. */
    public enum Kind {
        /** A multipart upload never completed nor aborted. */
        INCOMPLETE_UPLOADS("incomplete_uploads", "incomplete multipart uploads"),
        /** A version replaced or deleted that is still kept. */
        NONCURRENT_VERSIONS("noncurrent_versions", "noncurrent versions"),
        /** A delete marker with no version left behind it. */
        EXPIRED_DELETE_MARKERS("expired_delete_markers", "expired-object delete markers");

        /** The metric tag and alert subject part, e.g. {@code incomplete_uploads}. */
        public final String tag;
        /** Words for reports. */
        public final String words;

        Kind(String tag, String words) {
            this.tag = tag;
            this.words = words;
        }
    }

    /**
     * One kind in one bucket after a pass.
     *
     * @param bucket    bucket name
     * @param kind      what was looked for
     * @param allowed   the age beyond which an entry counts (the rule's days plus the grace)
     * @param count     entries older than {@code allowed} in the listed part
     * @param oldest    the time the oldest counted entry started to age, or {@code null} when none
     * @param examples  up to 5 keys of counted entries
     * @param pages     listing requests made
     * @param truncated whether the pass stopped at {@code max_pages} before the end of the listing
     */
    public record Result(String bucket, Kind kind, Duration allowed, long count, Instant oldest, List<String> examples,
                         int pages, boolean truncated) {
        /** One line for logs, alerts and audit findings. */
        public String describe() {
            String s = count + " " + kind.words + " older than " + days(allowed);
            if (count > 0) s += " (oldest since " + oldest + ", e.g. " + String.join(", ", examples) + ")";
            if (truncated) s += "; stopped after " + pages + " listing pages, the rest is looked at in the next passes";
            return s;
        }

        private static String days(Duration d) {
            return d.toHours() % 24 == 0 ? d.toDays() + " days" : d.toHours() + " hours";
        }
    }

    /** Why a kind is not looked at in a bucket (no such rule, or the provider cannot list it). */
    public record Skipped(String bucket, Kind kind, String why) {}

    /** A whole pass: results and skipped kinds, per bucket in configuration order. */
    public record Report(Instant at, List<Result> results, List<Skipped> skipped) {}

    private final ObjectStore store;
    private final StowageConfig config;
    private final Clock clock;
    /** Where the next pass resumes, per bucket and kind: {keyMarker, idMarker}. */
    private final Map<String, String[]> cursors = new ConcurrentHashMap<>();

    /**
     * @param store  the object store
     * @param config bucket names, bucket rules, {@code costs.leftovers}
     * @param clock  the clock ages are measured with (tests move it forward: a store cannot backdate)
     */
    public Leftovers(ObjectStore store, StowageConfig config, Clock clock) {
        this.store = store;
        this.config = config;
        this.clock = clock;
    }

    /**
     * Runs one bounded pass over every configured bucket that exists.
     *
     * @return the results
     * @throws dev.stowage.storage.StoreException when a listing is refused
     */
    public Report scan() {
        Instant now = clock.instant();
        var lo = config.costs().leftovers();
        List<Result> results = new ArrayList<>();
        List<Skipped> skipped = new ArrayList<>();
        boolean versioning = store.profile().has(Capability.VERSIONING);
        for (BucketKind k : BucketKind.values()) {
            String bucket = k.name(config.storage().buckets());
            if (!store.buckets().exists(bucket)) continue;
            var rules = k.rules(config.bucketSettings());
            if (rules.abortIncompleteMultipartDays() > 0) {
                results.add(uploads(bucket, Duration.ofDays(rules.abortIncompleteMultipartDays()).plus(lo.grace()), now));
            } else {
                skipped.add(new Skipped(bucket, Kind.INCOMPLETE_UPLOADS, "no abort rule for this bucket"));
            }
            if (!rules.versioning()) {
                skipped.add(new Skipped(bucket, Kind.NONCURRENT_VERSIONS, "not versioned"));
                skipped.add(new Skipped(bucket, Kind.EXPIRED_DELETE_MARKERS, "not versioned"));
            } else if (!versioning) {
                String why = "unsupported by " + config.storage().provider().id() + ": no versions to list";
                skipped.add(new Skipped(bucket, Kind.NONCURRENT_VERSIONS, why));
                skipped.add(new Skipped(bucket, Kind.EXPIRED_DELETE_MARKERS, why));
            } else {
                Duration noncurrent = rules.noncurrentExpireDays() > 0 ? Duration.ofDays(rules.noncurrentExpireDays()).plus(lo.grace()) : null;
                Duration markers = rules.removeExpiredDeleteMarkers() ? lo.grace() : null;
                results.addAll(versions(bucket, noncurrent, markers, now));
                if (noncurrent == null) skipped.add(new Skipped(bucket, Kind.NONCURRENT_VERSIONS, "no noncurrent-expiry rule"));
                if (markers == null) skipped.add(new Skipped(bucket, Kind.EXPIRED_DELETE_MARKERS, "delete markers are not removed by the rules"));
            }
        }
        return new Report(now, results, skipped);
    }

    private Result uploads(String bucket, Duration allowed, Instant now) {
        var lo = config.costs().leftovers();
        String cursorKey = bucket + "\u0000uploads";
        String[] c = cursors.getOrDefault(cursorKey, new String[2]);
        String key = c[0], id = c[1];
        Counter n = new Counter();
        int pages = 0;
        boolean more;
        ListingGuard guard = ListingGuard.of("ListMultipartUploads", bucket, null, Long.MAX_VALUE);
        do {
            var page = store.multipartUploadsPage(bucket, null, lo.pageSize(), key, id);
            pages++;
            guard.page(ListingGuard.marker(key, id), page.uploads().stream().map(u -> ListingGuard.marker(u.key(), u.uploadId())).toList(),
                    page.nextKeyMarker() != null, ListingGuard.marker(page.nextKeyMarker(), page.nextUploadIdMarker()));
            for (var u : page.uploads()) {
                // a store that does not say when an upload started cannot age it
                if (u.initiated() != null && Duration.between(u.initiated(), now).compareTo(allowed) > 0) n.add(u.initiated(), u.key());
            }
            key = page.nextKeyMarker();
            id = page.nextUploadIdMarker();
            more = key != null;
        } while (more && pages < lo.maxPages());
        if (more) cursors.put(cursorKey, new String[] {key, id});
        else cursors.remove(cursorKey);
        return n.result(bucket, Kind.INCOMPLETE_UPLOADS, allowed, pages, more);
    }

    /** Noncurrent versions and expired delete markers from one listing of versions ({@code null} allowed: not looked for). */
    private List<Result> versions(String bucket, Duration noncurrentAllowed, Duration markersAllowed, Instant now) {
        var lo = config.costs().leftovers();
        String cursorKey = bucket + "\u0000versions";
        String[] c = cursors.getOrDefault(cursorKey, new String[2]);
        String key = c[0], id = null;
        Counter noncurrent = new Counter(), markers = new Counter();
        List<VersionEntry> current = new ArrayList<>(); // the entries of the key being read, newest first
        String lastDecided = null;
        int pages = 0;
        boolean more;
        ListingGuard guard = ListingGuard.of("ListObjectVersions", bucket, null, Long.MAX_VALUE);
        do {
            var page = store.versionsPage(bucket, null, lo.pageSize(), key, id);
            pages++;
            guard.page(ListingGuard.marker(key, id), page.entries().stream().map(e -> ListingGuard.marker(e.key(), e.versionId())).toList(),
                    page.nextKeyMarker() != null, ListingGuard.marker(page.nextKeyMarker(), page.nextVersionIdMarker()));
            for (var e : page.entries()) {
                if (!current.isEmpty() && !current.getFirst().key().equals(e.key())) {
                    judge(current, noncurrentAllowed, markersAllowed, now, noncurrent, markers);
                    lastDecided = current.getFirst().key();
                    current.clear();
                }
                current.add(e);
            }
            key = page.nextKeyMarker();
            id = page.nextVersionIdMarker();
            more = key != null;
        } while (more && pages < lo.maxPages());
        if (!more) {
            if (!current.isEmpty()) judge(current, noncurrentAllowed, markersAllowed, now, noncurrent, markers);
            cursors.remove(cursorKey);
        } else {
            // the last key may go on in the next page: the next pass starts at it, unless it filled the whole pass
            cursors.put(cursorKey, new String[] {lastDecided != null ? lastDecided : key, null});
        }
        List<Result> out = new ArrayList<>(2);
        if (noncurrentAllowed != null) out.add(noncurrent.result(bucket, Kind.NONCURRENT_VERSIONS, noncurrentAllowed, pages, more));
        if (markersAllowed != null) out.add(markers.result(bucket, Kind.EXPIRED_DELETE_MARKERS, markersAllowed, pages, more));
        return out;
    }

    /** Judges every entry of one key (newest first): a noncurrent version ages from when the next newer entry was written. */
    private static void judge(List<VersionEntry> entries, Duration noncurrentAllowed, Duration markersAllowed, Instant now,
                              Counter noncurrent, Counter markers) {
        if (noncurrentAllowed != null) {
            for (int i = 1; i < entries.size(); i++) {
                var e = entries.get(i);
                if (e.deleteMarker() || e.latest()) continue;
                Instant since = entries.get(i - 1).lastModified();
                if (since != null && Duration.between(since, now).compareTo(noncurrentAllowed) > 0) noncurrent.add(since, e.key());
            }
        }
        if (markersAllowed != null) {
            var first = entries.getFirst();
            boolean onlyMarkers = entries.stream().allMatch(VersionEntry::deleteMarker);
            if (first.deleteMarker() && first.latest() && onlyMarkers && first.lastModified() != null
                    && Duration.between(first.lastModified(), now).compareTo(markersAllowed) > 0) {
                markers.add(first.lastModified(), first.key());
            }
        }
    }

    /** Counts, the oldest time and a few example keys. */
    private static final class Counter {
        long count;
        Instant oldest;
        final List<String> examples = new ArrayList<>();

        void add(Instant since, String key) {
            count++;
            if (oldest == null || since.isBefore(oldest)) oldest = since;
            if (examples.size() < 5 && !examples.contains(key)) examples.add(key);
        }

        Result result(String bucket, Kind kind, Duration allowed, int pages, boolean truncated) {
            return new Result(bucket, kind, allowed, count, oldest, List.copyOf(examples), pages, truncated);
        }
    }
}
