package dev.stowage.migration;

import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress of a {@code migrate run}: a progress bar (files, bytes, rate, ETA) on a terminal, a log line
 * every few seconds otherwise. Counts cover the whole run, including what earlier or other processes
 * did, so the bar starts where the run stands.
 */
public abstract class Progress implements AutoCloseable {
    protected final AtomicLong totalFiles = new AtomicLong();
    protected final AtomicLong totalBytes = new AtomicLong();
    protected final AtomicLong doneFiles = new AtomicLong();
    protected final AtomicLong doneBytes = new AtomicLong();
    protected final AtomicLong notCopied = new AtomicLong();
    protected final long startNanos = System.nanoTime();
    protected long startBytes;
    protected long startFiles;

    /** Where the run stood when this process started. */
    public void start(long files, long bytes, long doneFiles, long doneBytes) {
        totalFiles.set(files);
        totalBytes.set(bytes);
        this.doneFiles.set(doneFiles);
        this.doneBytes.set(doneBytes);
        startFiles = doneFiles;
        startBytes = doneBytes;
    }

    /** The walk found a file to copy that the run did not know. */
    public void discovered(long bytes) {
        totalFiles.incrementAndGet();
        totalBytes.addAndGet(bytes);
    }

    /** Bytes stored. */
    public void bytes(long n) {
        doneBytes.addAndGet(n);
        tick();
    }

    /** A file ended: copied ({@code copied}) or not (failed, vanished). */
    public void file(boolean copied) {
        if (copied) doneFiles.incrementAndGet();
        else notCopied.incrementAndGet();
        tick();
    }

    protected void tick() {}

    /** One line: files, bytes, rates since this process started, ETA. */
    public String line() {
        double secs = Math.max(0.001, (System.nanoTime() - startNanos) / 1e9);
        long files = doneFiles.get(), bytes = doneBytes.get();
        double fps = (files - startFiles) / secs, bps = (bytes - startBytes) / secs;
        long left = Math.max(0, totalBytes.get() - bytes);
        String eta = bps > 0 ? format(Duration.ofSeconds((long) (left / bps))) : "?";
        return String.format("%d/%d files, %s/%s, %.1f files/s, %s/s, ETA %s%s", files, totalFiles.get(), size(bytes),
                size(totalBytes.get()), fps, size((long) bps), eta, notCopied.get() > 0 ? ", " + notCopied.get() + " not copied" : "");
    }

    public static String format(Duration d) {
        long s = d.toSeconds();
        return s >= 3600 ? String.format("%dh%02dm", s / 3600, s / 60 % 60) : s >= 60 ? String.format("%dm%02ds", s / 60, s % 60) : s + "s";
    }

    /** Bytes for people: B, KiB, MiB, GiB, TiB. */
    public static String size(long b) {
        if (b < 1024) return b + " B";
        String[] u = {"KiB", "MiB", "GiB", "TiB"};
        double v = b;
        int i = -1;
        while (v >= 1024 && i < u.length - 1) {
            v /= 1024;
            i++;
        }
        return String.format("%.1f %s", v, u[i]);
    }

    @Override
    public void close() {}

    /** A bar on a terminal, log lines elsewhere. */
    public static Progress forConsole(PrintStream err) {
        var console = System.console();
        return console != null && console.isTerminal() ? new Bar() : new Lines(err, Duration.ofSeconds(5));
    }

    /** Nothing shown (tests, dry runs). */
    public static Progress none() {
        return new Progress() {};
    }

    /** A log line every {@code every}. */
    public static final class Lines extends Progress {
        private final PrintStream out;
        private final Thread ticker;

        Lines(PrintStream out, Duration every) {
            this.out = out;
            this.ticker = Thread.ofPlatform().daemon().name("migrate-progress").start(() -> {
                try {
                    while (true) {
                        Thread.sleep(every.toMillis());
                        out.println("migrate: " + line());
                    }
                } catch (InterruptedException e) {
                    // closed
                }
            });
        }

        @Override
        public void close() {
            ticker.interrupt();
        }
    }

    /** me.tongfei's progress bar, in MiB, with files in its message. */
    static final class Bar extends Progress {
        private ProgressBar bar;

        @Override
        public void start(long files, long bytes, long doneFiles, long doneBytes) {
            super.start(files, bytes, doneFiles, doneBytes);
            bar = new ProgressBarBuilder().setTaskName("migrate").setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK)
                    .setUnit(" MiB", 1 << 20).setInitialMax(bytes).startsFrom(doneBytes, Duration.ZERO).showSpeed()
                    .setUpdateIntervalMillis(250).continuousUpdate().build();
            tick();
        }

        @Override
        protected void tick() {
            if (bar == null) return;
            bar.maxHint(totalBytes.get());
            bar.stepTo(doneBytes.get());
            bar.setExtraMessage(doneFiles.get() + "/" + totalFiles.get() + " files" + (notCopied.get() > 0 ? ", " + notCopied.get() + " not copied" : ""));
        }

        @Override
        public void discovered(long bytes) {
            super.discovered(bytes);
            tick();
        }

        @Override
        public void close() {
            if (bar != null) bar.close();
        }
    }
}
