package dev.stowage.images;

import dev.stowage.config.StowageConfig;
import dev.stowage.files.FileRecord;
import dev.stowage.files.FileRepository;
import dev.stowage.files.FileStatus;
import dev.stowage.files.ImageType;
import dev.stowage.problems.Problem;
import dev.stowage.problems.ProblemCode;
import dev.stowage.storage.ObjectKeys;
import dev.stowage.storage.ObjectStore;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Derives, stores and tracks the variants of an image file (docs/architecture.md §6): {@code thumb} (150×150 cover,
 * WebP), {@code medium} (≤ 800 px wide, WebP) and {@code original} (the original format with all
 * metadata stripped losslessly, upright). Variants live in the processed bucket under content-addressed
 * keys ({@code {userId}/{fileId}/{variant}-{digest12}.{ext}}, digest over the source SHA-256 and the
 * recipe) with {@code Cache-Control: public, max-age=31536000, immutable}, one {@code variants} row each.
 *
 * <p>Generation is single-flight per file and variant across processes: a transaction-scoped
 * PostgreSQL advisory lock on (file, variant) is held while checking, generating, storing and recording.
 */
public final class VariantService {
    private static final Logger log = LoggerFactory.getLogger(VariantService.class);
    /** Cache-Control of every stored variant: the key changes whenever the bytes would. */
    public static final String IMMUTABLE = "public, max-age=31536000, immutable";
    /** Recipe of the lossless original; bump when the stripping rules change. */
    static final String ORIGINAL_RECIPE = "original;strip-metadata;orientation-tag-only;v1";

    private final ObjectStore s3;
    private final FileRepository files;
    private final VariantQueue queue;
    private final ImageEngine engine;
    private final DecodeLimits limits;
    private final String processedBucket;
    private final Duration urlTtl;
    private final java.util.concurrent.atomic.AtomicLong generated = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong sourceReads = new java.util.concurrent.atomic.AtomicLong();

    /** A stored variant. */
    public record Variant(UUID fileId, String name, String bucket, String key, String contentType, int width, int height,
                          long sizeBytes, String digest) {}

    /**
     * @param s3     the object store
     * @param files  repository
     * @param queue  where variant generation is queued for a worker
     * @param engine the image engine for previews
     * @param config configuration (processed bucket, decode limits, download URL lifetime)
     */
    public VariantService(ObjectStore s3, FileRepository files, VariantQueue queue, ImageEngine engine, StowageConfig config) {
        this.s3 = s3;
        this.files = files;
        this.queue = queue;
        this.engine = engine;
        var im = config.images();
        this.limits = DecodeLimits.of(im);
        this.processedBucket = config.storage().buckets().processed();
        this.urlTtl = config.uploads().downloadUrlTtl();
    }

    /** How many variants this process has rendered and stored (a rendering counts once, reuse does not). */
    public long generated() {
        return generated.get();
    }

    /** Raw objects downloaded by this process to render variants (for tests and metrics). */
    public long sourceReads() {
        return sourceReads.get();
    }

    /**
     * Listens to files becoming ready: an image gets its variants made by a worker ({@code variants_status}
     * {@code pending} first, already so for migrated rows). A restored file keeps the variants it had.
     */
    public void onReady(dev.stowage.files.FileEvents.Ready e) {
        if (!isImage(e.detectedType()) || e.cause() == dev.stowage.files.FileEvents.Cause.RESTORED) return;
        if (e.cause() != dev.stowage.files.FileEvents.Cause.MIGRATED) files.markVariantsPending(e.fileId());
        queue.enqueueVariants(e.fileId());
    }

    /** Whether a MIME type gets variants. */
    public static boolean isImage(String mime) {
        return ImageType.isImage(mime);
    }

    /** The variant names, in generation order. */
    public static final List<String> NAMES = List.of("thumb", "medium", "original");

    private static VariantSpec spec(String name) {
        return switch (name) {
            case "thumb" -> VariantSpec.THUMB;
            case "medium" -> VariantSpec.MEDIUM;
            default -> null;
        };
    }

    /** The recipe text of a variant, part of its key digest. */
    String recipe(String name) {
        return name.equals("original") ? ORIGINAL_RECIPE : spec(name).recipe();
    }

    /** The stored variants of a file. */
    public List<Variant> list(UUID fileId) {
        return list(files, fileId);
    }

    private static List<Variant> list(FileRepository files, UUID fileId) {
        return files.variants(fileId).stream().map(v -> new Variant(v.fileId(), v.name(), v.bucket(), v.key(), v.contentType(),
                v.width(), v.height(), v.sizeBytes(), v.digest())).toList();
    }

