package dev.stowage.bench;

import dev.stowage.images.ImageEngine;
import dev.stowage.images.JavaImageEngine;
import dev.stowage.images.VariantSpec;
import dev.stowage.images.VipsImageEngine;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The native-memory soak of {@code bench/images}: one engine renders thumb and medium of N images (the
 * list repeated as often as needed) with T threads, failures included, and prints the resident set size
 * every {@code --every} images, so a leak shows as RSS that keeps rising. Run it with a fixed, pre-touched
 * heap ({@code -Xms=-Xmx -XX:+AlwaysPreTouch}): the heap's pages are then resident from the start and the
 * RSS moves only with native memory (libvips, libwebp, malloc arenas).
 *
 * <pre>
 * java -Xms96m -Xmx96m -XX:+AlwaysPreTouch --enable-native-access=ALL-UNNAMED -cp ... dev.stowage.bench.ImageSoak \
 *     --engine vips|java --images 10000 --threads 2 --every 1000 --list FILE
 * </pre>
 *
 * <p>Output: one line per sample, {@code soak n=<images> rssKiB=<VmRSS> hwmKiB=<VmHWM> mallocKiB=<in use>
 * trackedAllocs=<n> errors=<n> ms=<elapsed>}, then {@code soak done ...}. {@code mallocKiB} is what the C
 * allocator has handed out and not had back (glibc {@code mallinfo2}: {@code uordblks + hblkhd}, every arena;
 * -1 elsewhere): unlike the RSS it does not move with arena fragmentation or with pages the allocator keeps
 * for reuse, so it is the figure a leak test can hold tight. Not a test: a main class kept in the test sources.
 */
public final class ImageSoak {

    private ImageSoak() {}

    public static void main(String[] argv) throws Exception {
        Map<String, String> args = new LinkedHashMap<>();
        for (int i = 0; i + 1 < argv.length; i += 2) args.put(argv[i].replaceFirst("^--", ""), argv[i + 1]);
        String engineName = args.getOrDefault("engine", "vips");
        int images = Integer.parseInt(args.getOrDefault("images", "10000"));
        int threads = Integer.parseInt(args.getOrDefault("threads", "1"));
        int every = Integer.parseInt(args.getOrDefault("every", "1000"));
        if (!args.containsKey("list")) throw new IllegalArgumentException("--list FILE is required");
        List<byte[]> sources = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(args.get("list")))) {
            if (!line.isBlank()) sources.add(Files.readAllBytes(Path.of(line.strip())));
        }
        ImageEngine engine = engineName.equals("java") ? new JavaImageEngine() : VipsImageEngine.load();
        List<VariantSpec> specs = List.of(VariantSpec.THUMB, VariantSpec.MEDIUM);

        AtomicInteger next = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        long t0 = System.nanoTime();
        sample(engine, 0, errors.get(), t0);
        Object lock = new Object();
        Runnable worker = () -> {
            int i;
            while ((i = next.getAndIncrement()) < images) {
                try {
                    engine.renderAll(sources.get(i % sources.size()), specs);
                } catch (IOException | RuntimeException e) {
                    errors.incrementAndGet();
                }
                int n = done.incrementAndGet();
                if (n % every == 0) {
                    synchronized (lock) {
                        sample(engine, n, errors.get(), t0);
                    }
                }
            }
        };
        List<Thread> ts = new ArrayList<>();
        for (int k = 0; k < threads; k++) ts.add(Thread.ofPlatform().name("soak-" + k).start(worker));
        for (Thread t : ts) t.join();
        System.out.printf(Locale.ROOT, "soak done engine=%s images=%d threads=%d errors=%d ms=%d hwmKiB=%d%n",
                engine.name(), images, threads, errors.get(), (System.nanoTime() - t0) / 1_000_000, status("VmHWM"));
    }

    private static void sample(ImageEngine engine, int n, int errors, long t0) {
        int tracked = engine instanceof VipsImageEngine v ? v.trackedAllocations() : -1;
        System.out.printf(Locale.ROOT, "soak n=%d rssKiB=%d hwmKiB=%d mallocKiB=%d trackedAllocs=%d errors=%d ms=%d%n",
                n, status("VmRSS"), status("VmHWM"), mallocInUseKiB(), tracked, errors, (System.nanoTime() - t0) / 1_000_000);
        System.out.flush();
    }

    private static final MethodHandle MALLINFO2 = Linker.nativeLinker().defaultLookup().find("mallinfo2")
            .map(f -> Linker.nativeLinker().downcallHandle(f,
                    FunctionDescriptor.of(MemoryLayout.structLayout(Collections.nCopies(10, ValueLayout.JAVA_LONG).toArray(MemoryLayout[]::new)))))
            .orElse(null);

    /** Bytes malloc has handed out and not had back, in KiB (glibc 2.33+ {@code mallinfo2}); -1 without it. */
    private static long mallocInUseKiB() {
        if (MALLINFO2 == null) return -1;
        try (Arena arena = Arena.ofConfined()) {
            // struct mallinfo2 { size_t arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost; }
            MemorySegment info = (MemorySegment) MALLINFO2.invokeExact((SegmentAllocator) arena);
            long hblkhd = info.getAtIndex(ValueLayout.JAVA_LONG, 4);
            long uordblks = info.getAtIndex(ValueLayout.JAVA_LONG, 7);
            return (hblkhd + uordblks) / 1024;
        } catch (Throwable e) {
            return -1;
        }
    }

    /** A {@code /proc/self/status} field in KiB, -1 when unavailable. */
    private static long status(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field + ":")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux
        }
        return -1;
    }
}
