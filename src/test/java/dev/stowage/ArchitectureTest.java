package dev.stowage;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The package rules of docs/architecture.md §13, checked on the compiled main classes: no package cycle,
 * the layering, which Stowage packages each package may depend on (the same table as §13), and who may
 * use the S3 SDK.
 */
class ArchitectureTest {
    /** The root package ({@code Stowage}), written {@code *root*} in §13. */
    static final String ROOT = "root";
    /** The packages that may be used from every other one and use no other Stowage package. */
    static final List<String> FOUNDATION = List.of("config", "problems", "metrics", "scanning");
    /** The clients of the infrastructure, which use only {@code config}. */
    static final List<String> INFRASTRUCTURE = List.of("storage", "db", "security");
    /** The top: the API, the command line, the dev stack and the wiring. Nothing below refers to them. */
    static final List<String> TOP = List.of("http", "cli", "dev", ROOT);

    /**
     * Each package and the Stowage packages it may depend on, bottom to top, as in the table of §13.
     * A package at the top is given as what it may not depend on ({@link #everyPackageBut}); a package
     * never counts as depending on itself.
     */
    static final Map<String, Set<String>> MAY_DEPEND_ON = new LinkedHashMap<>();

    static {
        MAY_DEPEND_ON.put("config", Set.of());
        MAY_DEPEND_ON.put("problems", Set.of());
        MAY_DEPEND_ON.put("metrics", Set.of());
        MAY_DEPEND_ON.put("scanning", Set.of());
        MAY_DEPEND_ON.put("storage", Set.of("config"));
        MAY_DEPEND_ON.put("db", Set.of("config"));
        MAY_DEPEND_ON.put("security", Set.of("config"));
        MAY_DEPEND_ON.put("buckets", Set.of("config", "storage"));
        MAY_DEPEND_ON.put("costs", Set.of("buckets", "config", "files", "metrics", "storage"));
        MAY_DEPEND_ON.put("audit", Set.of("config", "buckets", "storage"));
        MAY_DEPEND_ON.put("iam", Set.of("config", "buckets", "storage"));
        MAY_DEPEND_ON.put("backup", Set.of("config", "buckets", "storage"));
        MAY_DEPEND_ON.put("delivery", Set.of("config", "buckets", "problems", "security"));
        MAY_DEPEND_ON.put("files", Set.of("config", "problems", "security", "storage"));
        MAY_DEPEND_ON.put("uploads", Set.of("config", "files", "metrics", "problems", "scanning", "security", "storage"));
        MAY_DEPEND_ON.put("images", Set.of("config", "files", "metrics", "problems", "storage"));
        MAY_DEPEND_ON.put("retention", Set.of("config", "files", "problems", "security", "storage"));
        MAY_DEPEND_ON.put("events", Set.of("files", "problems", "storage", "uploads"));
        MAY_DEPEND_ON.put("jobs", Set.of("images", "problems", "uploads"));
        MAY_DEPEND_ON.put("migration", Set.of("config", "files", "images", "scanning", "storage", "uploads"));
        MAY_DEPEND_ON.put("http", everyPackageBut("cli", "dev", ROOT));
        MAY_DEPEND_ON.put(ROOT, everyPackageBut("cli", "dev"));
        MAY_DEPEND_ON.put("dev", everyPackageBut("cli"));
        MAY_DEPEND_ON.put("cli", everyPackageBut());
    }

    /**
     * The packages that may use the S3 SDK ({@code software.amazon.awssdk.services.s3..}): the store seam's, and
     * {@code dev}, whose wrappers of the embedded S3Proxy's store (typed in the SDK's model classes) implement S3.
     */
    static final Set<String> MAY_USE_S3_SDK = Set.of("storage", "dev");

