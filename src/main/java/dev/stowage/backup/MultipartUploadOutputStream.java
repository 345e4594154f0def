package dev.stowage.backup;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import dev.stowage.storage.ObjectStore;
import dev.stowage.storage.StoreException;

/**
 * Streams bytes into one object without knowing their length in advance: parts of {@code partSize}
 * bytes are uploaded as they fill (S3 multipart upload); a stream that stays under one part becomes a
 * single PutObject. Only one part is held in memory. {@link #close()} completes the upload;
 * {@link #abort()} abandons it (no object appears).
 */
final class MultipartUploadOutputStream extends OutputStream {
    private final ObjectStore s3;
    private final String bucket;
    private final String key;
    private final String contentType;
    private final byte[] buf;
    private int len;
    private String uploadId;
    private final List<ObjectStore.Part> parts = new ArrayList<>();
    private long total;
    private boolean closed;

    /**
     * @param partSize bytes per part, at least 5 MiB (the S3 minimum for every part but the last)
     */
    MultipartUploadOutputStream(ObjectStore s3, String bucket, String key, String contentType, int partSize) {
        if (partSize < 5 << 20) throw new IllegalArgumentException("part size below 5 MiB: " + partSize);
        this.s3 = s3;
        this.bucket = bucket;
        this.key = key;
        this.contentType = contentType;
        this.buf = new byte[partSize];
    }

    @Override
    public void write(int b) throws IOException {
        if (len == buf.length) flushPart();
        buf[len++] = (byte) b;
        total++;
    }

    @Override
    public void write(byte[] b, int off, int n) throws IOException {
        while (n > 0) {
            if (len == buf.length) flushPart();
            int k = Math.min(n, buf.length - len);
            System.arraycopy(b, off, buf, len, k);
            len += k;
            off += k;
            n -= k;
            total += k;
        }
    }

    private void flushPart() {
        if (uploadId == null) {
            uploadId = s3.createMultipart(ObjectStore.Put.of(bucket, key).contentType(contentType), false);
        }
        int number = parts.size() + 1;
        parts.add(s3.uploadPart(bucket, key, uploadId, number, ObjectStore.Body.of(java.util.Arrays.copyOf(buf, len)), null));
        len = 0;
    }

    /** Bytes written so far. */
    long size() {
        return total;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (uploadId == null) {
            s3.put(ObjectStore.Put.of(bucket, key).contentType(contentType), ObjectStore.Body.of(java.util.Arrays.copyOf(buf, len)));
            return;
        }
        if (len > 0) flushPart();
        s3.completeMultipart(bucket, key, uploadId, parts);
    }

    /**
     * Abandons the upload: no object is created. The parts already sent are aborted when the credentials
     * allow it; otherwise the backups bucket's lifecycle rule aborts incomplete multipart uploads.
     */
    void abort() {
        closed = true;
        if (uploadId == null) return;
        try {
            s3.abortMultipart(bucket, key, uploadId);
        } catch (StoreException e) {
            org.slf4j.LoggerFactory.getLogger(MultipartUploadOutputStream.class)
                    .warn("could not abort the partial upload of {} ({}); the bucket's lifecycle rule will", key, e.getMessage());
        }
    }
}
