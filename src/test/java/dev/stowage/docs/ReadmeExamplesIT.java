package dev.stowage.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stowage.config.ConfigLoader;
import dev.stowage.config.StowageConfig;
import dev.stowage.dev.DevStack;
import dev.stowage.testing.Http;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The examples the README shows work as pasted: {@code docs/examples/upload.sh}, {@code multipart.sh} and
 * {@code files.sh} run as separate processes (bash, curl, python3) against a real {@code stowage dev} stack
 * (embedded PostgreSQL and S3 server, API and worker), with the scripts' defaults except the URL: no
 * {@code STOWAGE_TOKEN}, so they fetch their own dev token the way a newcomer's first run does. The inputs are
 * generated here (random bytes). The README's command blocks are checked to be the scripts' own lines.
 */
class ReadmeExamplesIT {
    private static final Path HOME = Path.of("").toAbsolutePath();
    private static final Path EXAMPLES = HOME.resolve("docs/examples");
    private static final Pattern READY = Pattern.compile("(?m)^ready +([0-9a-f-]{36}) ");
    private static final Pattern DOWNLOADED = Pattern.compile("(?m)^downloaded (\\S+): sha256 ([0-9a-f]{64}) \\(same bytes as ");

    @TempDir
    static Path data;

    private static DevStack stack;
    private static String url;
    /** PATH for the scripts: the directory of the real python3 first (a version manager's shim costs a second a call). */
    private static String path;

    @TempDir
    Path dir;

    /** What a finished script left. */
    record Run(int exit, String out, String err) {}

    @BeforeAll
    static void startDevStack() throws Exception {
        for (String tool : List.of("bash", "curl", "python3")) {
            assertThat(onPath(tool)).as("%s is needed to run the README's examples (apt-get install %s)", tool, tool).isTrue();
        }
        path = pythonDirectory() + java.io.File.pathSeparator + System.getenv("PATH");
        stack = DevStack.start(ConfigLoader.load(null, Map.of(), StowageConfig.Mode.DEV), data.resolve("stowage-data"),
                new DevStack.Ports(0, 0, 0));
        url = "http://localhost:" + stack.stowage().api().port();
    }

    @AfterAll
    static void stopDevStack() {
        if (stack != null) stack.close();
    }

