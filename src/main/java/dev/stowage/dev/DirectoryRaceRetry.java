package dev.stowage.dev;

import com.google.common.io.CountingInputStream;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.util.function.Supplier;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.blobstore.domain.MultipartUpload;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.CopyObjectRequest;
import software.amazon.awssdk.services.s3.model.CopyObjectResponse;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * Retries a write of the embedded S3Proxy's filesystem store that lost a race with a delete. A delete there
 * removes the folders it leaves empty ({@code staging/alice/…} up to {@code staging/}), so a write that has
 * just made its folders can find one gone before it opens its file, and fails with {@code NoSuchFileException}
 * (a 500 to the client). A write is retried, up to {@value #ATTEMPTS} times, only when that is the cause and
 * not one byte of its body was read yet; anything else is answered as it was (docs/architecture.md §10).
 */
final class DirectoryRaceRetry extends ForwardingBlobStore {
    static final int ATTEMPTS = 5;

    /** @param delegate the filesystem store */
    DirectoryRaceRetry(BlobStore delegate) {
        super(delegate);
    }

    @Override
    public PutObjectResponse putBlob(PutObjectRequest request, InputStream payload) {
        var counted = new CountingInputStream(payload);
        return retried(() -> super.putBlob(request, counted), counted);
    }

    @Override
    public UploadPartResponse uploadMultipartPart(MultipartUpload upload, UploadPartRequest request, InputStream payload) {
        var counted = new CountingInputStream(payload);
        return retried(() -> super.uploadMultipartPart(upload, request, counted), counted);
    }

    @Override
    public CopyObjectResponse copyBlob(CopyObjectRequest request) {
        return retried(() -> super.copyBlob(request), null);
    }

    @Override
    public CompleteMultipartUploadResponse completeMultipartUpload(MultipartUpload upload, CompleteMultipartUploadRequest request) {
        return retried(() -> super.completeMultipartUpload(upload, request), null);
    }

    private static <T> T retried(Supplier<T> write, CountingInputStream body) {
        for (int attempt = 1; ; attempt++) {
            try {
                return write.get();
            } catch (RuntimeException e) {
                if (attempt >= ATTEMPTS || (body != null && body.getCount() > 0) || !folderVanished(e)) throw e;
                try {
                    Thread.sleep(attempt);
                } catch (InterruptedException x) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** Whether the failure is a folder (or file) that vanished under the write. */
    static boolean folderVanished(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof NoSuchFileException) return true;
        }
        return false;
    }
}
