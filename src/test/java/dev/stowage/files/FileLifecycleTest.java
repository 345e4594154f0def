package dev.stowage.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stowage.problems.Problem;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The owner of a file's life against the in-memory seam: moves, lost races, quota arithmetic, events. */
class FileLifecycleTest {
    private final InMemoryFileRepository repo = new InMemoryFileRepository();
    private final FileEvents events = new FileEvents();
    private final List<FileEvents.FileEvent> published = new ArrayList<>();
    private final FileLifecycle life = new FileLifecycle(repo, events);

    FileLifecycleTest() {
        events.on(FileEvents.Arrived.class, published::add);
        events.on(FileEvents.Ready.class, published::add);
        events.on(FileEvents.Deleted.class, published::add);
    }

    private UUID initiate(String owner, long size, long quota) {
        UUID id = UUID.randomUUID();
        life.initiate(new NewUpload(id, owner, "free", quota, "a.txt", "a.txt", "text/plain", size, null, "raw", owner + "/" + id + "/a.txt"),
                new UploadSession(id, "single", null, null, null, repo.now.plusSeconds(900), repo.now));
        return id;
    }

    private Usage usage(String owner) {
        return repo.usage(owner).orElseThrow();
    }

    private UUID readyFile(String owner, long size, long quota) {
        UUID id = initiate(owner, size, quota);
        life.arrived(id);
        life.startVerifying(id);
        repo.recordContent(id, "text/plain", "a".repeat(64), size);
        life.startScanning(id);
        assertThat(life.accept(id, "clean")).isTrue();
        return id;
    }

    @Test
    void anUploadReservesThenUsesItsBytesAndTellsOfItsArrivalAndReadiness() {
        UUID id = initiate("alice", 100, 1000);
        assertThat(usage("alice")).extracting(Usage::reservedBytes, Usage::usedBytes).containsExactly(100L, 0L);
        assertThat(repo.session(id)).isPresent();

        assertThat(life.arrived(id)).isTrue();
        assertThat(repo.session(id)).isEmpty();
        assertThat(published).containsExactly(new FileEvents.Arrived(id, "alice"));

        assertThat(life.startVerifying(id)).isTrue();
        repo.recordContent(id, "text/plain", "b".repeat(64), 100);
        assertThat(life.startScanning(id)).isTrue();
        assertThat(life.accept(id, "clean")).isTrue();

        FileRecord f = repo.find(id).orElseThrow();
        assertThat(f.status()).isEqualTo(FileStatus.READY);
        assertThat(f.scanResult()).isEqualTo("clean");
        assertThat(f.readyAt()).isNotNull();
        assertThat(usage("alice")).extracting(Usage::reservedBytes, Usage::usedBytes).containsExactly(0L, 100L);
        assertThat(published).last().isEqualTo(new FileEvents.Ready(id, "alice", "text/plain", 100, FileEvents.Cause.VERIFIED));
    }

    @Test
    void anInitiationOverTheQuotaIsRefusedAndWritesNothing() {
        initiate("bob", 600, 1000);
        assertThatThrownBy(() -> initiate("bob", 500, 1000)).isInstanceOf(Problem.class)
                .hasMessageContaining("this upload of 500 bytes would exceed your quota: 400 bytes available")
                .extracting(p -> ((Problem) p).code()).isEqualTo("quota_exceeded");
        assertThat(usage("bob").reservedBytes()).isEqualTo(600);
        assertThat(repo.all()).hasSize(1);
        // a new account whose first upload is refused is not created either
        assertThatThrownBy(() -> initiate("carol", 2000, 1000)).isInstanceOf(Problem.class);
        assertThat(repo.usage("carol")).isEmpty();
    }