    private static String pythonDirectory() throws Exception {
        Process p = new ProcessBuilder("python3", "-c", "import os, sys; print(os.path.dirname(sys.executable))").start();
        String dir = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor()).isZero();
        return dir;
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) return true;
        }
        return false;
    }

    /** Runs {@code docs/examples/script args…} in {@link #dir}, as a user would, against the dev stack. */
    private Run script(String script, String... args) throws Exception {
        var cmd = new ArrayList<>(List.of("bash", EXAMPLES.resolve(script).toString()));
        cmd.addAll(List.of(args));
        Path out = dir.resolve(script + ".out"), err = dir.resolve(script + ".err");
        var pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("STOWAGE_"));
        pb.environment().put("STOWAGE_URL", url);
        pb.environment().put("PATH", path);
        Process p = pb.start();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(script + " did not end within 300 s");
        }
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    /** Random bytes as base64 lines: a text/plain file of at least {@code bytes} bytes. */
    private Path textFile(String name, int bytes, long seed) throws Exception {
        byte[] random = new byte[bytes * 3 / 4 + 3];
        new Random(seed).nextBytes(random);
        Path f = dir.resolve(name);
        Files.writeString(f, Base64.getMimeEncoder().encodeToString(random) + "\n", StandardCharsets.US_ASCII);
        return f;
    }

    private static String group(Pattern p, String text, int group) {
        Matcher m = p.matcher(text);
        assertThat(m.find()).as("output has a line matching %s:%n%s", p, text).isTrue();
        return m.group(group);
    }

    /** The file as the API shows it to the dev user. */
    private static String fileJson(String id) {
        var r = Http.get(url + "/v1/files/" + id, "Authorization", "Bearer " + stack.devToken("dev-user"));
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    /**
     * {@code upload.sh}: initiate, PUT with exactly the returned headers, complete, poll until ready, download;
     * the downloaded bytes are the source's.
     */
    @Test
    void singleUploadExampleWorksAsPasted() throws Exception {
        Path source = textFile("notes.txt", 200_000, 1);
        Run r = script("upload.sh", source.toString());
        assertThat(r.exit()).as("exit code; stdout:%n%s%nstderr:%n%s", r.out(), r.err()).isZero();
        assertThat(r.out()).contains("single upload of " + Files.size(source) + " bytes as text/plain");
        String id = group(READY, r.out(), 1);
        Path downloaded = Path.of(group(DOWNLOADED, r.out(), 1));
        assertThat(downloaded).isEqualTo(source.resolveSibling("notes.txt.downloaded"));
        assertThat(sha256(downloaded)).isEqualTo(sha256(source)).isEqualTo(group(DOWNLOADED, r.out(), 2));
        assertThat(fileJson(id)).contains("\"status\":\"ready\"", "\"variantsStatus\":\"none\"");
    }

    /**
     * {@code multipart.sh}: a file over 10 MB goes up in parts (each URL signed by the API, each part PUT with
     * curl adding no Content-Type), is completed, becomes ready, and downloads with the source's SHA-256.
     */
    @Test
    void multipartUploadExampleWorksAsPasted() throws Exception {
        Path source = textFile("large.txt", 12_000_000, 2);
        long size = Files.size(source);
        assertThat(size).isGreaterThan(10_000_000L);
        Run r = script("multipart.sh", source.toString());
        assertThat(r.exit()).as("exit code; stdout:%n%s%nstderr:%n%s", r.out(), r.err()).isZero();
        long parts = (size + 5_242_880 - 1) / 5_242_880;
        assertThat(r.out()).contains("multipart upload of " + size + " bytes as text/plain, " + parts + " parts of 5242880 bytes")
                .contains("stored     " + parts + " of " + parts + " parts")
                .contains("part " + parts + "     " + (size - (parts - 1) * 5_242_880) + " bytes stored");
        String id = group(READY, r.out(), 1);
        Path downloaded = Path.of(group(DOWNLOADED, r.out(), 1));
        assertThat(Files.size(downloaded)).isEqualTo(size);
        assertThat(sha256(downloaded)).isEqualTo(sha256(source));
        assertThat(fileJson(id)).contains("\"status\":\"ready\"", "\"size\":" + size);
    }

    /**
     * {@code files.sh} on an image uploaded with {@code upload.sh}: the file is listed, its variants are made
     * and a thumbnail fetched, usage is shown, and it is deleted (used bytes drop) and restored.
     */
    @Test
    void filesExampleListsFetchesAThumbnailDeletesAndRestores() throws Exception {
        var img = new BufferedImage(64, 48, BufferedImage.TYPE_INT_RGB);
        var random = new Random(3);
        for (int y = 0; y < img.getHeight(); y++) for (int x = 0; x < img.getWidth(); x++) img.setRGB(x, y, random.nextInt(1 << 24));
        Path photo = dir.resolve("photo.png");
        ImageIO.write(img, "png", photo.toFile());
        Run up = script("upload.sh", photo.toString());
        assertThat(up.exit()).as("upload.sh; stdout:%n%s%nstderr:%n%s", up.out(), up.err()).isZero();
        String id = group(READY, up.out(), 1);

        Run r = script("files.sh", id);
        assertThat(r.exit()).as("files.sh; stdout:%n%s%nstderr:%n%s", r.out(), r.err()).isZero();
        assertThat(r.out()).containsPattern("(?m)^list +" + id + " +ready +" + Files.size(photo) + " bytes +photo\\.png$")
                .containsPattern("(?m)^variants +ready: .*thumb 150x150 image/webp")
                .containsPattern("(?m)^usage +plan free: \\d+ bytes used")
                .contains("deleted    status deleted", "restored   status ready");
        assertThat(ImageIO.read(dir.resolve("thumb.webp").toFile()).getWidth()).isEqualTo(150);
        long used = Long.parseLong(group(Pattern.compile("(?m)^usage .*: (\\d+) bytes used"), r.out(), 1));
        assertThat(r.out()).contains("deleted    status deleted, " + (used - Files.size(photo)) + " bytes used")
                .contains("restored   status ready, " + used + " bytes used");
        assertThat(fileJson(id)).contains("\"status\":\"ready\"");
    }

    /** {@code files.sh} on a file that is not an image explains {@code variantsStatus: none}: no variants are made. */
    @Test
    void filesExampleExplainsVariantsStatusNoneForAFileThatIsNotAnImage() throws Exception {
        Path source = textFile("readme.txt", 1_000, 4);
        Run up = script("upload.sh", source.toString());
        assertThat(up.exit()).as("upload.sh; stdout:%n%s%nstderr:%n%s", up.out(), up.err()).isZero();
        Run r = script("files.sh", group(READY, up.out(), 1));
        assertThat(r.exit()).as("files.sh; stdout:%n%s%nstderr:%n%s", r.out(), r.err()).isZero();
        assertThat(r.out()).contains("variants   none: not an image, Stowage makes no variants for it");
    }

    /**
     * Every command block of README.md preceded by {@code <!-- example: docs/examples/NAME -->} consists of
     * lines of that script (comments aside), so what the README shows is what this test runs.
     */
    @Test
    void readmeShowsTheScriptsOwnLines() throws Exception {
        String readme = Files.readString(HOME.resolve("README.md"), StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("<!-- example: (docs/examples/[a-z]+\\.sh) -->\\s*```sh\\n(.*?)```", Pattern.DOTALL).matcher(readme);
        int blocks = 0;
        while (m.find()) {
            blocks++;
            List<String> script = Files.readAllLines(HOME.resolve(m.group(1))).stream().map(String::strip).toList();
            for (String line : m.group(2).split("\n")) {
                String l = line.strip();
                if (l.isEmpty() || l.startsWith("#")) continue;
                assertThat(script).as("README line of %s", m.group(1)).contains(l);
            }
        }
        assertThat(blocks).as("README blocks marked as examples").isGreaterThanOrEqualTo(2);
    }
}