    private static final String BASE = "dev.stowage";
    private static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages(BASE);
    }

    /** The packages named in §13, in its order (stable for the marker sets above). */
    private static List<String> allPackages() {
        return List.of("config", "problems", "metrics", "scanning", "storage", "db", "security", "buckets", "costs",
                "audit", "iam", "backup", "delivery", "files", "uploads", "images", "retention", "events", "jobs",
                "migration", "http", "dev", "cli", ROOT);
    }

    private static Set<String> everyPackageBut(String... not) {
        Set<String> out = new TreeSet<>(allPackages());
        out.removeAll(List.of(not));
        return Set.copyOf(out);
    }

    /** The ArchUnit package pattern of a Stowage package: the root package alone, or a package with its subpackages. */
    private static String pattern(String pkg) {
        return pkg.equals(ROOT) ? BASE : BASE + "." + pkg + "..";
    }

    private static String[] patterns(Iterable<String> pkgs) {
        List<String> out = new ArrayList<>();
        pkgs.forEach(p -> out.add(pattern(p)));
        return out.toArray(String[]::new);
    }

    /** The Stowage package of a class ({@link #ROOT} for the root package), or {@code null} outside Stowage. */
    private static String stowagePackage(JavaClass c) {
        String p = c.getPackageName();
        if (p.equals(BASE)) return ROOT;
        if (!p.startsWith(BASE + ".")) return null;
        return p.substring(BASE.length() + 1).split("\\.")[0];
    }

    /** Slices: one per top-level Stowage package, the root package being one of them. */
    private static final SliceAssignment PACKAGES = new SliceAssignment() {
        @Override
        public SliceIdentifier getIdentifierOf(JavaClass javaClass) {
            String p = stowagePackage(javaClass);
            return p == null ? SliceIdentifier.ignore() : SliceIdentifier.of(p);
        }

        @Override
        public String getDescription() {
            return "the packages of " + BASE + " (its root package included)";
        }
    };

    @Test
    void noPackageCycles() {
        slices().assignedFrom(PACKAGES).should().beFreeOfCycles().check(classes);
    }

    @Test
    void foundationDependsOnNoOtherStowagePackage() {
        for (String p : FOUNDATION) {
            List<String> others = allPackages().stream().filter(o -> !o.equals(p)).toList();
            noClasses().that().resideInAPackage(pattern(p))
                    .should().dependOnClassesThat().resideInAnyPackage(patterns(others))
                    .because("docs/architecture.md §13 rule 1").check(classes);
        }
    }

    @Test
    void infrastructureDependsOnlyOnConfig() {
        for (String p : INFRASTRUCTURE) {
            List<String> others = allPackages().stream().filter(o -> !o.equals(p) && !o.equals("config")).toList();
            noClasses().that().resideInAPackage(pattern(p))
                    .should().dependOnClassesThat().resideInAnyPackage(patterns(others))
                    .because("docs/architecture.md §13 rule 2").check(classes);
        }
    }

    @Test
    void nothingBelowTheTopDependsOnIt() {
        noClasses().that().resideOutsideOfPackages(patterns(TOP))
                .should().dependOnClassesThat().resideInAnyPackage(patterns(TOP))
                .because("features are below http, cli, dev and the wiring (docs/architecture.md §13 rule 3)").check(classes);
        noClasses().that().resideInAPackage(pattern("http"))
                .should().dependOnClassesThat().resideInAnyPackage(patterns(List.of("cli", "dev", ROOT)))
                .because("only the entry layer refers to http (docs/architecture.md §13 rule 4)").check(classes);
        noClasses().that().resideInAnyPackage(patterns(List.of(ROOT, "dev")))
                .should().dependOnClassesThat().resideInAPackage(pattern("cli"))
                .because("only cli itself refers to cli (docs/architecture.md §13 rule 4)").check(classes);
    }

    @TestFactory
    Stream<DynamicTest> eachPackageDependsOnlyOnWhatTheMapAllows() {
        return MAY_DEPEND_ON.entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(), () -> {
            Set<String> forbidden = new TreeSet<>(allPackages());
            forbidden.remove(e.getKey());
            forbidden.removeAll(e.getValue());
            if (forbidden.isEmpty()) return;
            noClasses().that().resideInAPackage(pattern(e.getKey()))
                    .should().dependOnClassesThat().resideInAnyPackage(patterns(forbidden))
                    .because("docs/architecture.md §13 lists what " + e.getKey() + " may depend on").check(classes);
        }));
    }

    /** A class of S3Proxy's blob store interface, directly or through its forwarding base class (matched by name: S3Proxy is not imported). */
    private static final com.tngtech.archunit.base.DescribedPredicate<JavaClass> S3PROXY_BLOB_STORE =
            com.tngtech.archunit.base.DescribedPredicate.describe("a wrapper of S3Proxy's blob store", c ->
                    c.getRawSuperclass().map(s -> s.getName().equals("org.gaul.s3proxy.blobstore.ForwardingBlobStore")).orElse(false)
                            || c.getRawInterfaces().stream().anyMatch(i -> i.getName().equals("org.gaul.s3proxy.blobstore.BlobStore")));

    @Test
    void onlyTheListedPackagesUseTheS3Sdk() {
        Set<String> others = new TreeSet<>(allPackages());
        others.removeAll(MAY_USE_S3_SDK);
        // the one exception: the dev stack's wrappers of S3Proxy's blob store, an interface written in the SDK's model types
        noClasses().that().resideInAnyPackage(patterns(others))
                .and(com.tngtech.archunit.base.DescribedPredicate.not(S3PROXY_BLOB_STORE))
                .should().dependOnClassesThat().resideInAPackage("software.amazon.awssdk.services.s3..")
                .because("S3 calls belong behind storage (docs/architecture.md §13 rule 6)").check(classes);
    }

    @Test
    void everyPackageIsInTheMap() {
        Set<String> present = classes.stream().map(ArchitectureTest::stowagePackage)
                .filter(p -> p != null).collect(Collectors.toCollection(TreeSet::new));
        assertThat(present).as("Stowage packages in the code").isEqualTo(new TreeSet<>(allPackages()));
        assertThat(MAY_DEPEND_ON.keySet()).containsExactlyInAnyOrderElementsOf(allPackages());
    }

    /** §13's table is the map above: same packages, same "may depend on", so the page cannot drift from the rules. */
    @Test
    void theArchitecturePageListsTheSameRules() throws Exception {
        String doc = Files.readString(Path.of("docs/architecture.md"));
        String section = doc.substring(doc.indexOf("## 13."), doc.indexOf("## 14."));
        Pattern row = Pattern.compile("(?m)^\\| (`[a-z]+`|\\*root\\*) \\| [^|]+ \\| ([^|]+) \\|$");
        Map<String, Set<String>> documented = new TreeMap<>();
        Matcher m = row.matcher(section);
        while (m.find()) documented.put(name(m.group(1)), documentedDependencies(m.group(2).strip()));
        assertThat(documented).isEqualTo(new TreeMap<>(MAY_DEPEND_ON));
        Matcher s3 = Pattern.compile("only these packages use the S3 SDK[^:]*: ([^.]+)\\.").matcher(section.replaceAll("\\s+", " "));
        assertThat(s3.find()).as("§13 names the packages that may use the S3 SDK").isTrue();
        assertThat(names(s3.group(1))).isEqualTo(new TreeSet<>(MAY_USE_S3_SDK));
    }

    private static String name(String cell) {
        return cell.equals("*root*") ? ROOT : cell.replace("`", "");
    }

    private static Set<String> names(String list) {
        Set<String> out = new TreeSet<>();
        for (String n : list.split(",")) out.add(name(n.strip()));
        return out;
    }

    /** {@code —}, {@code a, b, c}, {@code every package} or {@code every package but a, b}. */
    private static Set<String> documentedDependencies(String cell) {
        if (cell.equals("—")) return Set.of();
        if (cell.equals("every package")) return everyPackageBut();
        String but = "every package but ";
        if (cell.startsWith(but)) return everyPackageBut(names(cell.substring(but.length())).toArray(String[]::new));
        return names(cell);
    }
}
