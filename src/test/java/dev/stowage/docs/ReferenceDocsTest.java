package dev.stowage.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.cli.Main;
import dev.stowage.config.ConfigLoader;
import dev.stowage.files.FileStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The reference pages under {@code docs/} name everything the code has: every problem code raised in the
 * sources and every file status ({@code docs/api.md}), every configuration key of
 * {@code stowage.example.yaml} and every environment variable the configuration reads
 * ({@code docs/configuration.md}), every command and option of the command line ({@code docs/cli.md}). A
 * code, key or option added without its documentation fails here.
 */
class ReferenceDocsTest {
    private static String page(String name) throws IOException {
        return Files.readString(Path.of("docs", name), StandardCharsets.UTF_8);
    }

    /** Every code of the problem catalogue has a row, with its HTTP status, in the problem code table of {@code docs/api.md}. */
    @Test
    void apiPageListsEveryProblemCode() throws IOException {
        String api = page("api.md");
        String table = api.substring(api.indexOf("## Problem codes"), api.indexOf("\n## ", api.indexOf("## Problem codes") + 3));
        for (dev.stowage.problems.ProblemCode c : dev.stowage.problems.ProblemCode.values()) {
            assertThat(table.lines().filter(l -> l.contains("`" + c.code() + "`")).toList())
                    .as("problem code table row of " + c.code()).anySatisfy(l -> assertThat(l).contains(Integer.toString(c.status())));
        }
    }

    /** Every file status has a row in the status table of {@code docs/api.md}. */
    @Test
    void apiPageExplainsEveryFileStatus() throws IOException {
        String api = page("api.md");
        for (FileStatus s : FileStatus.values()) assertThat(api).contains("| `" + s.id() + "` |");
    }

    /** Every environment variable the configuration reads is on {@code docs/configuration.md}, beside its key. */
    @Test
    void configurationPageNamesEveryEnvironmentVariable() throws IOException {
        String cfg = page("configuration.md");
        ConfigLoader.ENV_OVERRIDES.forEach((env, key) -> {
            boolean beside = cfg.lines().anyMatch(l -> l.contains("`" + env + "`")
                    && (l.contains("`" + key + "`") || l.contains("(environment only)")));
            assertThat(beside).as("a row with `%s` and `%s`", env, key).isTrue();
        });
    }

    /**
     * Every key of {@code stowage.example.yaml}, those commented out included, is on
     * {@code docs/configuration.md}: by its dotted name, for the per-bucket lifecycle keys
     * ({@code bucket_settings.raw.transition_days}) by its own name in the per-bucket table, and for the
     * example plans of {@code uploads.quotas} as {@code plan: bytes}.
     */
    @Test
    void configurationPageNamesEveryKeyOfTheExampleFile() throws IOException {
        String cfg = page("configuration.md");
        List<String> keys = exampleKeys();
        assertThat(keys).as("keys found in the example file").contains("http.port", "auth.jwt_secret", "bucket_settings.raw.versioning",
                "costs.thresholds.monthly_usd", "migration.max_attempts");
        for (String key : keys) {
            Matcher perBucket = Pattern.compile("bucket_settings\\.(raw|processed|backups|logs)\\.([a-z_]+)").matcher(key);
            if (perBucket.matches()) assertThat(cfg).as(key).contains("| `" + perBucket.group(2) + "` |");
            else if (key.startsWith("uploads.quotas.")) assertThat(cfg).as(key).contains("`uploads.quotas`").contains(key.substring(15) + ": ");
            else assertThat(cfg).contains("`" + key + "`");
        }
    }

    /** Dotted names of the keys in {@code stowage.example.yaml}, including the commented-out ones ({@code # key: value}). */
    private static List<String> exampleKeys() throws IOException {
        Pattern line = Pattern.compile("^( *)(?:# )?([a-z_]+):(?: |$)");
        Deque<int[]> indents = new ArrayDeque<>();
        Deque<String> path = new ArrayDeque<>();
        List<String> keys = new ArrayList<>();
        List<String> sections = new ArrayList<>();
        for (String l : Files.readAllLines(Path.of("stowage.example.yaml"))) {
            Matcher m = line.matcher(l);
            if (!m.find()) continue;
            int indent = m.group(1).length();
            while (!indents.isEmpty() && indents.peek()[0] >= indent) {
                indents.pop();
                path.pop();
            }
            String name = String.join(".", path.reversed()) + (path.isEmpty() ? "" : ".") + m.group(2);
            String rest = l.substring(m.end()).strip();
            if (rest.isEmpty() || rest.startsWith("#")) {
                sections.add(name);
                indents.push(new int[] {indent});
                path.push(m.group(2));
            } else {
                keys.add(name);
            }
        }
        // a "section" without children is a key whose value is a list on the next lines (allowed_origins)
        for (String s : sections) if (keys.stream().noneMatch(k -> k.startsWith(s + ".")) && sections.stream().noneMatch(t -> t.startsWith(s + "."))) keys.add(s);
        return keys;
    }

    /** Every command and every option of the command line is on {@code docs/cli.md}. */
    @Test
    void cliPageNamesEveryCommandAndOption() throws IOException {
        String cli = page("cli.md");
        Deque<CommandLine> todo = new ArrayDeque<>(new CommandLine(new Main()).getSubcommands().values());
        int commands = 0;
        while (!todo.isEmpty()) {
            CommandLine c = todo.pop();
            todo.addAll(c.getSubcommands().values());
            String name = c.getCommandSpec().qualifiedName(" ");
            if (name.equals("stowage help")) continue;
            commands++;
            CommandLine parent = c.getParent();
            // "`stowage buckets plan`", or "`stowage backup run` / `list`" for a subcommand named beside its sibling
            boolean named = cli.contains("`" + name) || parent.getParent() != null
                    && cli.contains("`" + parent.getCommandSpec().qualifiedName(" ")) && cli.contains("`" + c.getCommandName());
            assertThat(named).as("cli.md names %s", name).isTrue();
            for (CommandLine.Model.OptionSpec o : c.getCommandSpec().options()) {
                if (o.usageHelp() || o.versionHelp()) continue;
                assertThat(cli).as("cli.md names option %s of %s", o.longestName(), name).contains("`" + o.longestName());
            }
            for (CommandLine.Model.PositionalParamSpec p : c.getCommandSpec().positionalParameters()) {
                assertThat(cli).as("cli.md names parameter %s of %s", p.paramLabel(), name).contains(p.paramLabel());
            }
        }
        assertThat(commands).isGreaterThan(15);
    }
}
