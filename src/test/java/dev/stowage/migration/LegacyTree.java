package dev.stowage.migration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stowage.testing.TestServers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Legacy trees built by the fixture script {@code make-uploads-tree.py} (in {@code src/test/resources/fixtures}). */
final class LegacyTree {
    private LegacyTree() {}

    /**
     * Builds a tree and returns the script's JSON summary (counts, bytes, paths of the special cases).
     *
     * @param args the script's options, e.g. {@code --users 4 --nasty}
     */
    static JsonNode make(Path root, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("python3", TestServers.fixture("make-uploads-tree.py").toString(), root.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) throw new AssertionError("make-uploads-tree.py failed: " + out);
        return new ObjectMapper().readTree(out);
    }
}