    /**
     * Makes every variant of a ready image that is missing or made with an older recipe; removes the
     * objects of replaced variants after the new ones are stored. Records {@code variants_status}:
     * {@code ready}, or {@code failed} with a reason (bomb, truncated, unsupported); a failed image still gets
     * its stripped {@code original} when its container can be stripped (served instead of the upload, see
     * {@code files.Delivery}).
     *
     * @return the variants now stored
     */
    public List<Variant> generateAll(UUID fileId) {
        FileRecord f = files.find(fileId).orElse(null);
        if (f == null || f.status() != FileStatus.READY || !isImage(f.detectedType())) return List.of();
        byte[] source = null;
        List<Variant> out = new ArrayList<>();
        try {
            // the previews that are missing come from one decode
            var current = list(fileId);
            List<String> missing = new ArrayList<>();
            for (String name : List.of("thumb", "medium")) {
                String d = ObjectKeys.recipeDigest(f.sha256(), recipe(name));
                if (current.stream().noneMatch(v -> v.name().equals(name) && v.digest().equals(d))) missing.add(name);
            }
            java.util.Map<String, Rendered> pre = new java.util.HashMap<>();
            if (missing.size() > 1) {
                source = readSource(f);
                long t0 = System.nanoTime();
                List<RenderedVariant> made = engine.renderAll(source, missing.stream().map(VariantService::spec).toList());
                dev.stowage.metrics.StowageMetrics.variantGenerated(engine.name(), String.join("+", missing), java.time.Duration.ofNanos(System.nanoTime() - t0));
                for (int i = 0; i < missing.size(); i++) {
                    RenderedVariant v = made.get(i);
                    pre.put(missing.get(i), new Rendered(v.bytes(), v.width(), v.height(), v.contentType(), v.extension())
                            .framed(source, engine.writesAnimation()));
                }
            }
            byte[] read = source;
            Source src = read != null ? () -> read : Source.once(() -> readSource(f));
            for (String name : NAMES) out.add(generate(f, name, src, pre.get(name)));
            files.markVariantsReady(fileId);
        } catch (ImageRejectedException e) {
            failed(f, e.code(), e.getMessage());
        } catch (CorruptImageException e) {
            failed(f, "corrupt_image", e.getMessage());
        } catch (UnsupportedImageException e) {
            failed(f, "unsupported_image", e.getMessage());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out;
    }

    /** Codes of an image over {@link DecodeLimits}: nothing of it is made or served inline, not even a stripped copy. */
    private static final java.util.Set<String> OVER_LIMITS = java.util.Set.of(ImageRejectedException.TOO_MANY_PIXELS,
            ImageRejectedException.TOO_LARGE_DIMENSIONS, ImageRejectedException.TOO_MANY_BYTES);

    /**
     * The variants failed: the stripped original is still made when the container allows it (a truncated or
     * damaged image, {@link MetadataStripper#stripTolerant}), so that what is served carries no metadata
     * (docs/architecture.md §6); then the failure is recorded.
     */
    private void failed(FileRecord f, String code, String reason) {
        if (!OVER_LIMITS.contains(code)) {
            try {
                generate(f, "original", () -> readSource(f));
            } catch (ImageRejectedException | CorruptImageException | UnsupportedImageException e) {
                log.info("no stripped original of {} either: {}", f.id(), e.getMessage());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        markFailed(f.id(), code, reason);
    }

    private void markFailed(UUID fileId, String code, String reason) {
        log.info("variants of {} failed: {} ({})", fileId, code, reason);
        files.markVariantsFailed(fileId, code, reason);
    }

    private byte[] readSource(FileRecord f) throws IOException {
        long size = f.sizeBytes() == null ? f.declaredSize() : f.sizeBytes();
        if (size > limits.maxBytes()) throw new ImageRejectedException("too_many_bytes", "image is " + size + " bytes, over the limit of " + limits.maxBytes());
        byte[] bytes = s3.getBytes(f.bucket(), f.objectKey());
        sourceReads.incrementAndGet();
        limits.check(ImageProbe.probe(bytes), bytes.length);
        return bytes;
    }

    /** The raw image bytes, read only when a variant must really be rendered. */
    @FunctionalInterface
    interface Source {
        byte[] read() throws IOException;

        /** A source that reads once and then answers the same bytes. */
        static Source once(Source s) {
            byte[][] cache = new byte[1][];
            return () -> {
                if (cache[0] == null) cache[0] = s.read();
                return cache[0];
            };
        }
    }

    /**
     * Generates one variant under its advisory lock, unless an up-to-date one exists. The raw object is
     * read under the lock and only when rendering, so concurrent callers that find the variant made by
     * the first one never download the source.
     *
     * @param source the raw image bytes, read lazily
     */
    Variant generate(FileRecord f, String name, Source source) throws IOException {
        return generate(f, name, source, null);
    }

    /** As {@link #generate(FileRecord, String, Source)}, using an already rendered result when given. */
    private Variant generate(FileRecord f, String name, Source source, Rendered prerendered) throws IOException {
        String digest = ObjectKeys.recipeDigest(f.sha256(), recipe(name));
        Variant[] replaced = new Variant[1];
        Variant made = files.inTransaction(tx -> {
            tx.lockVariant(f.id(), name);
            Optional<Variant> existing = list(tx, f.id()).stream().filter(v -> v.name().equals(name)).findFirst();
            if (existing.isPresent() && existing.get().digest().equals(digest)) return existing.get();
            Rendered r = prerendered != null ? prerendered : renderTimed(name, source.read());
            generated.incrementAndGet();
            String key = ObjectKeys.processedKey(f.ownerId(), f.id().toString(), name, digest, r.extension());
            s3.put(ObjectStore.Put.of(processedBucket, key).contentType(r.contentType()).cacheControl(IMMUTABLE),
                    ObjectStore.Body.of(r.bytes()));
            tx.saveVariant(new dev.stowage.files.StoredVariant(f.id(), name, processedBucket, key, r.contentType(), r.width(), r.height(),
                    r.bytes().length, digest, r.frames(), r.sourceFrames(), r.stillReason()));
            if (existing.isPresent() && !existing.get().key().equals(key)) replaced[0] = existing.get();
            return new Variant(f.id(), name, processedBucket, key, r.contentType(), r.width(), r.height(), r.bytes().length, digest);
        });
        // the old object goes only once the row points at the new one
        if (replaced[0] != null) s3.delete(replaced[0].bucket(), replaced[0].key());
        return made;
    }

    private record Rendered(byte[] bytes, int width, int height, String contentType, String extension, int frames, int sourceFrames,
                            String stillReason) {
        Rendered(byte[] bytes, int width, int height, String contentType, String extension) {
            this(bytes, width, height, contentType, extension, 1, 1, null);
        }

        /** This rendering with the frame counts of its own bytes and of {@code source}, both read from their headers. */
        Rendered framed(byte[] source, boolean engineAnimates) {
            int out = framesOf(bytes), in = framesOf(source);
            String still = in > 1 && out == 1 ? (engineAnimates ? STILL_OVER_LIMITS : STILL_ENGINE) : null;
            return new Rendered(bytes, width, height, contentType, extension, out, in, still);
        }

        private static int framesOf(byte[] image) {
            try {
                return ImageProbe.probe(image).frames();
            } catch (RuntimeException e) {
                return 1; // a damaged header: counted as a still image, never fatal to the variant
            }
        }
    }

    /** {@code still_reason}: the engine writes still images only (the Java engine). */
    public static final String STILL_ENGINE = "engine_writes_stills";
    /** {@code still_reason}: the animation is over the frame or pixel limits of the libvips engine. */
    public static final String STILL_OVER_LIMITS = "over_animation_limits";

    /** {@link #render}, its time recorded per engine and variant (the download before it is not counted). */
    private Rendered renderTimed(String name, byte[] source) throws IOException {
        long t0 = System.nanoTime();
        Rendered r = render(name, source).framed(source, engine.writesAnimation());
        dev.stowage.metrics.StowageMetrics.variantGenerated(name.equals("original") ? "metadata-stripper" : engine.name(), name,
                java.time.Duration.ofNanos(System.nanoTime() - t0));
        return r;
    }

    private Rendered render(String name, byte[] source) throws IOException {
        if (name.equals("original")) return renderOriginal(source);
        RenderedVariant v = engine.render(source, spec(name));
        return new Rendered(v.bytes(), v.width(), v.height(), v.contentType(), v.extension());
    }

    /**
     * The engine's original; for a damaged or truncated image (which the engine's strict strip refuses) the
     * container-level strip of the bytes that arrived. An image no stripper can parse keeps the engine's error.
     */
    private Rendered renderOriginal(byte[] source) throws IOException {
        try {
            RenderedVariant o = engine.original(source);
            return new Rendered(o.bytes(), o.width(), o.height(), o.contentType(), o.extension());
        } catch (ImageRejectedException | CorruptImageException e) {
            byte[] stripped;
            try {
                stripped = MetadataStripper.stripTolerant(source);
            } catch (ImageRejectedException x) {
                e.addSuppressed(x);
                throw e;
            }
            ProbeResult p = ImageProbe.probe(source);
            String ext = p.format().equals(ImageProbe.JPEG) ? "jpg" : p.format();
            return new Rendered(stripped, p.displayWidth(), p.displayHeight(), "image/" + p.format(), ext);
        }
    }

    /** What the on-demand route answers: a redirect to the stored variant, or the bytes it just made. */
    public sealed interface Served {
        /** The variant exists: redirect here (a presigned GET of {@code variant}). */
        record Redirect(String url, Variant variant) implements Served {}

        /** Generated by this request: these bytes, with immutable cache headers. */
        record Bytes(byte[] bytes, String contentType) implements Served {}
    }

    /**
     * The on-demand fallback: a redirect to a stored variant, or — when it does not exist yet — generate
     * it now (once, whoever else asks at the same time), store it, record it, and return its bytes.
     *
     * @throws Problem {@code not_found} (no such variant name, not an image, rejected or deleted);
     *                 {@code file_not_ready} (409) while the upload is still pending or being checked;
     *                 {@code variants_failed} (409) with the reason
     */
    public Served serve(FileRecord f, String name) throws IOException {
        if (!NAMES.contains(name)) throw Problem.notFound("variant " + name);
        if (FileStatus.IN_FLIGHT.contains(f.status())) {
            throw new Problem(ProblemCode.FILE_NOT_READY, "file is " + f.status().id() + ": its variants exist once it is ready");
        }
        if (f.status() != FileStatus.READY || !isImage(f.detectedType())) throw Problem.notFound("variant " + name + " of this file");
        String digest = ObjectKeys.recipeDigest(f.sha256(), recipe(name));
        Optional<Variant> v = list(f.id()).stream().filter(x -> x.name().equals(name) && x.digest().equals(digest)).findFirst();
        if (v.isPresent()) return new Served.Redirect(presign(v.get()), v.get());
        FileRecord fresh = files.find(f.id()).orElseThrow();
        if ("failed".equals(variantsStatus(f.id()))) {
            throw new Problem(ProblemCode.VARIANTS_FAILED, "this image has no variants: " + variantsReason(f.id()));
        }
        Variant made;
        dev.stowage.metrics.StowageMetrics.variantFallback(name);
        try {
            made = generate(fresh, name, () -> readSource(fresh));
        } catch (ImageRejectedException e) {
            failed(fresh, e.code(), e.getMessage());
            throw new Problem(ProblemCode.VARIANTS_FAILED, "this image has no variants: " + e.getMessage());
        } catch (CorruptImageException | UnsupportedImageException e) {
            failed(fresh, e instanceof CorruptImageException ? "corrupt_image" : "unsupported_image", e.getMessage());
            throw new Problem(ProblemCode.VARIANTS_FAILED, "this image has no variants: " + e.getMessage());
        }
        byte[] bytes = s3.getBytes(made.bucket(), made.key());
        return new Served.Bytes(bytes, made.contentType());
    }

    /**
     * Makes sure an image's stripped original exists before the image is served (so a download never
     * hands out the raw upload with its EXIF and GPS): generates it now when the worker has not yet.
     * Does nothing for files that are not ready images or whose variants failed (the worker already made
     * their stripped original where it could; without one they download as an attachment, {@code files.Delivery}).
     */
    public void ensureOriginal(FileRecord f) throws IOException {
        if (f.status() != FileStatus.READY || !isImage(f.detectedType()) || "failed".equals(f.variantsStatus())) return;
        String digest = ObjectKeys.recipeDigest(f.sha256(), recipe("original"));
        if (list(f.id()).stream().anyMatch(v -> v.name().equals("original") && v.digest().equals(digest))) return;
        try {
            generate(f, "original", () -> readSource(f));
        } catch (ImageRejectedException e) {
            markFailed(f.id(), e.code(), e.getMessage());
        } catch (CorruptImageException | UnsupportedImageException e) {
            markFailed(f.id(), e instanceof CorruptImageException ? "corrupt_image" : "unsupported_image", e.getMessage());
        }
    }

    private String variantsStatus(UUID id) {
        return files.find(id).orElseThrow().variantsStatus();
    }

    private String variantsReason(UUID id) {
        String r = files.find(id).orElseThrow().variantsReason();
        return r == null ? "" : r;
    }

    /** A presigned GET of a stored variant, served as the type recorded for it and {@code inline}. */
    public String presign(Variant v) {
        return s3.presignGet(v.bucket(), v.key(), urlTtl, v.contentType(), "inline").url().toString();
    }

    /**
     * Hands {@code action} every ready image a reprocess run should regenerate, newest first, reading
     * {@code pageSize} at a time by keyset (memory bounded by the page, whatever the number of images).
     *
     * @param userId   one user's images, or {@code null} for all
     * @param pageSize files per page, at least 1
     * @return how many files {@code action} was given
     */
    public int forEachCandidate(String userId, int pageSize, java.util.function.Consumer<UUID> action) {
        List<String> types = List.copyOf(ImageType.MIME_TYPES);
        int given = 0;
        FileRepository.Created after = null;
        for (List<FileRepository.Created> page; !(page = files.readyOfTypes(types, userId, after, pageSize)).isEmpty(); after = page.getLast()) {
            for (FileRepository.Created c : page) {
                action.accept(c.id());
                given++;
            }
        }
        return given;
    }
}
