package dev.stowage.scanning;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every reply form clamd documents for INSTREAM, one test each, with and without terminators. */
class ClamdReplyTest {
    private static final String[] TERMINATORS = {"", "\0", "\n", "\r\n"};

    /** The reply with each terminator clamd may use (none: the connection closed), all giving {@code expected}. */
    private static void each(String reply, ScanResult expected) {
        for (String t : TERMINATORS) {
            assertThat(ClamdReply.parse(reply + t)).as("%s terminated by %s", reply, t.isEmpty() ? "nothing" : t.replace("\0", "NUL").replace("\n", "LF").replace("\r", "CR"))
                    .isEqualTo(expected);
        }
    }

    private static ScanResult.Failed failed(String reply) {
        var r = ClamdReply.parse(reply);
        assertThat(r).as(reply).isInstanceOf(ScanResult.Failed.class);
        return (ScanResult.Failed) r;
    }

    @Test
    void streamOkIsClean() {
        each("stream: OK", new ScanResult.Clean());
    }

    @Test
    void streamSignatureFoundIsInfected() {
        each("stream: Win.Test.EICAR_HDB-1 FOUND", new ScanResult.Infected("Win.Test.EICAR_HDB-1"));
        each("stream: Stowage.Test.EICAR-Body.UNOFFICIAL FOUND", new ScanResult.Infected("Stowage.Test.EICAR-Body.UNOFFICIAL"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"MaxFileSize", "MaxScanSize", "MaxFiles", "MaxRecursion", "MaxScanTime", "MaxEmbeddedPE"})
    void heuristicsLimitsExceededIsNotFullyScannedNeverInfected(String limit) {
        var r = ClamdReply.parse("stream: Heuristics.Limits.Exceeded." + limit + " FOUND\0");
        assertThat(r).isInstanceOf(ScanResult.LimitsExceeded.class);
        assertThat(((ScanResult.LimitsExceeded) r).limit()).isEqualTo(limit);
        assertThat(((ScanResult.LimitsExceeded) r).detail()).contains(limit);
        assertThat(r.isClean()).isFalse();
    }

    @Test
    void nullFoundIsAScannerErrorNotASignature() {
        for (String t : TERMINATORS) assertThat(failed("stream: (null) FOUND" + t).reason()).contains("(null)");
        failed("stream:  FOUND");
        failed("1: stream: (null) FOUND\0");
    }

    @Test
    void streamMessageErrorIsAScannerError() {
        assertThat(failed("stream: Can't create temporary file ERROR\0").reason()).isEqualTo("clamd error: 'Can't create temporary file'");
        assertThat(failed("stream: lstat() failed: No such file or directory. ERROR").reason()).contains("lstat() failed");
    }

    @Test
    void instreamSizeLimitExceededIsNotFullyScannedAtStreamMaxLength() {
        var r = ClamdReply.parse("INSTREAM size limit exceeded. ERROR\0");
        assertThat(r).isInstanceOf(ScanResult.LimitsExceeded.class);
        assertThat(((ScanResult.LimitsExceeded) r).limit()).isEqualTo("StreamMaxLength");
        for (String t : TERMINATORS) assertThat(ClamdReply.parse("INSTREAM size limit exceeded. ERROR" + t)).isEqualTo(r);
    }

    @Test
    void cantAllocateMemoryIsAScannerError() {
        for (String t : TERMINATORS) assertThat(failed("Can't allocate memory ERROR" + t).reason()).isEqualTo("clamd error: 'Can't allocate memory'");
    }

    @Test
    void accessDeniedIsAScannerError() {
        assertThat(failed("Access denied. ERROR\0").reason()).isEqualTo("clamd error: 'Access denied.'");
    }

    @Test
    void idSessionPrefixedRepliesAreReadLikeTheOthers() {
        each("1: stream: OK", new ScanResult.Clean());
        each("42: stream: Win.Test.EICAR_HDB-1 FOUND", new ScanResult.Infected("Win.Test.EICAR_HDB-1"));
        assertThat(ClamdReply.parse("7: stream: Heuristics.Limits.Exceeded.MaxFiles FOUND\0")).isInstanceOf(ScanResult.LimitsExceeded.class);
        assertThat(ClamdReply.parse("3: INSTREAM size limit exceeded. ERROR\0")).isInstanceOf(ScanResult.LimitsExceeded.class);
        failed("3: Can't allocate memory ERROR\0");
    }

    @Test
    void commandReadTimedOutIsAScannerError() {
        for (String t : TERMINATORS) assertThat(failed("COMMAND READ TIMED OUT" + t).reason()).contains("COMMAND READ TIMED OUT");
    }

    @Test
    void unknownCommandIsAScannerError() {
        for (String t : TERMINATORS) assertThat(failed("UNKNOWN COMMAND" + t).reason()).contains("UNKNOWN COMMAND");
    }

    @Test
    void emptyRepliesAreScannerErrors() {
        for (String r : new String[] {"", "\0", "\n", "  \0", "\r\n"}) assertThat(failed(r).reason()).isEqualTo("clamd sent an empty reply");
    }

    @Test
    void truncatedRepliesAreScannerErrorsNeverCleanOrInfected() {
        for (String r : new String[] {"stream: O", "stream:", "str", "stream: Win.Test.EICAR_HD", "stream: Win.Test.EICAR_HDB-1 FOU",
                "stream: Heuristics.Limits.Exceeded.MaxFi", "INSTREAM size limit exceeded.", "Can't allocate mem"}) {
            failed(r);
            failed(r + "\0");
        }
    }

    @Test
    void somethingElseIsAScannerErrorQuotedWithoutControlCharacters() {
        assertThat(failed("PONG\0").reason()).isEqualTo("unexpected clamd reply: 'PONG'");
        assertThat(failed("stream: \u0007bell OKAY").reason()).doesNotContain("\u0007");
        assertThat(failed("x".repeat(5000)).reason()).hasSizeLessThan(300);
    }

    @Test
    void oddSignatureNamesAreNotTrusted() {
        failed("stream: two words FOUND");
        failed("stream: " + "A".repeat(201) + " FOUND");
        failed("stream: Heuristics.Limits.Exceeded.Max-Files FOUND");
    }

    @Test
    void severalLinesCombineMalwareFirstThenFailureThenLimit() {
        assertThat(ClamdReply.parse("stream: Heuristics.Limits.Exceeded.MaxFiles FOUND\nstream: Win.Test.EICAR_HDB-1 FOUND\n"))
                .isEqualTo(new ScanResult.Infected("Win.Test.EICAR_HDB-1"));
        assertThat(ClamdReply.parse("stream: Heuristics.Limits.Exceeded.MaxFiles FOUND\nstream: (null) FOUND\n"))
                .isInstanceOf(ScanResult.Failed.class);
        assertThat(ClamdReply.parse("stream: OK\nstream: Heuristics.Limits.Exceeded.MaxRecursion FOUND\n"))
                .isInstanceOf(ScanResult.LimitsExceeded.class);
        assertThat(ClamdReply.parse("stream: OK\0stream: OK\0")).isEqualTo(new ScanResult.Clean());
    }
}
