package dev.stowage.migration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.Stowage;
import dev.stowage.buckets.BucketPlanner;
import dev.stowage.config.StowageConfig;
import dev.stowage.testing.TestServers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Migration follows the upload rules for edge inputs: an empty file is migrated unless it is named as an image; names are stored in NFC. */
class MigrationEdgeInputsIT {
    @TempDir
    Path dir;

    @Test
    void anEmptyJpgIsSkippedAnEmptyTxtMigratedAndNfdNamesStoredInNfc() throws Exception {
        StowageConfig config = TestServers.embeddedConfig(Map.of());
        Path tree = dir.resolve("uploads");
        Path user = Files.createDirectories(tree.resolve("edge7"));
        Files.write(user.resolve("empty.txt"), new byte[0]);
        Files.write(user.resolve("empty.jpg"), new byte[0]);
        String nfd = "Re\u0301sume\u0301.pdf";
        String nfc = "R\u00e9sum\u00e9.pdf";
        Files.writeString(user.resolve(nfd), "%PDF-1.4\n%%EOF\n");
        Files.writeString(user.resolve(nfc), "%PDF-1.4\n%%EOF\n");
        try (Stowage s = new Stowage(config, TestServers.embeddedCredentials())) {
            new BucketPlanner(s.store(), config.storage()).apply();
            var summary = s.migration().run(new MigrationService.Options(tree, 2, null, false), Progress.none());
            assertThat(summary.failed()).isZero();
            var rows = s.db().jdbi().withHandle(h -> h.createQuery("""
                            select i.display_path, i.state, i.outcome, f.status, f.size_bytes, f.original_name, f.original_name_bytes
                            from migration_items i left join files f on f.id = i.file_id
                            where i.user_id = 'edge7' and i.kind = 'file' order by i.display_path""").mapToMap().list());
            var byPath = new java.util.HashMap<String, Map<String, Object>>();
            rows.forEach(r -> byPath.put((String) r.get("display_path"), r));

            var emptyJpg = byPath.get("edge7/empty.jpg");
            assertThat(emptyJpg.get("state")).as(rows.toString()).isEqualTo("skipped");
            assertThat(emptyJpg.get("outcome")).isEqualTo("empty_image");
            assertThat(emptyJpg.get("status")).isNull();

            var emptyTxt = byPath.get("edge7/empty.txt");
            assertThat(emptyTxt.get("status")).as(rows.toString()).isEqualTo("ready");
            assertThat(((Number) emptyTxt.get("size_bytes")).longValue()).isZero();

            var fromNfd = byPath.get("edge7/" + nfd);
            var fromNfc = byPath.get("edge7/" + nfc);
            assertThat(fromNfd.get("original_name")).as(rows.toString()).isEqualTo(nfc);
            assertThat(fromNfc.get("original_name")).isEqualTo(nfc);
            assertThat((byte[]) fromNfd.get("original_name_bytes")).isEqualTo(nfd.getBytes(StandardCharsets.UTF_8));
            assertThat(fromNfc.get("original_name_bytes")).isNull();
        }
    }
}
