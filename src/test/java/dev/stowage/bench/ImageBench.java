package dev.stowage.bench;

import dev.stowage.images.ImageEngine;
import dev.stowage.images.ImageProbe;
import dev.stowage.images.JavaImageEngine;
import dev.stowage.images.RenderedVariant;
import dev.stowage.images.VariantSpec;
import dev.stowage.images.VipsImageEngine;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The Stowage side of {@code bench/images}: the three-variant job (thumb, medium, original) of the
 * variant pipeline over a list of files, with N worker threads, W warm-up passes and P measured passes.
 * Prints one JSON line shaped like the Sharp driver's ({@code bench/images/sharp_bench.js}): passMs,
 * passCpuMs, perFile (ms, last pass), sizes (bytes per variant, last pass), errors, plus the peak RSS
 * ({@code VmHWM}) of this process at the end.
 *
 * <p>The job per file is what {@code VariantService.generateAll} does once the source is in memory:
 * {@link ImageProbe#probe(byte[])} (the decode-limits check), thumb and medium with
 * {@link ImageEngine#renderAll} ({@code --mode all}, the default) and {@link ImageEngine#original(byte[])}
 * for the original (the lossless metadata strip for JPEG, PNG, GIF and WebP, with either engine).
 * {@code --engine java} (the default) is {@link JavaImageEngine}, {@code --engine vips} {@link VipsImageEngine}.
 * {@code --mode separate} renders thumb and medium with two
 * {@link ImageEngine#render} calls instead (one decode each), as the on-demand path does when it makes one
 * variant at a time.
 *
 * <pre>
 * java [JVM flags, see bench/images/README.md] -cp ... dev.stowage.bench.ImageBench \
 *     --threads N --passes P --warmup W --list FILE [--out DIR] [--mode all|separate] [--engine java|vips]
 * </pre>
 *
 * <p>Not a test: a main class kept in the test sources so that it builds with the project and uses its
 * test classpath.
 */
public final class ImageBench {

    private ImageBench() {}

    record Sizes(int thumb, int medium, int orig) {}

    record Pass(double ms, double cpuMs, Map<String, Double> perFile, Map<String, String> errors, Map<String, Sizes> sizes) {}

    public static void main(String[] argv) throws Exception {
        Map<String, String> args = new LinkedHashMap<>();
        for (int i = 0; i + 1 < argv.length; i += 2) args.put(argv[i].replaceFirst("^--", ""), argv[i + 1]);
        int threads = Integer.parseInt(args.getOrDefault("threads", "1"));
        int passes = Integer.parseInt(args.getOrDefault("passes", "1"));
        int warmup = Integer.parseInt(args.getOrDefault("warmup", "0"));
        String mode = args.getOrDefault("mode", "all");
        if (!mode.equals("all") && !mode.equals("separate")) throw new IllegalArgumentException("--mode all|separate");
        if (!args.containsKey("list")) throw new IllegalArgumentException("--list FILE is required");
        Path out = args.containsKey("out") ? Path.of(args.get("out")) : null;
        List<Path> files = Files.readAllLines(Path.of(args.get("list"))).stream()
                .filter(s -> !s.isBlank()).map(Path::of).toList();
        if (out != null) Files.createDirectories(out);

        String engineName = args.getOrDefault("engine", "java");
        ImageEngine engine = switch (engineName) {
            case "java" -> new JavaImageEngine();
            case "vips" -> VipsImageEngine.load();
            default -> throw new IllegalArgumentException("--engine java|vips");
        };
        for (int i = 0; i < warmup; i++) runPass(engine, files, threads, mode, null);
        List<Pass> res = new ArrayList<>();
        for (int i = 0; i < passes; i++) res.add(runPass(engine, files, threads, mode, i == passes - 1 ? out : null));
        Pass last = res.getLast();

        StringBuilder j = new StringBuilder(4096);
        j.append("{\"engine\":").append(str(engine.name())).append(",\"impl\":")
                .append(str(engine instanceof VipsImageEngine v ? "libvips " + v.libvipsVersion() : engine.name()))
                .append(",\"mode\":").append(str(mode))
                .append(",\"java\":").append(str(Runtime.version().toString()))
                .append(",\"vmArgs\":").append(str(String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments())))
                .append(",\"maxHeapMiB\":").append(Runtime.getRuntime().maxMemory() >> 20)
                .append(",\"threads\":").append(threads)
                .append(",\"passMs\":").append(nums(res.stream().map(Pass::ms).toList()))
                .append(",\"passCpuMs\":").append(nums(res.stream().map(Pass::cpuMs).toList()))
                .append(",\"perFile\":{");
        sep(j, last.perFile(), (k, v) -> j.append(str(k)).append(':').append(fmt(v)));
        j.append("},\"errors\":{");
        sep(j, last.errors(), (k, v) -> j.append(str(k)).append(':').append(str(v)));
        j.append("},\"sizes\":{");
        sep(j, last.sizes(), (k, v) -> j.append(str(k)).append(":{\"thumb\":").append(v.thumb())
                .append(",\"medium\":").append(v.medium()).append(",\"orig\":").append(v.orig()).append('}'));
        j.append("},\"vmHwmKiB\":").append(vmHwmKiB()).append('}');
        System.out.println(j);
    }

    private static Pass runPass(ImageEngine engine, List<Path> files, int threads, String mode, Path out) throws InterruptedException {
        Map<String, Double> perFile = new ConcurrentHashMap<>();
        Map<String, String> errors = new ConcurrentHashMap<>();
        Map<String, Sizes> sizes = new ConcurrentHashMap<>();
        AtomicInteger next = new AtomicInteger();
        Runnable worker = () -> {
            int i;
            while ((i = next.getAndIncrement()) < files.size()) {
                Path f = files.get(i);
                String name = f.getFileName().toString();
                long t0 = System.nanoTime();
                try {
                    sizes.put(name, job(engine, f, mode, out));
                } catch (Exception | OutOfMemoryError e) {
                    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
                    errors.put(name, m.lines().findFirst().orElse(""));
                }
                perFile.put(name, (System.nanoTime() - t0) / 1e6);
            }
        };
        long cpu0 = processCpuNanos();
        long t0 = System.nanoTime();
        List<Thread> ts = new ArrayList<>();
        for (int k = 0; k < threads; k++) ts.add(Thread.ofPlatform().name("bench-" + k).start(worker));
        for (Thread t : ts) t.join();
        double ms = (System.nanoTime() - t0) / 1e6;
        double cpuMs = (processCpuNanos() - cpu0) / 1e6;
        return new Pass(ms, cpuMs, new TreeMap<>(perFile), new TreeMap<>(errors), new TreeMap<>(sizes));
    }

    private static Sizes job(ImageEngine engine, Path file, String mode, Path out) throws IOException {
        byte[] src = Files.readAllBytes(file);
        ImageProbe.probe(src); // the decode-limits check VariantService makes first
        RenderedVariant thumb;
        RenderedVariant medium;
        if (mode.equals("all")) {
            List<RenderedVariant> v = engine.renderAll(src, List.of(VariantSpec.THUMB, VariantSpec.MEDIUM));
            thumb = v.get(0);
            medium = v.get(1);
        } else {
            thumb = engine.render(src, VariantSpec.THUMB);
            medium = engine.render(src, VariantSpec.MEDIUM);
        }
        RenderedVariant original = engine.original(src);
        byte[] orig = original.bytes();
        if (out != null) {
            String base = file.getFileName().toString().replaceFirst("\\.[^.]+$", "");
            String ext = original.extension();
            Files.write(out.resolve(base + ".thumb.webp"), thumb.bytes());
            Files.write(out.resolve(base + ".medium.webp"), medium.bytes());
            Files.write(out.resolve(base + ".orig." + ext), orig);
        }
        return new Sizes(thumb.bytes().length, medium.bytes().length, orig.length);
    }

    private static long processCpuNanos() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime() : 0;
    }

    /** Peak resident set size of this process so far (Linux), -1 elsewhere. */
    private static long vmHwmKiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux
        }
        return -1;
    }

    private static <V> void sep(StringBuilder j, Map<String, V> m, java.util.function.BiConsumer<String, V> each) {
        boolean first = true;
        for (Map.Entry<String, V> e : m.entrySet()) {
            if (!first) j.append(',');
            first = false;
            each.accept(e.getKey(), e.getValue());
        }
    }

    private static String nums(List<Double> v) {
        return "[" + String.join(",", v.stream().map(ImageBench::fmt).toList()) + "]";
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }

    private static String str(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }
}
