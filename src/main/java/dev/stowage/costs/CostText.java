package dev.stowage.costs;

import java.util.Locale;

/** The text form of a {@link CostReport}, as {@code stowage costs} prints it. */
public final class CostText {
    private CostText() {}

    /** A byte count with a binary unit, e.g. {@code 1.5 GiB}. */
    public static String bytes(long b) {
        if (b < 1024) return b + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = b;
        int i = -1;
        do {
            v /= 1024;
            i++;
        } while (v >= 1024 && i < units.length - 1);
        return String.format(Locale.ROOT, "%.1f %s", v, units[i]);
    }

    private static String usd(double v) {
        return String.format(Locale.ROOT, Math.abs(v) < 1 ? "$%,.6f" : "$%,.2f", v);
    }

    /**
     * @param r the report
     * @return the text, ending with a newline
     */
    public static String render(CostReport r) {
        StringBuilder sb = new StringBuilder();
        var t = r.totals();
        sb.append(String.format(Locale.ROOT, "Stowage costs at %s (%s prices, USD)%n%n", r.takenAt(), r.priceTable()));
        sb.append(String.format(Locale.ROOT, "%-28s %-14s %12s %10s %12s %10s %12s%n", "bucket", "class", "bytes", "objects", "db bytes", "db objects", "per month"));
        for (var u : r.usage()) {
            sb.append(String.format(Locale.ROOT, "%-28s %-14s %12s %10d %12s %10d %12s%n", u.bucket(), u.storageClass(), bytes(u.storeBytes()),
                    u.storeObjects(), bytes(u.databaseBytes()), u.databaseObjects(), usd(u.monthlyUsd())));
            if (u.storeBytes() != u.databaseBytes() && u.databaseObjects() > 0) {
                sb.append(String.format(Locale.ROOT, "  store and database differ by %s (%d objects)%n",
                        bytes(Math.abs(u.storeBytes() - u.databaseBytes())), u.storeObjects() - u.databaseObjects()));
            }
        }
        sb.append(String.format(Locale.ROOT, "%-43s %12s %10d%n%n", "total", bytes(t.bytes()), t.objects()));
        sb.append(String.format(Locale.ROOT, "storage       %s / month%n", usd(t.storageMonthlyUsd())));
        sb.append(String.format(Locale.ROOT, "requests      %s / month (%d writes in the last 30 days; reads not measured)%n",
                usd(t.requestsMonthlyUsd()), r.requests().writes()));
        sb.append(String.format(Locale.ROOT, "monthly cost  %s%n", usd(t.monthlyUsd())));
        sb.append(String.format(Locale.ROOT, "projected     %s for the next 30 days (growth %s)%n%n", usd(t.projectedMonthlyUsd()),
                t.growthBytesPerDay() == null ? "not measured yet: needs a snapshot an hour or more old" : bytes(t.growthBytesPerDay()) + " a day"));
        var l = r.lifecycle();
        sb.append(String.format(Locale.ROOT, "lifecycle     %s in colder classes: %s / month instead of %s all-STANDARD, saving %s%n%n",
                bytes(l.colderBytes()), usd(l.actualMonthlyUsd()), usd(l.allStandardMonthlyUsd()), usd(l.savingMonthlyUsd())));
        sb.append("top users by bytes\n");
        if (r.topUsers().isEmpty()) sb.append("  (none)\n");
        for (var u : r.topUsers()) sb.append(String.format(Locale.ROOT, "  %-30s %12s %8d files%n", u.userId(), bytes(u.bytes()), u.files()));
        sb.append("\nalerts (last 30 days)\n");
        if (r.alerts().isEmpty()) sb.append("  (none)\n");
        for (var a : r.alerts()) {
            sb.append(String.format(Locale.ROOT, "  %s %-12s %s%s%n", a.raisedAt(), a.kind(), a.message(), a.delivered() ? " [webhook delivered]" : ""));
        }
        return sb.toString();
    }
}
