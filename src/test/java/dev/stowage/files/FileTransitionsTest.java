package dev.stowage.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The transition table: every pair not in it is refused, and its quota effects follow one rule. */
class FileTransitionsTest {
    private static List<FileStatus> fromStates() {
        List<FileStatus> all = new ArrayList<>();
        all.add(null); // a row not created yet
        all.addAll(Arrays.asList(FileStatus.values()));
        return all;
    }

    @Test
    void everyPairNotInTheTableIsRefused() {
        int allowed = 0, refused = 0;
        for (FileStatus from : fromStates()) {
            for (FileStatus to : FileStatus.values()) {
                boolean inTable = FileTransitions.table().stream().anyMatch(t -> t.from() == from && t.to() == to);
                if (inTable) {
                    assertThat(FileTransitions.of(from, to)).isIn(FileTransitions.table());
                    allowed++;
                } else {
                    assertThatThrownBy(() -> FileTransitions.of(from, to))
                            .isInstanceOf(FileTransitions.IllegalTransitionException.class)
                            .hasMessageContaining("illegal file transition");
                    refused++;
                }
            }
        }
        assertThat(allowed).isEqualTo(FileTransitions.table().size());
        assertThat(allowed + refused).isEqualTo((FileStatus.values().length + 1) * FileStatus.values().length);
    }

    @Test
    void theSeamRefusesEveryMoveNotInTheTableAndLeavesTheRowAlone() {
        var repo = new InMemoryFileRepository();
        for (FileStatus from : FileStatus.values()) {
            for (FileStatus to : FileStatus.values()) {
                if (FileTransitions.find(from, to).isPresent()) continue;
                UUID id = UUID.randomUUID();
                repo.put(id, "u", from, 10, 10L);
                for (var reserved : FileTransitions.Reserved.values()) {
                    var forged = new FileTransitions.Transition(from, to, reserved, FileTransitions.Used.NONE, false, "forged");
                    assertThatThrownBy(() -> repo.move(id, List.of(forged), FileChanges.NONE))
                            .isInstanceOf(FileTransitions.IllegalTransitionException.class);
                }
                assertThat(repo.find(id).orElseThrow().status()).isEqualTo(from);
            }
        }
    }

    @Test
    void aForgedEffectOfALegalPairIsRefused() {
        var repo = new InMemoryFileRepository();
        UUID id = UUID.randomUUID();
        repo.put(id, "u", FileStatus.READY, 10, 10L);
        var forged = new FileTransitions.Transition(FileStatus.READY, FileStatus.DELETED, FileTransitions.Reserved.NONE,
                FileTransitions.Used.NONE, false, "FileService.delete, RetentionService");
        assertThatThrownBy(() -> repo.move(id, List.of(forged), FileChanges.NONE)).isInstanceOf(FileTransitions.IllegalTransitionException.class);
    }

    /** Reserved bytes are the declared sizes of files in flight, used bytes the stored sizes of ready files. */
    @Test
    void quotaEffectsFollowTheRule() {
        long declared = 1000, oldSize = 700, newSize = 900;
        for (var t : FileTransitions.table()) {
            boolean wasInFlight = t.from() != null && FileStatus.IN_FLIGHT.contains(t.from());
            boolean isInFlight = FileStatus.IN_FLIGHT.contains(t.to());
            assertThat(FileTransitions.reservedDelta(t, declared)).as("reserved of %s", t)
                    .isEqualTo((isInFlight ? declared : 0) - (wasInFlight ? declared : 0));
            long oldUsed = t.from() == FileStatus.READY ? oldSize : 0;
            long newUsed = t.to() == FileStatus.READY ? newSize : 0;
            assertThat(FileTransitions.usedDelta(t, oldSize, newSize)).as("used of %s", t).isEqualTo(newUsed - oldUsed);
        }
    }

    @Test
    void onlyReservationRestoreAndRescanCheckTheQuota() {
        assertThat(FileTransitions.table().stream().filter(FileTransitions.Transition::quotaChecked).map(Object::toString))
                .containsExactlyInAnyOrder("(new) → pending", "deleted → ready", "rejected → scanning");
    }

    @Test
    void docsShowTheTableAsTheCodeHasIt() throws Exception {
        Path doc = Path.of("docs/architecture.md");
        String text = Files.readString(doc);
        for (var t : FileTransitions.table()) {
            String row = "| " + (t.from() == null ? "(new)" : "`" + t.from().id() + "`") + " | `" + t.to().id() + "` | "
                    + t.reserved().name().toLowerCase() + " | " + t.used().name().toLowerCase() + " | " + (t.quotaChecked() ? "yes" : "—")
                    + " | " + t.by() + " |";
            assertThat(text).as("docs/architecture.md §4 row for %s", t).contains(row);
        }
    }
}
