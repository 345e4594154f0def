package dev.stowage.dev;

import java.io.InputStream;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.blobstore.domain.MultipartUpload;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.services.s3.model.NoSuchUploadException;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * Makes the embedded S3Proxy refuse an UploadPart for an upload id that is not in progress, as AWS does
 * ({@code 404 NoSuchUpload}). S3Proxy's filesystem store would otherwise write the part of a completed or
 * aborted upload as a hidden {@code .mpus-{uploadId}-{key}-{part}} file in the bucket's folder: never
 * listed, never assembled, never deleted (docs/architecture.md §10).
 */
final class InProgressUploadsOnly extends ForwardingBlobStore {

    /** @param delegate the store whose multipart uploads are guarded */
    InProgressUploadsOnly(BlobStore delegate) {
        super(delegate);
    }

    @Override
    public UploadPartResponse uploadMultipartPart(MultipartUpload upload, UploadPartRequest request, InputStream payload) {
        boolean inProgress = delegate().listMultipartUploads(upload.containerName()).stream()
                .anyMatch(u -> upload.id().equals(u.uploadId()) && upload.blobName().equals(u.key()));
        if (!inProgress) {
            try {
                // read the part first: answering before the body is read makes clients see a reset connection
                payload.transferTo(java.io.OutputStream.nullOutputStream());
            } catch (java.io.IOException ignored) {
                // the answer is the same
            }
            throw (NoSuchUploadException) NoSuchUploadException.builder().statusCode(404)
                    .awsErrorDetails(AwsErrorDetails.builder().errorCode("NoSuchUpload").serviceName("S3")
                            .errorMessage("The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.")
                            .build())
                    .message("The specified upload does not exist").build();
        }
        return super.uploadMultipartPart(upload, request, payload);
    }
}
