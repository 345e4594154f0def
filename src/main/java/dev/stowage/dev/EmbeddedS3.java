package dev.stowage.dev;

import dev.stowage.storage.BrowserCors;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.gaul.s3proxy.CrossOriginResourceSharing;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;

/**
 * The embedded S3-compatible server: S3Proxy with its filesystem store, in this process, bound to
 * 127.0.0.1. Objects live under {@code baseDir}, one folder per bucket; metadata lives in extended
 * attributes, so copy the folder with a tool that keeps them ({@code cp -a}, {@code rsync -X}).
 */
public final class EmbeddedS3 implements AutoCloseable {
    private final S3Proxy proxy;
    private final URI endpoint;

    private EmbeddedS3(S3Proxy proxy, URI endpoint) {
        this.proxy = proxy;
        this.endpoint = endpoint;
    }

    /**
     * Starts the server.
     *
     * @param baseDir        where objects are stored (created if missing)
     * @param port           TCP port on 127.0.0.1; 0 picks a free one
     * @param accessKey      the one S3 access key accepted
     * @param secretKey      its secret
     * @param allowedOrigins CORS origins (server-wide: S3Proxy has no per-bucket CORS); empty = no CORS
     * @return the running server
     * @throws Exception when the port is taken or the store cannot be opened
     */
    public static EmbeddedS3 start(Path baseDir, int port, String accessKey, String secretKey,
                                   List<String> allowedOrigins) throws Exception {
        Files.createDirectories(baseDir);
        var store = new InProgressUploadsOnly(new DirectoryRaceRetry(new FilesystemNio2BlobStore(baseDir.toAbsolutePath().toString())));
        var cors = allowedOrigins.isEmpty()
                ? CrossOriginResourceSharing.disabled()
                : new CrossOriginResourceSharing(
                        allowedOrigins.stream().map(o -> o.equals("*") ? ".*" : Pattern.quote(o)).toList(),
                        BrowserCors.RAW_METHODS, BrowserCors.ALLOWED_HEADERS, BrowserCors.EXPOSED_HEADERS, "");
        var proxy = S3Proxy.builder()
                .blobStore(new PrivateOnlyBlobStore(store))
                .endpoint(URI.create("http://127.0.0.1:" + port))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
                .corsRules(cors)
                .stopTimeout(2000)
                .build();
        proxy.start();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!"STARTED".equals(proxy.getState())) {
            if (System.nanoTime() > deadline) {
                proxy.stop();
                throw new IOException("embedded S3 server did not start within 30 s (state " + proxy.getState() + ")");
            }
            if ("FAILED".equals(proxy.getState())) {
                throw new IOException("embedded S3 server failed to start on port " + port);
            }
            Thread.sleep(10);
        }
        return new EmbeddedS3(proxy, URI.create("http://127.0.0.1:" + proxy.getPort()));
    }

    /** The endpoint, e.g. {@code http://127.0.0.1:9000}. */
    public URI endpoint() {
        return endpoint;
    }

    @Override
    public void close() throws Exception {
        proxy.stop();
    }
}
