package dev.stowage.testing;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Assumptions;

/**
 * The clamd test tier: a real clamd with the project's test signatures ({@code scripts/clamav/}), started
 * with {@code scripts/clamd.sh start}.
 *
 * <p>Found from the {@code STOWAGE_TEST_CLAMD_HOST} / {@code STOWAGE_TEST_CLAMD_PORT} environment
 * variables, else from {@code .ci-state/clamd/clamd.env}. When it is not there the test FAILS, unless the
 * run was started with {@code -Dstowage.tiers=embedded}, in which case it is skipped and says so (the same
 * rule as {@link TestServers#rgw()}).
 */
public final class TestClamd {
    /**
     * clamd's {@code StreamMaxLength} in {@code scripts/clamd.sh} (100M = 100 MiB), in bytes: the
     * {@code maxStreamBytes} a scanner for this clamd should use.
     */
    public static final long STREAM_MAX_BYTES = 100L * 1024 * 1024;

    /** clamd's {@code MaxFileSize} in {@code scripts/clamd.sh} (20M = 20 MiB), in bytes: a larger file is not fully scanned. */
    public static final long MAX_FILE_BYTES = 20L * 1024 * 1024;

    /** clamd's {@code MaxFiles} in {@code scripts/clamd.sh}: an archive with more members is not fully scanned. */
    public static final int MAX_FILES = 1000;

    /** clamd's {@code MaxRecursion} in {@code scripts/clamd.sh}: deeper archive nesting is not fully scanned. */
    public static final int MAX_RECURSION = 17;

    /** Names of the project's test signatures as clamd reports them (unsigned databases get {@code .UNOFFICIAL}). */
    public static final String EICAR_SIGNATURE = "Stowage.Test.EICAR-Body.UNOFFICIAL";
    public static final String TEST_FILE_SIGNATURE = "Stowage.Test.ClamAV-TestFile.UNOFFICIAL";

    private TestClamd() {}

    /**
     * Where the running test clamd listens.
     *
     * @param host its address
     * @param port its TCP port
     */
    public record Clamd(String host, int port) {}

    /**
     * The clamd tier.
     *
     * @return where it listens
     * @throws AssertionError when it is not running and the tier was not explicitly excluded
     */
    public static Clamd clamd() {
        Map<String, String> vars = new HashMap<>(System.getenv());
        Path envFile = TestServers.repoRoot().resolve(".ci-state/clamd/clamd.env");
        if (!vars.containsKey("STOWAGE_TEST_CLAMD_PORT") && Files.exists(envFile)) {
            var p = new Properties();
            try (Reader r = Files.newBufferedReader(envFile)) {
                p.load(r);
            } catch (IOException e) {
                throw new AssertionError("cannot read " + envFile + ": " + e);
            }
            p.forEach((k, v) -> vars.put(k.toString(), v.toString()));
        }
        String port = vars.get("STOWAGE_TEST_CLAMD_PORT");
        if (port == null || port.isBlank()) {
            String tiers = System.getProperty("stowage.tiers", "all");
            if (tiers.equals("embedded")) {
                System.err.println("clamd tier SKIPPED by -Dstowage.tiers=embedded");
                Assumptions.abort("clamd tier excluded by -Dstowage.tiers=embedded");
            }
            throw new AssertionError("the clamd test tier is not running: start it with 'scripts/clamd.sh start' "
                    + "(needs Debian clamav-daemon and clamav-testfiles), or exclude it with -Dstowage.tiers=embedded");
        }
        try {
            return new Clamd(vars.getOrDefault("STOWAGE_TEST_CLAMD_HOST", "127.0.0.1"), Integer.parseInt(port.strip()));
        } catch (NumberFormatException e) {
            throw new AssertionError("STOWAGE_TEST_CLAMD_PORT is not a port number: '" + port + "'");
        }
    }
}
