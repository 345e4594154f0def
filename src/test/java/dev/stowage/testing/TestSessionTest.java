package dev.stowage.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What an interrupted run left is stopped by the next one; nothing else is touched. */
class TestSessionTest {
    @TempDir
    Path dir;

    @Test
    void aProcessNamingAPathUnderTheFolderIsStoppedAndOthersAreNot() throws Exception {
        Process left = new ProcessBuilder("sh", "-c", "sleep 300", dir.resolve("pg/data").toString()).start();
        Process other = new ProcessBuilder("sh", "-c", "sleep 300", dir.resolveSibling(dir.getFileName() + "-other").toString()).start();
        try {
            assertThat(TestSession.stopLeftovers(dir)).isEqualTo(1);
            assertThat(left.waitFor(10, TimeUnit.SECONDS)).as("the leftover ended").isTrue();
            assertThat(other.isAlive()).as("a process under another folder").isTrue();
            assertThat(TestSession.stopLeftovers(dir)).as("nothing left the second time").isZero();
        } finally {
            left.destroyForcibly();
            other.destroyForcibly();
        }
    }
}
