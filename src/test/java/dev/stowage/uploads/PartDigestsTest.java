package dev.stowage.uploads;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Per-part SHA-256 over uniform byte ranges, the last part shorter, whatever the read sizes. */
class PartDigestsTest {
    private static final int PART = 5 * 1024 * 1024;

    private static String sha(byte[] b, int from, int to) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Arrays.copyOfRange(b, from, to)));
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Feeds {@code data} in reads of {@code chunk} bytes, which straddle part boundaries. */
    private static PartDigests fed(byte[] data, int chunk) {
        var d = new PartDigests(PART, data.length);
        for (int off = 0; off < data.length; off += chunk) d.update(data, off, Math.min(chunk, data.length - off));
        return d;
    }

    @Test
    void theFoundFileHasTwoFullPartsAndAShortLastOne() throws Exception {
        byte[] data = random(12_582_912, 1);
        var d = fed(data, 65_536 + 7);
        assertThat(d.hex()).containsExactly(sha(data, 0, 5_242_880), sha(data, 5_242_880, 10_485_760), sha(data, 10_485_760, 12_582_912));
        assertThat(PartDigests.partCount(PART, data.length)).isEqualTo(3);
    }

    @Test
    void anExactMultipleHasNoEmptyTrailingPart() throws Exception {
        byte[] data = random(2 * PART, 2);
        assertThat(fed(data, PART + 1).hex()).containsExactly(sha(data, 0, PART), sha(data, PART, 2 * PART));
    }

    @Test
    void anOffByOnePart2IsNamedWithItsRange() throws Exception {
        byte[] source = random(12_582_912, 3);
        Map<Integer, String> declared = Map.of(1, sha(source, 0, PART), 2, sha(source, PART, 2 * PART), 3, sha(source, 2 * PART, source.length));
        assertThat(fed(source, 100_000).mismatch(declared)).isEmpty();

        byte[] stored = source.clone();
        System.arraycopy(source, PART + 1, stored, PART, PART); // part 2 holds source[5242881:10485761]
        String got = sha(stored, PART, 2 * PART);
        assertThat(fed(stored, 100_000).mismatch(declared)).hasValueSatisfying(r -> assertThat(r)
                .startsWith("part 2 (bytes 5242880–10485759) has SHA-256 " + got)
                .endsWith("declared " + declared.get(2)));
    }

    @Test
    void aPartWithoutADeclarationIsAMismatch() throws Exception {
        byte[] data = random(PART + 10, 4);
        assertThat(fed(data, 4096).mismatch(Map.of(1, sha(data, 0, PART)))).hasValueSatisfying(r -> assertThat(r)
                .contains("part 2", "without a declared SHA-256"));
    }

    @Test
    void fewerBytesThanTheSizeAreRefused() {
        var d = new PartDigests(PART, 100);
        d.update(new byte[99], 0, 99);
        assertThatThrownBy(d::hex).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void digestsReadTwiceAreTheSame() {
        var d = fed(random(PART + 3, 5), 8192);
        List<String> first = d.hex();
        assertThat(d.hex()).isEqualTo(first).hasSize(2);
    }
}
