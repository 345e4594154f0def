package dev.stowage.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The findings of one audit and their renderings: text for people, JSON for scripts, SARIF 2.1.0
 * (OASIS Static Analysis Results Interchange Format) for code-scanning dashboards.
 *
 * @param provider the provider audited
 * @param findings every control's outcome
 */
public record AuditReport(String provider, List<Finding> findings) {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Exit code of {@code stowage audit} when a HIGH or CRITICAL control failed. */
    public static final int EXIT_HIGH = 3;

    /** Failed controls. */
    public List<Finding> failures() {
        return findings.stream().filter(f -> f.status() == Finding.Status.FAIL).toList();
    }

    /** Provider gaps. */
    public List<Finding> gaps() {
        return findings.stream().filter(f -> f.status() == Finding.Status.UNSUPPORTED).toList();
    }

    /** Controls that could not be checked because the store refused a read. */
    public List<Finding> errors() {
        return findings.stream().filter(f -> f.status() == Finding.Status.ERROR).toList();
    }

    /** Whether a HIGH or CRITICAL control failed or could not be checked. */
    public boolean blocking() {
        return findings.stream().anyMatch(Finding::blocking);
    }

    /** Failures (most severe first), then gaps, then a summary line; passes are counted, not listed. */
    public String text() {
        var sb = new StringBuilder();
        failures().stream().sorted(java.util.Comparator.comparing(Finding::severity))
                .forEach(f -> sb.append(String.format(Locale.ROOT, "FAIL %-8s %-9s %s: %s%n", f.severity(), f.control(), f.resource(), f.detail())));
        errors().forEach(f -> sb.append(String.format(Locale.ROOT, "ERR  %-8s %-9s %s: %s%n", f.severity(), f.control(), f.resource(), f.detail())));
        gaps().forEach(f -> sb.append(String.format(Locale.ROOT, "GAP  %-8s %-9s %s: %s%n", "-", f.control(), f.resource(), f.detail())));
        Map<Severity, Long> bySeverity = new LinkedHashMap<>();
        for (Severity s : Severity.values()) bySeverity.put(s, failures().stream().filter(f -> f.severity() == s).count());
        long passed = findings.stream().filter(f -> f.status() == Finding.Status.PASS).count();
        sb.append(String.format(Locale.ROOT, "%d finding(s) (%d critical, %d high, %d medium, %d low), %d gap(s) unsupported by %s, %d passed.%n",
                failures().size(), bySeverity.get(Severity.CRITICAL), bySeverity.get(Severity.HIGH), bySeverity.get(Severity.MEDIUM),
                bySeverity.get(Severity.LOW), gaps().size(), provider, passed));
        if (!errors().isEmpty()) sb.append(String.format(Locale.ROOT, "%d check(s) could not be made (ERR).%n", errors().size()));
        return sb.toString();
    }

    /** {@code {"provider":…,"blocking":…,"findings":[{control,title,severity,status,resource,detail}]}}. */
    public String json() {
        ObjectNode root = JSON.createObjectNode();
        root.put("provider", provider);
        root.put("blocking", blocking());
        ArrayNode arr = root.putArray("findings");
        for (Finding f : findings) {
            ObjectNode n = arr.addObject();
            n.put("control", f.control());
            n.put("title", f.title());
            n.put("severity", f.severity().name());
            n.put("status", f.status().name());
            n.put("resource", f.resource());
            n.put("detail", f.detail());
        }
        return write(root);
    }

    /**
     * SARIF 2.1.0: one rule per control; failures are results of kind {@code fail} with level {@code error}
     * (critical, high), {@code warning} (medium) or {@code note} (low); gaps are kind {@code review}, passes
     * kind {@code pass} (level {@code none} for both, as §3.27.9 requires for kinds other than fail). Each
     * result names its bucket as a logical location.
     */
    public String sarif() {
        ObjectNode root = JSON.createObjectNode();
        root.put("$schema", "https://json.schemastore.org/sarif-2.1.0.json");
        root.put("version", "2.1.0");
        ObjectNode run = root.putArray("runs").addObject();
        ObjectNode driver = run.putObject("tool").putObject("driver");
        driver.put("name", "stowage-audit");
        driver.put("informationUri", "https://docs.aws.amazon.com/securityhub/latest/userguide/s3-controls.html");
        ArrayNode rules = driver.putArray("rules");
        Map<String, Integer> index = new LinkedHashMap<>();
        for (Finding f : findings) {
            if (index.containsKey(f.control())) continue;
            index.put(f.control(), index.size());
            ObjectNode r = rules.addObject();
            r.put("id", f.control());
            r.putObject("shortDescription").put("text", f.title());
            r.putObject("defaultConfiguration").put("level", level(f.severity()));
            r.putObject("properties").put("security-severity", securitySeverity(f.severity()));
        }
        ArrayNode results = run.putArray("results");
        for (Finding f : findings) {
            ObjectNode r = results.addObject();
            r.put("ruleId", f.control());
            r.put("ruleIndex", index.get(f.control()));
            switch (f.status()) {
                case FAIL -> {
                    r.put("kind", "fail");
                    r.put("level", level(f.severity()));
                }
                case UNSUPPORTED -> {
                    r.put("kind", "review");
                    r.put("level", "none");
                }
                case ERROR -> {
                    r.put("kind", "open");
                    r.put("level", "none");
                }
                case PASS -> {
                    r.put("kind", "pass");
                    r.put("level", "none");
                }
            }
            r.putObject("message").put("text", f.resource() + ": " + f.detail());
            ObjectNode loc = r.putArray("locations").addObject();
            ObjectNode ll = loc.putArray("logicalLocations").addObject();
            ll.put("name", f.resource());
            ll.put("kind", f.resource().equals("configuration") ? "module" : "resource");
            r.putObject("properties").put("severity", f.severity().name()).put("provider", provider);
        }
        return write(root);
    }

    private static String level(Severity s) {
        return switch (s) {
            case CRITICAL, HIGH -> "error";
            case MEDIUM -> "warning";
            case LOW, INFORMATIONAL -> "note";
        };
    }

    /** The CVSS-like score code-scanning dashboards sort by. */
    private static String securitySeverity(Severity s) {
        return switch (s) {
            case CRITICAL -> "9.5";
            case HIGH -> "8.0";
            case MEDIUM -> "5.5";
            case LOW -> "3.0";
            case INFORMATIONAL -> "0.0";
        };
    }

    private static String write(ObjectNode n) {
        try {
            return JSON.writeValueAsString(n) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
