package dev.stowage.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stowage.cli.Main;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Runs several {@code stowage} commands one after another in one JVM, as {@link Main#main} runs one: each
 * with a new command line, its standard output and error in files of its own and the exit code
 * {@link Main#run} returns (the code {@code main} exits with). One JVM start instead of one per command;
 * {@link StowageProcess#runEach} starts it.
 *
 * <p>Argument: a folder holding {@code commands.json} (an array of argument arrays); command {@code i} leaves
 * {@code i.out}, {@code i.err} and {@code i.exit} there.
 */
public final class CliBatch {
    private CliBatch() {}

    /** @param args the folder of {@code commands.json} */
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        String[][] commands = new ObjectMapper().readValue(dir.resolve("commands.json").toFile(), String[][].class);
        PrintStream stdout = System.out, stderr = System.err;
        for (int i = 0; i < commands.length; i++) {
            int exit;
            try (var out = new PrintStream(Files.newOutputStream(dir.resolve(i + ".out")), true, StandardCharsets.UTF_8);
                 var err = new PrintStream(Files.newOutputStream(dir.resolve(i + ".err")), true, StandardCharsets.UTF_8)) {
                System.setOut(out);
                System.setErr(err);
                exit = Main.run(commands[i]);
            } finally {
                System.setOut(stdout);
                System.setErr(stderr);
            }
            Files.writeString(dir.resolve(i + ".exit"), Integer.toString(exit));
        }
        System.exit(0);
    }

    /** The commands as {@code commands.json} holds them. */
    static void write(Path dir, List<String[]> commands) throws java.io.IOException {
        new ObjectMapper().writeValue(dir.resolve("commands.json").toFile(), commands);
    }
}
