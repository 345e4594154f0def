package dev.stowage.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;

/** {@code stowage version}: prints the version and the Java runtime. */
@Command(name = "version", description = "Print the Stowage version and the Java runtime.")
public final class VersionCommand implements Callable<Integer> {

    /** The version from the jar manifest, or {@code (unpackaged build)} when run from classes. */
    public static String version() {
        String v = VersionCommand.class.getPackage().getImplementationVersion();
        return v == null ? "(unpackaged build)" : v;
    }

    @Override
    public Integer call() {
        for (String line : new Provider().getVersion()) System.out.println(line);
        return 0;
    }

    /** Feeds {@code --version}. */
    public static final class Provider implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"stowage " + version(),
                    "java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"};
        }
    }
}
