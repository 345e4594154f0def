package dev.stowage.dev;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Properties;

/**
 * The secrets of one dev data directory: S3 access key and secret for the embedded server and the
 * HS256 secret that signs dev tokens. Generated at first start from {@link SecureRandom}, stored in
 * {@code secrets.properties} with mode 0600, reused on every later start.
 *
 * @param s3AccessKey 20 upper-case hex characters
 * @param s3SecretKey 40 lower-case hex characters
 * @param jwtSecret   64 hex characters (32 random bytes)
 */
public record DevSecrets(String s3AccessKey, String s3SecretKey, String jwtSecret) {
    /** File name inside the data directory. */
    public static final String FILE = "secrets.properties";

    /**
     * Loads the secrets of a data directory, creating them on first use.
     *
     * @param dataDir the dev data directory (created if missing)
     * @return the secrets
     * @throws IOException when the file cannot be read or written
     */
    public static DevSecrets loadOrCreate(Path dataDir) throws IOException {
        Files.createDirectories(dataDir);
        Path f = dataDir.resolve(FILE);
        if (Files.exists(f)) {
            var p = new Properties();
            try (Reader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
                p.load(r);
            } catch (IOException | IllegalArgumentException e) {
                String why = Files.isDirectory(f) ? "it is a directory" : "not a properties file";
                throw new IOException(f + " is unreadable (" + why + "): delete it to generate new dev secrets");
            }
            String a = p.getProperty("s3.access_key"), s = p.getProperty("s3.secret_key"), j = p.getProperty("jwt.secret");
            if (a == null || s == null || j == null) {
                throw new IOException(f + " is incomplete: delete it to generate new dev secrets");
            }
            if (!a.matches("[A-Za-z0-9]{3,128}") || s.length() < 8 || s.isBlank()
                    || j.getBytes(StandardCharsets.UTF_8).length < 32) {
                throw new IOException(f + " is invalid (s3.access_key 3-128 letters or digits, s3.secret_key at least 8 characters, "
                        + "jwt.secret at least 32 bytes): delete it to generate new dev secrets");
            }
            return new DevSecrets(a, s, j);
        }
        var rnd = new SecureRandom();
        var hex = HexFormat.of();
        var secrets = new DevSecrets(
                hex.formatHex(bytes(rnd, 10)).toUpperCase(),
                hex.formatHex(bytes(rnd, 20)),
                hex.formatHex(bytes(rnd, 32)));
        Path tmp = dataDir.resolve(FILE + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        var p = new Properties();
        p.setProperty("s3.access_key", secrets.s3AccessKey);
        p.setProperty("s3.secret_key", secrets.s3SecretKey);
        p.setProperty("jwt.secret", secrets.jwtSecret);
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING)) {
            p.store(w, "Stowage dev secrets: generated at first start, local to this data directory");
        }
        Files.move(tmp, f, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return secrets;
    }

    private static byte[] bytes(SecureRandom rnd, int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return b;
    }

    @Override
    public String toString() {
        return "DevSecrets[s3AccessKey=" + s3AccessKey + ", secrets hidden]";
    }
}
