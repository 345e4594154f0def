package dev.stowage.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** {@link Fixtures}: the fixtures folder and its MANIFEST.md agree, and the generated files are in place. */
class FixturesTest {

    @Test
    void everyFixtureHasAManifestRowAndEveryRowAFile() throws IOException {
        Path root = Fixtures.root();
        Set<String> files = new TreeSet<>();
        try (Stream<Path> s = Files.walk(root)) {
            s.filter(Files::isRegularFile).map(p -> root.relativize(p).toString().replace('\\', '/'))
                    .filter(n -> !n.equals("MANIFEST.md") && !n.startsWith(".generating-")).forEach(files::add);
        }
        Set<String> rows = new TreeSet<>();
        for (String line : Files.readAllLines(root.resolve("MANIFEST.md"))) {
            if (!line.startsWith("| ")) continue;
            String first = line.substring(2, line.indexOf('|', 2)).trim();
            if (!first.equals("file")) rows.add(first);
        }
        assertThat(rows).as("first column of MANIFEST.md's tables").isEqualTo(files);
        assertThat(files).containsAll(Fixtures.GENERATED).contains("make-uploads-tree.py", "docs/libtasn1.pdf");
    }

    @Test
    void generatedFixturesAreNotCommittedAndAreWhatTheirNamesSay() throws IOException {
        for (String g : Fixtures.GENERATED) {
            assertThat(TestServers.repoRoot().resolve("src/test/resources/fixtures").resolve(g)).as(g).doesNotExist();
        }
        byte[] storm = Files.readAllBytes(Fixtures.path("images/photos/mate_Storm.jpg"));
        assertThat(Files.readAllBytes(Fixtures.path(Fixtures.TRUNCATED_STORM))).isEqualTo(Arrays.copyOf(storm, storm.length / 2));
        assertThat(Files.size(Fixtures.path(Fixtures.BOMB_HEADER_ONLY))).isEqualTo(274);
        byte[] bomb = Files.readAllBytes(Fixtures.path(Fixtures.BOMB_1BIT));
        // IHDR: 50000 x 50000, bit depth 1, greyscale
        assertThat(Arrays.copyOfRange(bomb, 16, 26)).containsExactly(0, 0, 0xC3, 0x50, 0, 0, 0xC3, 0x50, 1, 0);
    }
}
