package dev.stowage.dev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DevSecretsTest {
    @TempDir
    Path dir;

    @Test
    void generatedOnceWithOwnerOnlyPermissionsThenReused() throws Exception {
        DevSecrets a = DevSecrets.loadOrCreate(dir);
        assertThat(a.s3AccessKey()).matches("[0-9A-F]{20}");
        assertThat(a.s3SecretKey()).matches("[0-9a-f]{40}");
        assertThat(a.jwtSecret()).matches("[0-9a-f]{64}");
        assertThat(Files.getPosixFilePermissions(dir.resolve(DevSecrets.FILE))).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(DevSecrets.loadOrCreate(dir)).isEqualTo(a);
        assertThat(DevSecrets.loadOrCreate(dir.resolve("other"))).isNotEqualTo(a);
        assertThat(a.toString()).doesNotContain(a.s3SecretKey(), a.jwtSecret());
    }

    @Test
    void aDamagedFileIsNamedAndNeverOverwritten() throws Exception {
        Path f = dir.resolve(DevSecrets.FILE);
        for (String content : new String[] {"s3.access_key=ABC\ns3.secret_key=12345678\njwt.secret=short\n",
                "s3.access_key=\ns3.secret_key=x\njwt.secret=0123456789abcdef0123456789abcdef\n",
                "s3.access_key=ABC\\u12"}) {
            Files.writeString(f, content);
            assertThatThrownBy(() -> DevSecrets.loadOrCreate(dir)).isInstanceOf(IOException.class)
                    .hasMessageStartingWith(f.toString()).hasMessageEndingWith("delete it to generate new dev secrets");
            assertThat(Files.readString(f)).isEqualTo(content);
        }
        Files.write(f, new byte[] {(byte) 0xff, (byte) 0xfe, 0});
        assertThatThrownBy(() -> DevSecrets.loadOrCreate(dir)).hasMessageContaining("is unreadable");
    }
}
