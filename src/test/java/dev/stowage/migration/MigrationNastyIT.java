package dev.stowage.migration;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stowage.config.ConfigLoader;
import dev.stowage.config.StowageConfig;
import dev.stowage.testing.Harness;
import dev.stowage.testing.StowageProcess;
import dev.stowage.testing.TestServers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.text.Normalizer;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code stowage migrate} on the fixture script's {@code --nasty} tree, as an operator runs it (a separate
 * process against the embedded S3 server and PostgreSQL): a dry run writes nothing; the run gives every
 * special case its outcome; {@code verify} and {@code verify --deep} are clean; old links redirect.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MigrationNastyIT {
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path dir;
    static Path tree;
    static JsonNode made;
    static Map<String, String> env;
    static Harness h;
    /** Run as root without the capability to read any file, so the unreadable file is unreadable. */
    static List<String> withoutDacOverride;

    @BeforeAll
    static void start() throws Exception {
        tree = dir.resolve("uploads");
        made = LegacyTree.make(tree, "--users", "4", "--files-per-user", "6", "--large", "1", "--large-mib", "12", "--seed", "7", "--nasty");
        env = TestServers.embeddedEnv(Map.of());
        StowageConfig config = ConfigLoader.fromTree(new HashMap<>(), env, StowageConfig.Mode.PRODUCTION);
        h = new Harness(config, TestServers.embeddedCredentials());
        // small parts, so the 12 MiB file goes up as a multipart upload
        Files.writeString(dir.resolve("stowage.yaml"), "migration:\n  multipart_threshold_bytes: 5242880\n  part_size_bytes: 5242880\n  concurrency: 4\n");
        boolean root = "root".equals(System.getProperty("user.name"));
        withoutDacOverride = root && Files.isExecutable(Path.of("/usr/bin/setpriv"))
                ? List.of("setpriv", "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-dac_override,-dac_read_search", "--")
                : List.of();
    }

    @AfterAll
    static void stop() {
        if (h != null) h.close();
    }

    static StowageProcess.Result stowage(String... args) throws Exception {
        return StowageProcess.run(dir, env, withoutDacOverride, 300, args);
    }

    static long count(String sql) {
        return h.stowage.db().jdbi().withHandle(x -> x.createQuery(sql).mapTo(Long.class).one());
    }

    record Item(String display, String kind, String state, String outcome, String note, UUID fileId, String key, String sha, long size, byte[] path) {}

    static Map<String, Item> items() {
        Map<String, Item> out = new HashMap<>();
        h.stowage.db().jdbi().useHandle(x -> x.createQuery(
                        "select display_path, kind, state, outcome, note, file_id, object_key, sha256, coalesce(size_bytes, 0), path from migration_items")
                .map((rs, c) -> new Item(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                        rs.getObject(6, UUID.class), rs.getString(7), rs.getString(8), rs.getLong(9), rs.getBytes(10)))
                .forEach(i -> out.put(i.display(), i)));
        return out;
    }

    static String special(String label) {
        return made.at("/special/" + label).asText();
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    @Test
    @Order(1)
    void aDryRunReportsAndWritesNothing() throws Exception {
        var r = stowage("migrate", "run", "--source", tree.toString(), "--dry-run");
        assertThat(r.out()).startsWith("dry run of ").contains("nothing was written")
                .contains("symlink_loop", "symlink_dangling", "symlink_outside", "special_file", "ignored", "top_level_file", "not_a_user_dir");
        assertThat(count("select count(*) from migration_runs")).isZero();
        assertThat(count("select count(*) from migration_items")).isZero();
        assertThat(count("select count(*) from files")).isZero();
        assertThat(h.stowage.s3().client().listObjectsV2(b -> b.bucket(h.config.storage().buckets().raw())).contents()).isEmpty();
    }

    @Test
    @Order(2)
    void theNastyTreeMigratesWithAnOutcomeForEveryCase() throws Exception {
        var r = stowage("migrate", "run", "--source", tree.toString());
        assertThat(r.err()).doesNotContain("Exception");
        var items = items();
        // the walk journals every entry; regular files under users are all done except the unreadable one
        long regular = made.path("regular_files").asLong();

        // names: NFD and its NFC twin are two files with two keys; the exact original name is kept
        Item nfd = items.get(special("nfd_name")), nfc = items.get(special("nfc_twin"));
        assertThat(nfd.state()).isEqualTo("done");
        assertThat(nfd.note()).contains("name_nfd");
        assertThat(nfc.state()).isEqualTo("done");
        assertThat(nfd.fileId()).isNotEqualTo(nfc.fileId());
        assertThat(nfd.key()).isNotEqualTo(nfc.key()).endsWith("/Café crème.jpg");
        assertThat(nfc.key()).endsWith("/Café crème.jpg");
        var nfdRow = h.stowage.files().find(nfd.fileId()).orElseThrow();
        // both are named in NFC; the NFD one keeps its exact bytes
        assertThat(nfdRow.originalName()).isEqualTo(Normalizer.normalize("Café crème.jpg", Normalizer.Form.NFC));
        assertThat(h.stowage.files().find(nfc.fileId()).orElseThrow().originalName()).isEqualTo(nfdRow.originalName());
        byte[] nfdBytes = h.stowage.db().jdbi().withHandle(x -> x.createQuery("select original_name_bytes from files where id = :id")
                .bind("id", nfd.fileId()).mapTo(byte[].class).one());
        assertThat(nfdBytes).isEqualTo(Normalizer.normalize("Café crème.jpg", Normalizer.Form.NFD).getBytes(StandardCharsets.UTF_8));
        assertThat(nfdRow.source()).isEqualTo("migration");
        assertThat(nfdRow.status().id()).isEqualTo("ready");
        for (String label : List.of("cjk_name", "emoji_name", "punct_name", "leading_dash", "dotdot_like")) {
            Item i = items.get(special(label));
            assertThat(i.state()).as(label).isEqualTo("done");
            byte[] stored = h.stowage.s3().client().getObjectAsBytes(b -> b.bucket(h.config.storage().buckets().raw()).key(i.key())).asByteArray();
            assertThat(sha256(stored)).as(label).isEqualTo(i.sha());
        }
        // a 249-byte name: the key's name is cut to 200 bytes with its extension, the row keeps the whole name
        Item longName = items.get(special("long_name"));
        String keyName = longName.key().substring(longName.key().lastIndexOf('/') + 1);
        assertThat(keyName.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(200);
        assertThat(keyName).endsWith(".jpg");
        assertThat(h.stowage.files().find(longName.fileId()).orElseThrow().originalName()).isEqualTo("x".repeat(245) + ".jpg");
        // a name that is not UTF-8: migrated under a safe key, the raw bytes recorded
        String latin1 = special("nfd_name").substring(0, special("nfd_name").indexOf('/')) + "/résumé.pdf";
        Item bad = items.get(latin1);
        assertThat(bad.state()).isEqualTo("done");
        assertThat(bad.note()).contains("name_not_utf8");
        byte[] raw = "r\u00e9sum\u00e9.pdf".getBytes(StandardCharsets.ISO_8859_1);
        assertThat(new String(bad.path(), StandardCharsets.ISO_8859_1)).endsWith(new String(raw, StandardCharsets.ISO_8859_1));
        byte[] nameBytes = h.stowage.db().jdbi().withHandle(x -> x.createQuery("select original_name_bytes from files where id = :id")
                .bind("id", bad.fileId()).mapTo(byte[].class).one());
        assertThat(nameBytes).isEqualTo(raw);
        assertThat(bad.key()).endsWith("/résumé.pdf");
        // zero bytes
        Item empty = items.get(special("zero_byte"));
        assertThat(empty.state()).isEqualTo("done");
        assertThat(empty.sha()).isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assertThat(h.stowage.s3().client().headObject(b -> b.bucket(h.config.storage().buckets().raw()).key(empty.key())).contentLength()).isZero();
        // hidden system files: the ignore list
        assertThat(items.get(special("hidden")).outcome()).isEqualTo("ignored");
        assertThat(items.get(special("hidden")).state()).isEqualTo("skipped");
        // nested folders: the path is kept under the file id
        Item nested = items.get(special("nested"));
        assertThat(nested.state()).isEqualTo("done");
        assertThat(nested.key()).isEqualTo(special("nested").substring(0, 4) + "/" + nested.fileId() + "/avatars/2023/me.jpg");
        // duplicates and hard links: separate files with the same checksum
        Item d1 = items.get(made.at("/special/duplicates/0").asText()), d2 = items.get(made.at("/special/duplicates/1").asText());
        Item hard = items.get(special("hard_link"));
        assertThat(List.of(d1.state(), d2.state(), hard.state())).containsOnly("done");
        assertThat(d1.sha()).isEqualTo(d2.sha()).isEqualTo(hard.sha());
        assertThat(List.of(d1.fileId(), d2.fileId(), hard.fileId())).doesNotHaveDuplicates();
        assertThat(hard.note()).contains("hard_link");
        assertThat(h.stowage.files().find(hard.fileId()).orElseThrow().ownerId()).isEqualTo(special("hard_link").substring(0, 4));
        // links are never followed; each kind is reported
        assertThat(items.get(special("symlink_loop")).outcome()).isEqualTo("symlink_loop");
        assertThat(items.get(special("symlink_dangling")).outcome()).isEqualTo("symlink_dangling");
        assertThat(items.get(special("symlink_outside")).outcome()).isEqualTo("symlink_outside");
        // a named pipe is skipped and never opened (opening it for reading would have hung the run)
        Item fifo = items.get(special("fifo"));
        assertThat(fifo.kind()).isEqualTo("fifo");
        assertThat(fifo.outcome()).isEqualTo("special_file");
        // outside every user's folder
        assertThat(items.get(special("top_level_file")).outcome()).isEqualTo("top_level_file");
        assertThat(items.get(special("non_user_dir")).outcome()).isEqualTo("not_a_user_dir");
        // unreadable: reported, failed, retried by the next run; the run's exit code says so
        Item locked = items.get(special("unreadable"));
        if (!withoutDacOverride.isEmpty() || !"root".equals(System.getProperty("user.name"))) {
            assertThat(locked.state()).isEqualTo("failed");
            assertThat(locked.outcome()).isEqualTo("unreadable");
            assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(1);
            assertThat(r.out()).contains("unreadable", special("unreadable"), "1 file(s) could not be migrated");
        }
        long done = items.values().stream().filter(i -> i.state().equals("done")).count();
        long failed = items.values().stream().filter(i -> i.state().equals("failed")).count();
        // the script counts .DS_Store among its regular files (ignored here), not the hard link nor the unreadable file
        assertThat(done + failed).isEqualTo(regular - 1 + 2);
        for (String line : List.of("symlink_loop", "symlink_dangling", "symlink_outside", "special_file", "ignored", "top_level_file", "not_a_user_dir")) {
            assertThat(r.out()).contains(line);
        }
        // rows, objects and used bytes agree with the journal
        assertThat(count("select count(*) from files where source = 'migration' and status = 'ready'")).isEqualTo(done);
        assertThat(h.stowage.s3().client().listObjectsV2Paginator(b -> b.bucket(h.config.storage().buckets().raw())).contents().stream().count())
                .isEqualTo(done);
        assertThat(count("select count(*) from accounts a where used_bytes <> (select coalesce(sum(size_bytes), 0) from files f where f.owner_id = a.user_id and f.status = 'ready')"))
                .isZero();
        assertThat(count("select count(*) from accounts")).isEqualTo(made.path("users").asLong());
        // object metadata of the uploads issue
        var head = h.stowage.s3().client().headObject(b -> b.bucket(h.config.storage().buckets().raw()).key(nfd.key()));
        assertThat(head.metadata()).containsEntry("uploader-id", nfdRow.ownerId()).containsEntry("sha256", nfd.sha())
                .containsKey("uploaded-at").containsEntry("original-filename",
                dev.stowage.storage.FilenameSanitizer.metadataValue(Normalizer.normalize("Café crème.jpg", Normalizer.Form.NFD)));
        // the large file went up in parts and matches
        Item large = items.values().stream().filter(i -> i.display().endsWith("video-export-0.mp4")).findFirst().orElseThrow();
        assertThat(large.size()).isEqualTo(12L << 20);
        assertThat(large.state()).isEqualTo("done");

        // running again copies nothing more
        var again = stowage("migrate", "run", "--source", tree.toString());
        assertThat(again.out()).contains("this process copied 0 file(s)");
    }

    @Test
    @Order(3)
    void verifyAndDeepVerifyAreClean() throws Exception {
        // one user's part of the run (as after `run --users`): the user with the most files
        String user = h.stowage.db().jdbi().withHandle(x -> x.createQuery(
                "select user_id from migration_items where state = 'done' group by user_id order by count(*) desc, user_id limit 1")
                .mapTo(String.class).one());
        // four read-only commands, one after another in one JVM
        var results = StowageProcess.runEach(dir, env, withoutDacOverride, 300, List.of(new String[] {"migrate", "verify", "--source", tree.toString()},
                new String[] {"migrate", "verify", "--deep", "--json"}, new String[] {"migrate", "verify", "--users", user, "--json"},
                new String[] {"migrate", "status"}));
        var text = results.get(0);
        assertThat(text.exit()).as(text.out() + text.err()).isZero();
        assertThat(text.out()).contains("differ        0", "missing       0", "extra         0", "clean: every migrated file matches");
        var deep = results.get(1);
        assertThat(deep.exit()).as(deep.out() + deep.err()).isZero();
        JsonNode report = JSON.readTree(deep.out());
        assertThat(report.path("deep").asBoolean()).isTrue();
        assertThat(report.path("matched").asLong()).isEqualTo(count("select count(*) from migration_items where state = 'done'"));
        assertThat(report.path("findings")).isEmpty();
        assertThat(report.path("notMigrated").path("special_file").asLong()).isEqualTo(1);
        // that user's files only, all matching
        var one = results.get(2);
        assertThat(one.exit()).as(one.out() + one.err()).isZero();
        JsonNode oneReport = JSON.readTree(one.out());
        long usersFiles = count("select count(*) from migration_items where state = 'done' and user_id = '" + user + "'");
        assertThat(oneReport.path("matched").asLong()).isEqualTo(usersFiles).isLessThan(report.path("matched").asLong());
        assertThat(oneReport.path("findings")).isEmpty();
        var status = results.get(3);
        assertThat(status.exit()).isZero();
        assertThat(status.out()).contains("run ", tree.toRealPath().toString(), "migrated", "ETA");
    }

    @Test
    @Order(4)
    void imagesGetTheirVariantsFromTheWorker() throws Exception {
        UUID id = items().get(special("nfd_name")).fileId();
        long end = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        String status = null;
        while (System.nanoTime() < end) {
            status = h.stowage.files().find(id).orElseThrow().variantsStatus();
            if (!status.equals("pending")) break;
            Thread.sleep(200);
        }
        assertThat(status).isEqualTo("ready");
        assertThat(h.stowage.variants().list(id)).extracting(v -> v.name()).containsExactlyInAnyOrder("thumb", "medium", "original");
    }

    @Test
    @Order(5)
    void oldLinksRedirectToTheFileForItsOwnerOnly() throws Exception {
        var items = items();
        HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
        String user = special("nfd_name").substring(0, 4);
        record Case(String urlPath, UUID expected) {}
        List<Case> cases = List.of(
                new Case("/uploads/" + LegacyPath.percentEncode(special("nfd_name").getBytes(StandardCharsets.UTF_8)), items.get(special("nfd_name")).fileId()),
                new Case("/uploads/" + LegacyPath.percentEncode(special("nfc_twin").getBytes(StandardCharsets.UTF_8)), items.get(special("nfc_twin")).fileId()),
                new Case("/uploads/" + user + "/r%E9sum%E9.pdf", items.get(user + "/résumé.pdf").fileId()),
                new Case("/uploads/" + user + "/r%C3%A9sum%C3%A9.pdf", items.get(user + "/résumé.pdf").fileId()),
                new Case("/uploads/" + LegacyPath.percentEncode(special("nested").getBytes(StandardCharsets.UTF_8)), items.get(special("nested")).fileId()));
        for (Case c : cases) {
            var resp = http.send(HttpRequest.newBuilder(URI.create(h.base + c.urlPath())).header("Authorization", "Bearer " + Harness.token(
                    c.urlPath().split("/")[2], "free")).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(resp.statusCode()).as(c.urlPath() + " " + resp.body()).isEqualTo(301);
            assertThat(resp.headers().firstValue("Location")).contains("/v1/files/" + c.expected() + "/content");
            // and the content URL serves it to its owner
            var content = http.send(HttpRequest.newBuilder(URI.create(h.base + "/v1/files/" + c.expected() + "/content"))
                    .header("Authorization", "Bearer " + Harness.token(c.urlPath().split("/")[2], "free")).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(content.statusCode()).isEqualTo(302);
        }
        String url = h.base + cases.getFirst().urlPath();
        var other = http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + Harness.token("mallory", "free")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(other.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(other.body()).path("code").asText()).isEqualTo("not_found");
        var anonymous = http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(anonymous.statusCode()).isEqualTo(401);
        var never = http.send(HttpRequest.newBuilder(URI.create(h.base + "/uploads/" + user + "/no-such-file.jpg"))
                .header("Authorization", "Bearer " + Harness.token(user, "free")).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(never.statusCode()).isEqualTo(404);
    }

    @Test
    @Order(6)
    void verifyFindsAChangedFileAndAMissingObject() throws Exception {
        var items = items();
        Item changed = items.get(made.at("/special/duplicates/1").asText()); // not [0]: it has a hard link
        Files.write(LegacyPath.resolve(tree.toRealPath(), changed.path()), "more".getBytes(), java.nio.file.StandardOpenOption.APPEND);
        Item gone = items.get(special("cjk_name"));
        h.stowage.s3().client().deleteObject(b -> b.bucket(h.config.storage().buckets().raw()).key(gone.key()));
        var r = stowage("migrate", "verify");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).contains("differ        1", "missing       1", "NOT clean")
                .contains("differ   " + changed.display()).contains("missing  " + gone.display());
        // the changed file is copied again into the same file, and used bytes follow
        var again = stowage("migrate", "run", "--source", tree.toString());
        assertThat(again.out()).contains("this process copied 1 file(s)");
        var row = h.stowage.files().find(changed.fileId()).orElseThrow();
        assertThat(row.sizeBytes()).isEqualTo(changed.size() + 4);
        assertThat(count("select count(*) from accounts a where used_bytes <> (select coalesce(sum(size_bytes), 0) from files f where f.owner_id = a.user_id and f.status = 'ready')"))
                .isZero();
    }

    /** An empty source folder is refused with exit 2 before a run exists: status and a plain verify still see the earlier run. */
    @Test
    @Order(7)
    void anEmptySourceIsRefusedAndCreatesNoRun() throws Exception {
        long runs = count("select count(*) from migration_runs");
        Path empty = Files.createDirectories(dir.resolve("empty-tree"));
        var results = StowageProcess.runEach(dir, env, withoutDacOverride, 300, List.of(new String[] {"migrate", "run", "--source", empty.toString()},
                new String[] {"migrate", "status"}));
        var r = results.get(0);
        assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(2);
        assertThat(r.err()).contains("--source: ", "is empty").doesNotContain("\tat ");
        assertThat(count("select count(*) from migration_runs")).isEqualTo(runs);
        var status = results.get(1);
        assertThat(status.exit()).isZero();
        assertThat(status.out()).contains(tree.toRealPath().toString()).doesNotContain(empty.toString());
    }
}
