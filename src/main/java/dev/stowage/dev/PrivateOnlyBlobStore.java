package dev.stowage.dev;

import java.io.InputStream;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.blobstore.domain.MultipartUpload;
import software.amazon.awssdk.services.s3.model.BucketCannedACL;
import software.amazon.awssdk.services.s3.model.CopyObjectRequest;
import software.amazon.awssdk.services.s3.model.CopyObjectResponse;
import software.amazon.awssdk.services.s3.model.CreateBucketRequest;
import software.amazon.awssdk.services.s3.model.CreateBucketResponse;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.ObjectCannedACL;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;

/**
 * S3Proxy's blob store with every ACL forced to private: the embedded server never serves an anonymous
 * request (GET, HEAD or LIST), whatever ACL a client sent with a PUT, a copy, a multipart upload, a
 * bucket creation, PutObjectAcl or PutBucketAcl. S3Proxy serves an anonymous request only when
 * {@link #getBlobAccess} or {@link #getContainerAccess} answers public-read, so both always answer
 * private (without asking the store, so an anonymous caller cannot tell a missing key from a present one:
 * both are 403), and the ACLs written are private too (docs/architecture.md §8).
 *
 * <p>S3Proxy's blob store interface is written in the AWS SDK's model types; this class and the dev
 * stack's other blob store wrappers are the one place outside {@code storage} that names them
 * (docs/architecture.md §13, rule 6).
 */
public final class PrivateOnlyBlobStore extends ForwardingBlobStore {

    /** @param delegate the store that keeps the objects */
    public PrivateOnlyBlobStore(BlobStore delegate) {
        super(delegate);
    }

    @Override
    public BucketCannedACL getContainerAccess(String container) {
        return BucketCannedACL.PRIVATE;
    }

    @Override
    public void setContainerAccess(String container, BucketCannedACL access) {
        delegate().setContainerAccess(container, BucketCannedACL.PRIVATE);
    }

    @Override
    public ObjectCannedACL getBlobAccess(String container, String key) {
        return ObjectCannedACL.PRIVATE;
    }

    @Override
    public ObjectCannedACL getBlobAccess(String container, String key, String versionId) {
        return ObjectCannedACL.PRIVATE;
    }

    @Override
    public void setBlobAccess(String container, String key, ObjectCannedACL access) {
        delegate().setBlobAccess(container, key, ObjectCannedACL.PRIVATE);
    }

    @Override
    public void setBlobAccess(String container, String key, ObjectCannedACL access, String versionId) {
        delegate().setBlobAccess(container, key, ObjectCannedACL.PRIVATE, versionId);
    }

    @Override
    public PutObjectResponse putBlob(PutObjectRequest request, InputStream content) {
        return delegate().putBlob(request.acl() == null ? request : request.toBuilder().acl(ObjectCannedACL.PRIVATE).build(), content);
    }

    @Override
    public CopyObjectResponse copyBlob(CopyObjectRequest request) {
        return delegate().copyBlob(request.acl() == null ? request : request.toBuilder().acl(ObjectCannedACL.PRIVATE).build());
    }

    @Override
    public MultipartUpload initiateMultipartUpload(CreateMultipartUploadRequest request) {
        return delegate().initiateMultipartUpload(request.acl() == null ? request : request.toBuilder().acl(ObjectCannedACL.PRIVATE).build());
    }

    @Override
    public CreateBucketResponse createContainer(CreateBucketRequest request) {
        return delegate().createContainer(request.acl() == null ? request : request.toBuilder().acl(BucketCannedACL.PRIVATE).build());
    }
}