    @Test
    void concurrentInitiationsNeverReserveMoreThanTheQuota() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        AtomicInteger accepted = new AtomicInteger();
        List<Future<?>> all = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            all.add(pool.submit(() -> {
                try {
                    initiate("race", 70, 1000);
                    accepted.incrementAndGet();
                } catch (Problem p) {
                    assertThat(p.code()).isEqualTo("quota_exceeded");
                }
            }));
        }
        for (var f : all) f.get();
        pool.shutdown();
        assertThat(accepted.get()).isEqualTo(14);
        assertThat(usage("race").reservedBytes()).isEqualTo(14 * 70);
    }

    @Test
    void lostRacesChangeNothingAndThrowNothing() {
        UUID id = initiate("dave", 50, 1000);
        assertThat(life.arrived(id)).isTrue();
        assertThat(life.arrived(id)).as("a second arrival (event after the complete call)").isFalse();
        assertThat(life.cancel(id)).as("a cancel that lost to the arrival").isEmpty();
        assertThat(life.expire(id)).as("an expiry that lost to the arrival").isEmpty();
        assertThat(published).as("each report of the arrival asks for verification again")
                .containsExactly(new FileEvents.Arrived(id, "dave"), new FileEvents.Arrived(id, "dave"));

        life.startVerifying(id);
        assertThat(life.startVerifying(id)).isFalse();
        repo.recordContent(id, "text/plain", "c".repeat(64), 50);
        life.startScanning(id);
        assertThat(life.quarantine(id, "Eicar-Test-Signature", "quarantine/" + id)).isPresent();
        assertThat(life.reject(id, "size_mismatch", "x")).isEmpty();
        assertThat(life.accept(id, "clean")).isFalse();
        assertThat(usage("dave")).extracting(Usage::reservedBytes, Usage::usedBytes).containsExactly(0L, 0L);
        FileRecord f = repo.find(id).orElseThrow();
        assertThat(f.status()).isEqualTo(FileStatus.QUARANTINED);
        assertThat(f.objectKey()).isEqualTo("quarantine/" + id);
        assertThat(f.scanSignature()).isEqualTo("Eicar-Test-Signature");
        assertThat(f.reasonCode()).isEqualTo("malware");

        UUID ready = readyFile("dave", 30, 1000);
        assertThat(life.delete(repo, ready, "user", null)).isPresent();
        assertThat(life.delete(repo, ready, "retention", null)).isEmpty();
        assertThat(repo.deletedBy(ready)).isEqualTo("user");
        assertThat(usage("dave").usedBytes()).isZero();
        assertThat(published.stream().filter(e -> e instanceof FileEvents.Deleted)).hasSize(1);
    }

    @Test
    void sideExitsReleaseTheReservationOnce() {
        UUID cancelled = initiate("erin", 10, 1000);
        UUID expired = initiate("erin", 20, 1000);
        UUID rejected = initiate("erin", 40, 1000);
        assertThat(usage("erin").reservedBytes()).isEqualTo(70);
        assertThat(life.cancel(cancelled)).isPresent();
        assertThat(life.cancel(cancelled)).isEmpty();
        assertThat(life.expire(expired)).isPresent();
        life.arrived(rejected);
        life.startVerifying(rejected);
        assertThat(life.reject(rejected, "checksum_mismatch", "no")).isPresent();
        assertThat(life.reject(rejected, "checksum_mismatch", "no")).isEmpty();
        assertThat(usage("erin").reservedBytes()).isZero();
        assertThat(repo.find(expired).orElseThrow().reasonCode()).isEqualTo("expired");
        assertThat(repo.session(cancelled)).isEmpty();
        assertThat(repo.session(expired)).isEmpty();
    }

    @Test
    void aCompleteThatCannotSucceedRejectsThePendingUploadAndReleasesItOnce() {
        UUID bad = initiate("gus", 300, 1000);
        UUID other = initiate("gus", 200, 1000);
        assertThat(life.refuse(bad, "part_too_large", "part 2 has 5243880 bytes, 1000 more than its 5242880")).isPresent();
        assertThat(life.refuse(bad, "part_too_large", "again")).as("once").isEmpty();
        FileRecord f = repo.find(bad).orElseThrow();
        assertThat(f.status()).isEqualTo(FileStatus.REJECTED);
        assertThat(f.reasonCode()).isEqualTo("part_too_large");
        assertThat(f.reason()).contains("part 2");
        assertThat(repo.session(bad)).isEmpty();
        assertThat(usage("gus").reservedBytes()).isEqualTo(200);
        life.arrived(other);
        assertThat(life.refuse(other, "part_not_issued", "x")).as("only a pending upload").isEmpty();
        assertThat(usage("gus").reservedBytes()).isEqualTo(200);
    }

    @Test
    void aRestoreNeedsRoomInTheQuotaAndChangesNothingWithout() {
        UUID id = readyFile("fay", 600, 1000);
        life.delete(repo, id, "retention", "v-marker");
        assertThat(repo.deleteMarker(id)).contains("v-marker");
        initiate("fay", 500, 1000); // the room is taken meanwhile
        assertThatThrownBy(() -> life.restore(repo, id)).isInstanceOf(Problem.class)
                .extracting(p -> ((Problem) p).code()).isEqualTo("quota_exceeded");
        assertThat(repo.find(id).orElseThrow().status()).isEqualTo(FileStatus.DELETED);
        assertThat(usage("fay")).extracting(Usage::reservedBytes, Usage::usedBytes).containsExactly(500L, 0L);

        repo.account("fay", "free", 2000, 0, 500);
        assertThat(life.restore(repo, id)).isPresent();
        FileRecord f = repo.find(id).orElseThrow();
        assertThat(f.status()).isEqualTo(FileStatus.READY);
        assertThat(f.deletedAt()).isNull();
        assertThat(repo.deleteMarker(id)).isEmpty();
        assertThat(usage("fay").usedBytes()).isEqualTo(600);
        assertThat(published).last().isEqualTo(new FileEvents.Ready(id, "fay", "text/plain", 600, FileEvents.Cause.RESTORED));
    }

    @Test
    void eventsWaitForTheCommitAndARolledBackMoveTellsNothing() {
        UUID id = readyFile("gus", 10, 1000);
        published.clear();
        assertThatThrownBy(() -> repo.inTransaction(tx -> {
            life.delete(tx, id, "retention", null);
            assertThat(published).as("not before the commit").isEmpty();
            throw new IllegalStateException("the store refused");
        })).hasMessage("the store refused");
        assertThat(published).isEmpty();
        assertThat(repo.find(id).orElseThrow().status()).isEqualTo(FileStatus.READY);
        assertThat(usage("gus").usedBytes()).isEqualTo(10);

        repo.inTransaction(tx -> life.delete(tx, id, "retention", null));
        assertThat(published).containsExactly(new FileEvents.Deleted(id, "gus", 10, "retention"));
    }

    @Test
    void aPurgeKeepsTheRowAndDropsItsVariants() {
        UUID id = readyFile("hal", 10, 1000);
        repo.saveVariant(new StoredVariant(id, "thumb", "processed", "k", "image/webp", 1, 1, 5, "0".repeat(12)));
        life.delete(repo, id, "user", null);
        assertThat(life.purge(repo, id)).isPresent();
        assertThat(life.purge(repo, id)).isEmpty();
        assertThat(repo.find(id).orElseThrow().status()).isEqualTo(FileStatus.PURGED);
        assertThat(repo.variants(id)).isEmpty();
    }

    private UUID quarantinedFile(String owner, long size, long quota) {
        UUID id = initiate(owner, size, quota);
        life.arrived(id);
        life.startVerifying(id);
        repo.recordContent(id, "text/plain", "e".repeat(64), size);
        life.startScanning(id);
        assertThat(life.quarantine(id, "Old-Signature", "quarantine/" + owner + "/" + id + "/a.txt")).isPresent();
        return id;
    }

    @Test
    void anOperatorsReleaseCountsTheBytesOnceAndForgetsTheVerdict() {
        UUID id = quarantinedFile("ida", 40, 1000);
        published.clear();
        assertThat(life.release(id, "ida/" + id + "/a.txt")).isPresent();
        assertThat(life.release(id, "ida/" + id + "/a.txt")).as("a second release lost the race").isEmpty();
        assertThat(life.purgeQuarantined(id)).as("a purge after the release").isEmpty();
        FileRecord f = repo.find(id).orElseThrow();
        assertThat(f.status()).isEqualTo(FileStatus.READY);
        assertThat(f.objectKey()).isEqualTo("ida/" + id + "/a.txt");
        assertThat(f.scanResult()).isEqualTo("clean");
        assertThat(f.scanSignature()).isNull();
        assertThat(f.reasonCode()).isNull();
        assertThat(usage("ida")).extracting(Usage::reservedBytes, Usage::usedBytes).containsExactly(0L, 40L);
        assertThat(published).containsExactly(new FileEvents.Ready(id, "ida", "text/plain", 40, FileEvents.Cause.RELEASED));
    }

    @Test
    void anOperatorsPurgeOfAQuarantinedFileIsTerminalAndCountsNothing() {
        UUID id = quarantinedFile("jon", 40, 1000);
        assertThat(life.purgeQuarantined(id)).isPresent();
        assertThat(life.purgeQuarantined(id)).isEmpty();
        assertThat(life.release(id, "jon/" + id + "/a.txt")).isEmpty();
        FileRecord f = repo.find(id).orElseThrow();
        assertThat(f.status()).isEqualTo(FileStatus.PURGED);
        assertThat(f.scanSignature()).as("the verdict stays on the row").isEqualTo("Old-Signature");
        assertThat(repo.deletedBy(id)).isEqualTo("operator");
        assertThat(usage("jon")).extracting(Usage::reservedBytes, Usage::usedBytes).containsExactly(0L, 0L);
    }

    private static Migrated migrated(UUID id, String owner, long size, FileStatus status) {
        return new Migrated(id, owner, "n.jpg", null, "n.jpg", "image/jpeg", size, "d".repeat(64), "raw", owner + "/" + id + "/n.jpg",
                status, null, status == FileStatus.QUARANTINED ? "Eicar" : null, Instant.EPOCH, status == FileStatus.READY);
    }

    @Test
    void aMigrationBatchIsOneInsertAndOneQuotaStatementPerOwner() {
        repo.ensureFreeAccounts(List.of("7", "8"), 1000);
        List<Migrated> batch = new ArrayList<>();
        for (int i = 0; i < 50; i++) batch.add(migrated(UUID.randomUUID(), i % 2 == 0 ? "7" : "8", 10, FileStatus.READY));
        batch.add(migrated(UUID.randomUUID(), "7", 999, FileStatus.QUARANTINED));
        int before = repo.quotaStatements;
        life.migrated(repo, batch);
        assertThat(repo.quotaStatements - before).isEqualTo(2);
        assertThat(usage("7").usedBytes()).isEqualTo(250);
        assertThat(usage("8").usedBytes()).isEqualTo(250);
        assertThat(published).hasSize(50).allMatch(e -> ((FileEvents.Ready) e).cause() == FileEvents.Cause.MIGRATED);
    }

    @Test
    void aFileMigratedAgainMovesByTheTable() {
        repo.ensureFreeAccounts(List.of("9"), 1000);
        UUID grows = UUID.randomUUID(), infected = UUID.randomUUID(), cured = UUID.randomUUID(), gone = UUID.randomUUID();
        life.migrated(repo, List.of(migrated(grows, "9", 100, FileStatus.READY), migrated(infected, "9", 50, FileStatus.READY),
                migrated(cured, "9", 30, FileStatus.QUARANTINED), migrated(gone, "9", 20, FileStatus.READY)));
        life.delete(repo, gone, "user", null);
        assertThat(usage("9").usedBytes()).isEqualTo(150);

        published.clear();
        life.migrated(repo, List.of(migrated(grows, "9", 160, FileStatus.READY), migrated(infected, "9", 50, FileStatus.QUARANTINED),
                migrated(cured, "9", 35, FileStatus.READY), migrated(gone, "9", 25, FileStatus.READY)));
        assertThat(repo.find(grows).orElseThrow().sizeBytes()).isEqualTo(160);
        assertThat(repo.find(infected).orElseThrow().status()).isEqualTo(FileStatus.QUARANTINED);
        assertThat(repo.find(cured).orElseThrow().status()).isEqualTo(FileStatus.READY);
        assertThat(repo.find(gone).orElseThrow().status()).as("a deleted file stays deleted").isEqualTo(FileStatus.DELETED);
        assertThat(usage("9").usedBytes()).isEqualTo(160 + 35);
        assertThat(published).extracting(FileEvents.FileEvent::fileId).containsExactlyInAnyOrder(grows, cured);

        life.purge(repo, gone);
        assertThatThrownBy(() -> life.migrated(repo, List.of(migrated(gone, "9", 25, FileStatus.READY), migrated(UUID.randomUUID(), "9", 5, FileStatus.READY))))
                .isInstanceOf(FileTransitions.IllegalTransitionException.class).hasMessageContaining("purged → ready");
        assertThat(usage("9").usedBytes()).as("the whole batch rolled back").isEqualTo(160 + 35);
        assertThat(repo.all()).hasSize(4);
    }

    /** Every operation the lifecycle offers, tried on a file in every state: only the table's moves happen. */
    @Test
    void noOperationMakesAMoveOutsideTheTable() {
        Map<String, Consumer<UUID>> ops = Map.of(
                "arrived", life::arrived, "cancel", life::cancel, "expire", life::expire,
                "startVerifying", life::startVerifying, "startScanning", life::startScanning,
                "accept", id -> life.accept(id, "clean"), "reject", id -> life.reject(id, "x", "x"),
                "quarantine", id -> life.quarantine(id, "sig", "quarantine/k"), "delete", id -> life.delete(repo, id, "user", null),
                "purge", id -> life.purge(repo, id));
        ops = new java.util.HashMap<>(ops);
        ops.put("restore", id -> life.restore(repo, id));
        Set<FileStatus> moved = EnumSet.noneOf(FileStatus.class);
        for (FileStatus from : FileStatus.values()) {
            for (var op : ops.entrySet()) {
                UUID id = UUID.randomUUID();
                long declared = FileStatus.IN_FLIGHT.contains(from) ? 10 : 0;
                repo.put(id, "ops", from, 10, 10L);
                repo.account("ops", "free", 1_000_000, from == FileStatus.READY ? 10 : 0, declared);
                op.getValue().accept(id);
                FileStatus after = repo.find(id).orElseThrow().status();
                if (after != from) {
                    assertThat(FileTransitions.find(from, after)).as("%s on a %s file made %s", op.getKey(), from, after).isPresent();
                    moved.add(from);
                }
            }
        }
        assertThat(moved).containsExactlyInAnyOrder(FileStatus.PENDING, FileStatus.UPLOADED, FileStatus.VERIFYING, FileStatus.SCANNING,
                FileStatus.READY, FileStatus.DELETED);
    }

    /** Random lives of many files: reserved and used bytes always equal what the files' states say. */
    @Test
    void quotaBookkeepingAlwaysMatchesTheFilesAndIsNeverNegative() {
        Random random = new Random(42);
        List<UUID> ids = new ArrayList<>();
        String[] owners = {"p", "q", "r"};
        for (int step = 0; step < 3000; step++) {
            String owner = owners[random.nextInt(owners.length)];
            if (ids.isEmpty() || random.nextInt(5) == 0) {
                try {
                    ids.add(initiate(owner, 1 + random.nextInt(300), 2000));
                } catch (Problem p) {
                    assertThat(p.code()).isEqualTo("quota_exceeded");
                }
                continue;
            }
            UUID id = ids.get(random.nextInt(ids.size()));
            // mostly the file's next step, sometimes anything (a late, duplicate or racing call)
            int natural = switch (repo.find(id).orElseThrow().status()) {
                case PENDING -> random.nextInt(8) == 0 ? 1 : 0;
                case UPLOADED -> 3;
                case VERIFYING -> 4;
                case SCANNING -> random.nextInt(8) == 0 ? 7 : 5;
                case READY -> 8;
                case DELETED -> random.nextBoolean() ? 9 : 10;
                default -> random.nextInt(11);
            };
            switch (random.nextInt(3) > 0 ? natural : random.nextInt(11)) {
                case 0 -> life.arrived(id);
                case 1 -> life.cancel(id);
                case 2 -> {
                    // a pending upload ends by expiry or, at complete, rejected (a part too large or never signed)
                    if (random.nextBoolean()) life.expire(id);
                    else life.refuse(id, "part_too_large", "part 2 has 1 byte more than its share");
                }
                case 3 -> life.startVerifying(id);
                case 4 -> {
                    FileRecord f = repo.find(id).orElseThrow();
                    // what verification found: sometimes not what was declared
                    if (f.status() == FileStatus.VERIFYING) repo.recordContent(id, "text/plain", "e".repeat(64), f.declaredSize() - random.nextInt(2));
                    life.startScanning(id);
                }
                case 5 -> life.accept(id, "clean");
                case 6 -> life.reject(id, "x", "x");
                case 7 -> life.quarantine(id, "sig", "quarantine/" + id);
                case 8 -> life.delete(repo, id, random.nextBoolean() ? "user" : "retention", null);
                case 9 -> {
                    try {
                        life.restore(repo, id);
                    } catch (Problem p) {
                        assertThat(p.code()).isEqualTo("quota_exceeded");
                    }
                }
                default -> life.purge(repo, id);
            }
            for (String o : owners) {
                if (repo.usage(o).isEmpty()) continue;
                Usage u = usage(o);
                long reserved = repo.all().stream().filter(f -> f.ownerId().equals(o) && FileStatus.IN_FLIGHT.contains(f.status()))
                        .mapToLong(FileRecord::declaredSize).sum();
                long used = repo.all().stream().filter(f -> f.ownerId().equals(o) && f.status() == FileStatus.READY)
                        .mapToLong(FileRecord::sizeBytes).sum();
                assertThat(u.reservedBytes()).as("reserved of %s at step %d", o, step).isEqualTo(reserved).isNotNegative();
                assertThat(u.usedBytes()).as("used of %s at step %d", o, step).isEqualTo(used).isNotNegative();
                assertThat(u.usedBytes() + u.reservedBytes()).as("within the quota").isLessThanOrEqualTo(u.quotaBytes());
            }
        }
        assertThat(repo.all()).extracting(FileRecord::status).contains(FileStatus.READY, FileStatus.DELETED, FileStatus.PURGED,
                FileStatus.CANCELLED, FileStatus.EXPIRED, FileStatus.REJECTED, FileStatus.QUARANTINED);
    }

    @Test
    void theReconcilerFindsStuckFilesDueSessionsAndUsersWithExpiredOnes() {
        UUID stuck = initiate("ivy", 10, 1000);
        life.arrived(stuck);
        UUID fresh = initiate("ivy", 10, 1000);
        repo.now = repo.now.plus(Duration.ofMinutes(10));
        assertThat(repo.stuck(Duration.ofMinutes(5), 100)).containsExactly(stuck);
        assertThat(repo.dueSessions(Duration.ofSeconds(30), 10, 100)).extracting(d -> d.session().fileId(), FileRepository.DueSession::ownerId)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(fresh, "ivy"));
        assertThat(repo.expiredAfter(null, null, 10)).isEmpty();
        repo.now = repo.now.plus(Duration.ofHours(1));
        assertThat(repo.dueSessions(Duration.ofSeconds(30), 10, 100)).as("past its lifetime it is the bulk expiry's").isEmpty();
        assertThat(repo.expiredAfter(null, null, 10)).extracting(FileRepository.Expired::fileId, FileRepository.Expired::ownerId,
                FileRepository.Expired::multipart).containsExactly(org.assertj.core.groups.Tuple.tuple(fresh, "ivy", false));
    }

    @Test
    void dueSessionsAreTakenRoundRobinAcrossUsersAtMostKEach() {
        List<UUID> flood = new java.util.ArrayList<>();
        for (int i = 0; i < 50; i++) {
            flood.add(initiate("flood", 1, 1000));
            repo.now = repo.now.plusMillis(1);
        }
        UUID other = initiate("other", 1, 1000);
        repo.now = repo.now.plus(Duration.ofMinutes(1));
        var due = repo.dueSessions(Duration.ofSeconds(30), 3, 4);
        assertThat(due).extracting(d -> d.session().fileId()).containsExactly(flood.get(0), other, flood.get(1), flood.get(2));
    }

    @Test
    void aUserPastTheirOpenUploadsLimitIsRefusedAndNothingIsWritten() {
        UUID a = UUID.randomUUID(), b = UUID.randomUUID();
        life.initiate(new NewUpload(a, "kim", "free", 1000, "a.txt", "a.txt", "text/plain", 10, null, "raw", "kim/" + a + "/a.txt"),
                new UploadSession(a, "single", null, null, null, repo.now.plusSeconds(900), repo.now), 1);
        assertThatThrownBy(() -> life.initiate(new NewUpload(b, "kim", "free", 1000, "b.txt", "b.txt", "text/plain", 20, null, "raw", "kim/" + b + "/b.txt"),
                new UploadSession(b, "single", null, null, null, repo.now.plusSeconds(900), repo.now), 1))
                .isInstanceOf(FileRepository.TooManyOpen.class);
        assertThat(repo.find(b)).isEmpty();
        assertThat(usage("kim").reservedBytes()).as("only the first upload's bytes").isEqualTo(10);
        assertThat(repo.openUploads("kim")).isEqualTo(1);
    }

    @Test
    void expiringInBulkReleasesEachReservationOnceAndLeavesWhatItIsToldToKeep() {
        List<UUID> ids = new java.util.ArrayList<>();
        for (int i = 0; i < 7; i++) ids.add(initiate("lou", 10, 1000));
        UUID other = initiate("max", 10, 1000);
        repo.now = repo.now.plus(Duration.ofHours(1));
        UUID kept = ids.get(3);
        var first = life.expireMany("lou", false, java.util.Set.of(kept), null, 4);
        var second = life.expireMany("lou", false, java.util.Set.of(kept), null, 4);
        assertThat(first).hasSize(4);
        assertThat(second).hasSize(2);
        assertThat(life.expireMany("lou", false, java.util.Set.of(kept), null, 4)).isEmpty();
        assertThat(life.expireMany("lou", true, java.util.Set.of(), null, 4)).as("no multipart uploads").isEmpty();
        assertThat(usage("lou").reservedBytes()).as("only the kept upload's bytes").isEqualTo(10);
        assertThat(repo.find(kept).orElseThrow().status()).isEqualTo(FileStatus.PENDING);
        assertThat(repo.find(other).orElseThrow().status()).as("another user's upload").isEqualTo(FileStatus.PENDING);
        assertThat(usage("max").reservedBytes()).isEqualTo(10);
        for (var e : first) {
            assertThat(repo.find(e.fileId()).orElseThrow().status()).isEqualTo(FileStatus.EXPIRED);
            assertThat(repo.session(e.fileId())).isEmpty();
        }
    }

    private UUID scanning(String owner, long size, long quota) {
        UUID id = initiate(owner, size, quota);
        life.arrived(id);
        life.startVerifying(id);
        repo.recordContent(id, "text/plain", "a".repeat(64), size);
        life.startScanning(id);
        return id;
    }

    @Test
    void failingScansCountTheirTimeFromTheFirstFailureAndGiveUpReleasesTheBytesThenARescanReservesThemAgain() {
        UUID id = scanning("sara", 100, 1000);
        assertThat(repo.recordScanFailed(id, "clamd unreachable: 127.0.0.1:1: Connection refused")).isZero();
        repo.now = repo.now.plusSeconds(30);
        assertThat(repo.recordScanFailed(id, "clamd error: 'Can't allocate memory'")).isEqualTo(Duration.ofSeconds(30));
        assertThat(repo.find(id).orElseThrow().scanError()).isEqualTo("clamd error: 'Can't allocate memory'");

        assertThat(life.giveUpScan(id, "scans failed; last error: x")).isPresent();
        FileRecord f = repo.find(id).orElseThrow();
        assertThat(f.status()).isEqualTo(FileStatus.REJECTED);
        assertThat(f.reasonCode()).isEqualTo("scan_failed");
        assertThat(usage("sara")).extracting(Usage::reservedBytes, Usage::usedBytes).containsExactly(0L, 0L);

        published.clear();
        assertThat(life.rescan(id)).isEqualTo(FileLifecycle.Rescan.RESUMED);
        f = repo.find(id).orElseThrow();
        assertThat(f.status()).isEqualTo(FileStatus.SCANNING);
        assertThat(f.reasonCode()).isNull();
        assertThat(f.scanResult()).isNull();
        assertThat(f.scanError()).isNull();
        assertThat(usage("sara").reservedBytes()).isEqualTo(100L);
        assertThat(published).containsExactly(new FileEvents.Arrived(id, "sara"));
        // the failing time starts again
        assertThat(repo.recordScanFailed(id, "again")).isZero();
        assertThat(life.rescan(id)).as("a file still scanning and not held").isEqualTo(FileLifecycle.Rescan.NOT_RESCANNABLE);
    }

    @Test
    void aRescanIsRefusedWhenTheQuotaHasNoRoomAndChangesNothing() {
        UUID id = scanning("tom", 600, 1000);
        life.giveUpScan(id, "scans failed");
        UUID other = initiate("tom", 500, 1000);
        assertThat(other).isNotNull();
        assertThatThrownBy(() -> life.rescan(id)).isInstanceOfSatisfying(Problem.class,
                p -> assertThat(p.code()).isEqualTo("quota_exceeded"));
        assertThat(repo.find(id).orElseThrow().status()).isEqualTo(FileStatus.REJECTED);
        assertThat(usage("tom").reservedBytes()).isEqualTo(500L);
    }

    @Test
    void onlyScanFailedRejectionsAndHeldFilesCanBeRescanned() {
        UUID limited = scanning("uma", 10, 1000);
        assertThat(life.rejectNotFullyScanned(limited, "MaxFiles", "not fully scanned")).isPresent();
        FileRecord f = repo.find(limited).orElseThrow();
        assertThat(f.reasonCode()).isEqualTo("too_large_to_scan");
        assertThat(f.scanResult()).isEqualTo("limits_exceeded");
        assertThat(f.scanLimit()).isEqualTo("MaxFiles");
        assertThat(life.rescan(limited)).as("rejected as not fully scanned: its object is gone").isEqualTo(FileLifecycle.Rescan.NOT_RESCANNABLE);
        assertThat(life.rescan(readyFile("uma", 10, 1000))).isEqualTo(FileLifecycle.Rescan.NOT_RESCANNABLE);
        assertThat(life.rescan(UUID.randomUUID())).isEqualTo(FileLifecycle.Rescan.NOT_FOUND);

        UUID held = scanning("uma", 10, 1000);
        life.holdNotFullyScanned(held, "MaxRecursion", "held for an operator");
        f = repo.find(held).orElseThrow();
        assertThat(f.status()).isEqualTo(FileStatus.SCANNING);
        assertThat(f.scanLimit()).isEqualTo("MaxRecursion");
        assertThat(f.reasonCode()).isEqualTo("too_large_to_scan");
        repo.now = repo.now.plusSeconds(3600);
        assertThat(repo.stuck(Duration.ofMinutes(5), 100)).doesNotContain(held);
        assertThat(life.rescan(held)).isEqualTo(FileLifecycle.Rescan.RELEASED);
        f = repo.find(held).orElseThrow();
        assertThat(f.scanResult()).isNull();
        assertThat(f.reasonCode()).isNull();
        assertThat(life.rescan(held)).isEqualTo(FileLifecycle.Rescan.NOT_RESCANNABLE);
    }
}
