package dev.stowage.scanning;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The grammar of clamd's replies to {@code INSTREAM} (clamd(8) "COMMANDS" and "IDSESSION"; clamd.conf(5)
 * {@code StreamMaxLength}, {@code AlertExceedsMax}; ClamAV 1.4), mapped to a {@link ScanResult}:
 *
 * <pre>
 * reply      = line *( terminator line ) [ terminator ]      ; lines separated by NUL or LF (zINSTREAM / nINSTREAM)
 * terminator = NUL / LF / CRLF                                ; or none: clamd closed the connection
 * line       = [ session-id ": " ] body                       ; session-id = 1*DIGIT (IDSESSION)
 * body       = "stream: OK"                                   ; → Clean
 *            / "stream: Heuristics.Limits.Exceeded." limit " FOUND"  ; → LimitsExceeded(limit)   (AlertExceedsMax yes)
 *            / "stream: (null) FOUND"                         ; → Failed: a detection without a name is no verdict
 *            / "stream: " signature " FOUND"                  ; → Infected(signature)
 *            / "INSTREAM size limit exceeded. ERROR"          ; → LimitsExceeded(StreamMaxLength)
 *            / [ "stream: " ] message " ERROR"                 ; → Failed (e.g. "Can't allocate memory ERROR", "Access denied. ERROR")
 *            / "COMMAND READ TIMED OUT" / "UNKNOWN COMMAND"   ; → Failed
 *            / anything else, empty or cut off                ; → Failed
 * signature  = 1*( ALPHA / DIGIT / "." / "_" / "-" / ":" / "+" / "/" / "!" / "@" / "#" / "=" / "~" )  ; at most 200
 * limit      = ALPHA *( ALPHA / DIGIT / "_" )                 ; MaxFileSize, MaxScanSize, MaxFiles, MaxRecursion, MaxScanTime, …
 * </pre>
 *
 * Several lines (clamd with {@code AllMatchScan}) combine: a signature wins over everything (malware found
 * is malware, even where a limit was also hit), then a failure, then a limit; clean only when every line is.
 */
final class ClamdReply {
    /** The prefix clamd puts before the name of a limit it alerts on (clamd.conf(5), {@code AlertExceedsMax}). */
    static final String LIMITS_PREFIX = "Heuristics.Limits.Exceeded.";
    private static final Pattern SESSION = Pattern.compile("^[0-9]{1,10}: ");
    private static final Pattern SIGNATURE = Pattern.compile("[A-Za-z0-9._:+/!@#=~-]{1,200}");
    private static final Pattern LIMIT = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,63}");

    private ClamdReply() {
    }

    /**
     * Classifies one reply.
     *
     * @param raw what clamd sent, decoded as UTF-8, terminators included or not
     * @return the verdict; never {@code null}
     */
    static ScanResult parse(String raw) {
        List<String> lines = new ArrayList<>();
        for (String l : raw.split("\u0000|\r?\n", -1)) {
            if (!l.isBlank()) lines.add(l.strip());
        }
        if (lines.isEmpty()) return new ScanResult.Failed("clamd sent an empty reply");
        ScanResult infected = null, failed = null, limited = null;
        for (String l : lines) {
            ScanResult r = line(l);
            switch (r) {
                case ScanResult.Infected i -> infected = infected == null ? i : infected;
                case ScanResult.Failed f -> failed = failed == null ? f : failed;
                case ScanResult.LimitsExceeded x -> limited = limited == null ? x : limited;
                case ScanResult.Clean c -> { }
            }
        }
        if (infected != null) return infected;
        if (failed != null) return failed;
        if (limited != null) return limited;
        return new ScanResult.Clean();
    }

    private static ScanResult line(String line) {
        Matcher session = SESSION.matcher(line);
        String body = session.find() ? line.substring(session.end()) : line;
        if (body.equals("stream: OK")) return new ScanResult.Clean();
        if (body.startsWith("stream: ") && body.endsWith(" FOUND")) {
            String name = body.substring("stream: ".length(), body.length() - " FOUND".length()).strip();
            if (name.startsWith(LIMITS_PREFIX)) {
                String limit = name.substring(LIMITS_PREFIX.length());
                if (LIMIT.matcher(limit).matches()) {
                    return new ScanResult.LimitsExceeded(limit, "clamd did not scan all of the content: its " + limit
                            + " limit was exceeded (" + name + ")");
                }
                return new ScanResult.Failed("clamd reported an unreadable limit: " + quote(body));
            }
            if (name.equals("(null)") || !SIGNATURE.matcher(name).matches()) {
                return new ScanResult.Failed("clamd reported a detection without a usable name: " + quote(body));
            }
            return new ScanResult.Infected(name);
        }
        if (body.startsWith("INSTREAM size limit exceeded") && body.endsWith("ERROR")) {
            return new ScanResult.LimitsExceeded(ScanResult.LimitsExceeded.STREAM_MAX_LENGTH,
                    "clamd refused the stream as longer than its StreamMaxLength (INSTREAM size limit exceeded)");
        }
        if (body.endsWith(" ERROR") || body.equals("ERROR")) {
            String m = body.equals("ERROR") ? "" : body.substring(0, body.length() - " ERROR".length());
            if (m.startsWith("stream: ")) m = m.substring("stream: ".length());
            return new ScanResult.Failed("clamd error: " + quote(m));
        }
        if (body.equals("COMMAND READ TIMED OUT")) return new ScanResult.Failed("clamd timed out reading the command (COMMAND READ TIMED OUT)");
        if (body.equals("UNKNOWN COMMAND")) return new ScanResult.Failed("clamd did not understand the command (UNKNOWN COMMAND)");
        if (body.startsWith("stream: ") || "stream: OK".startsWith(body)) {
            return new ScanResult.Failed("clamd's reply was cut off: " + quote(body));
        }
        return new ScanResult.Failed("unexpected clamd reply: " + quote(body));
    }

    /** A reply for a message: control characters replaced, quoted, at most 200 characters. */
    static String quote(String reply) {
        StringBuilder s = new StringBuilder(Math.min(reply.length(), 201));
        for (int i = 0; i < reply.length() && s.length() < 200; i++) {
            char c = reply.charAt(i);
            s.append(Character.isISOControl(c) ? '?' : c);
        }
        return "'" + s + (reply.length() > 200 ? "…" : "") + "'";
    }
}
