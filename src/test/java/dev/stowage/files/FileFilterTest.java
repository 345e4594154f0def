package dev.stowage.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stowage.config.ConfigLoader;
import dev.stowage.config.StowageConfig;
import dev.stowage.problems.Problem;
import dev.stowage.problems.ProblemCode;
import dev.stowage.security.Principal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The listing filters of {@code GET /v1/files}: parsing, validation, LIKE escaping, matching, and the bounded scan's paging. */
class FileFilterTest {

    static FileRecord file(String name, String type, FileStatus status) {
        return new FileRecord(UUID.randomUUID(), "ann", name, name, type, type, 10, 10L, null, "0".repeat(64), "raw", "ann/id/x",
                status, "clean", null, null, null, "upload", Instant.EPOCH, Instant.EPOCH, Instant.EPOCH,
                status == FileStatus.DELETED ? Instant.EPOCH : null, null, null, null);
    }

    static void invalid(String q, String type, String status, String detail) {
        assertThatThrownBy(() -> FileFilter.parse(q, type, status)).isInstanceOfSatisfying(Problem.class, p -> {
            assertThat(p.problemCode()).isEqualTo(ProblemCode.INVALID_FILTER);
            assertThat(p.getMessage()).contains(detail);
        });
    }

    @Test
    void absentOrBlankParametersFilterNothing() {
        assertThat(FileFilter.parse(null, null, null).isEmpty()).isTrue();
        assertThat(FileFilter.parse("  ", "", " ")).isEqualTo(FileFilter.NONE);
    }

    @Test
    void parsesNameTypesAndStatuses() {
        FileFilter f = FileFilter.parse("  Report 2024 ", "IMAGE/, application/pdf,image/", "uploaded, verifying,scanning");
        assertThat(f.nameContains()).isEqualTo("Report 2024");
        assertThat(f.typePrefixes()).containsExactly("image/", "application/pdf");
        assertThat(f.statuses()).containsExactlyInAnyOrder(FileStatus.UPLOADED, FileStatus.VERIFYING, FileStatus.SCANNING);
        assertThat(f.choosesStatuses()).isTrue();
    }

    @Test
    void badValuesAreInvalidFilterNamingTheParameter() {
        invalid("x".repeat(101), null, null, "q must be at most 100");
        invalid("a\u0000b", null, null, "control characters");
        invalid(null, "image", null, "type must be MIME types");
        invalid(null, "image/,", null, "got ''");
        invalid(null, "text/plain; charset=utf-8", null, "type must be");
        invalid(null, String.join(",", java.util.stream.IntStream.range(0, 11).mapToObj(i -> "t" + i + "/").toList()), null, "at most 10");
        invalid(null, null, "purged", "status must be one or more of pending, uploaded");
        invalid(null, null, "READY", "got 'READY'");
        invalid(null, null, "ready,,deleted", "got ''");
    }

    @Test
    void likePatternsEscapeWildcards() {
        assertThat(FileFilter.parse("50%_off\\", null, null).namePattern()).isEqualTo("%50\\%\\_off\\\\%");
        assertThat(FileFilter.parse(null, "application/vnd.ms_x,image/", null).typePatterns())
                .containsExactly("application/vnd.ms\\_x%", "image/%");
    }

    @Test
    void matchesAsTheDatabaseDoes() {
        FileFilter images = FileFilter.parse("HOLIDAY", "image/", null);
        assertThat(images.matches(file("my holiday.JPG", "image/jpeg", FileStatus.READY), false)).isTrue();
        assertThat(images.matches(file("holiday.pdf", "application/pdf", FileStatus.READY), false)).isFalse();
        assertThat(images.matches(file("work.jpg", "image/jpeg", FileStatus.READY), false)).isFalse();
        assertThat(images.matches(file("holiday.jpg", "image/jpeg", FileStatus.DELETED), false)).as("deleted left out by default").isFalse();
        assertThat(images.matches(file("holiday.jpg", "image/jpeg", FileStatus.DELETED), true)).isTrue();
        FileFilter deleted = FileFilter.parse(null, null, "deleted");
        assertThat(deleted.matches(file("a", "text/plain", FileStatus.DELETED), false)).as("a chosen status wins over deleted=false").isTrue();
        assertThat(deleted.matches(file("a", "text/plain", FileStatus.READY), true)).isFalse();
        assertThat(FileFilter.parse(null, null, "ready").matches(file("a", "text/plain", FileStatus.PURGED), true)).isFalse();
    }

    @Test
    void aRareMatchBeyondTheScanBudgetIsReachedThroughCursorsOfEmptyPages() {
        var repo = new InMemoryFileRepository();
        UUID old = UUID.randomUUID();
        repo.put(old, "ann", FileStatus.READY, 10, 10L);
        repo.created(old, Instant.parse("2024-01-01T00:00:00Z"));
        int newer = FileService.FILTER_SCAN_BUDGET + 500;
        for (int i = 0; i < newer; i++) {
            UUID id = UUID.randomUUID();
            repo.put(id, "ann", FileStatus.DELETED, 10, 10L);
            repo.created(id, Instant.parse("2024-06-01T00:00:00Z").plusSeconds(i));
        }
        StowageConfig config = ConfigLoader.load(null, Map.of(), StowageConfig.Mode.DEV);
        var service = new FileService(null, repo, null, config);
        var who = new Principal("ann", "free", Set.of());
        FileFilter ready = FileFilter.parse(null, null, "ready");

        var first = service.list(who, null, 50, false, ready);
        assertThat(first.items()).as("the first window of the budget holds no ready file").isEmpty();
        assertThat(first.nextCursor()).isNotNull();
        var second = service.list(who, first.nextCursor(), 50, false, ready);
        assertThat(second.items()).extracting(FileRecord::id).containsExactly(old);
        assertThat(second.nextCursor()).as("the scan read less than its budget: the end").isNull();

        // a page filled before the budget ends continues right after its last match
        List<UUID> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            var p = service.list(who, cursor, 100, false, FileFilter.parse(null, null, "deleted,ready"));
            p.items().forEach(f -> seen.add(f.id()));
            cursor = p.nextCursor();
            pages++;
        } while (cursor != null && pages < 100);
        assertThat(seen).hasSize(newer + 1).doesNotHaveDuplicates();
        FileRecord deleted = repo.find(seen.getFirst()).orElseThrow();
        assertThat(service.restorableUntil(deleted)).as("deleted + retention.restore_window_days")
                .isEqualTo(deleted.deletedAt().plus(config.retention().restoreWindow()));
        assertThat(config.retention().restoreWindow()).isGreaterThan(Duration.ZERO);
        assertThat(service.restorableUntil(repo.find(old).orElseThrow())).as("a ready file has no restore window").isNull();
    }
}
