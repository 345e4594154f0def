package dev.stowage.backup;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;

/**
 * Streams bytes into one object without knowing their length in advance: parts of {@code partSize}
 * bytes are uploaded as they fill (S3 multipart upload); a stream that stays under one part becomes a
 * single PutObject. Only one part is held in memory. {@link #close()} completes the upload;
 * {@link #abort()} abandons it (no object appears).
 */
final class MultipartUploadOutputStream extends OutputStream {
    private final S3Client s3;
    private final String bucket;
    private final String key;
    private final String contentType;
    private final byte[] buf;
    private int len;
    private String uploadId;
    private final List<CompletedPart> parts = new ArrayList<>();
    private long total;
    private boolean closed;

    /**
     * @param partSize bytes per part, at least 5 MiB (the S3 minimum for every part but the last)
     */
    MultipartUploadOutputStream(S3Client s3, String bucket, String key, String contentType, int partSize) {
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
            uploadId = s3.createMultipartUpload(r -> r.bucket(bucket).key(key).contentType(contentType)).uploadId();
        }
        int number = parts.size() + 1;
        String etag = s3.uploadPart(r -> r.bucket(bucket).key(key).uploadId(uploadId).partNumber(number),
                RequestBody.fromBytes(java.util.Arrays.copyOf(buf, len))).eTag();
        parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
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
            s3.putObject(r -> r.bucket(bucket).key(key).contentType(contentType), RequestBody.fromBytes(java.util.Arrays.copyOf(buf, len)));
            return;
        }
        if (len > 0) flushPart();
        s3.completeMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(uploadId).multipartUpload(m -> m.parts(parts)));
    }

    /**
     * Abandons the upload: no object is created. The parts already sent are aborted when the credentials
     * allow it; otherwise the backups bucket's lifecycle rule aborts incomplete multipart uploads.
     */
    void abort() {
        closed = true;
        if (uploadId == null) return;
        try {
            s3.abortMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(uploadId));
        } catch (software.amazon.awssdk.core.exception.SdkException e) {
            org.slf4j.LoggerFactory.getLogger(MultipartUploadOutputStream.class)
                    .warn("could not abort the partial upload of {} ({}); the bucket's lifecycle rule will", key, e.getMessage());
        }
    }
}
