package dev.stowage.images;

/**
 * Colour difference for the fidelity tests: sRGB (8-bit, IEC 61966-2-1) to CIELAB (D65 white, the sRGB
 * white point, no chromatic adaptation) and the CIEDE2000 difference as given by Sharma, Wu and Dalal,
 * "The CIEDE2000 Color-Difference Formula: Implementation Notes, Supplementary Test Data, and Mathematical
 * Observations" (Color Research and Application 30(1), 2005), with kL = kC = kH = 1.
 */
final class Ciede2000 {
    private Ciede2000() {}

    private static final double[] LINEAR = new double[256];

    static {
        for (int i = 0; i < 256; i++) {
            double c = i / 255.0;
            LINEAR[i] = c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
        }
    }

    /** CIELAB {L, a, b} of an 8-bit sRGB colour (0xRRGGBB; higher bits ignored). */
    static double[] lab(int rgb) {
        double r = LINEAR[(rgb >> 16) & 0xFF], g = LINEAR[(rgb >> 8) & 0xFF], b = LINEAR[rgb & 0xFF];
        double x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047;
        double y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b;
        double z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883;
        double fx = f(x), fy = f(y), fz = f(z);
        return new double[] {116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)};
    }

    private static double f(double t) {
        return t > 216.0 / 24389 ? Math.cbrt(t) : (24389.0 / 27 * t + 16) / 116;
    }

    /** ΔE2000 between two 8-bit sRGB colours. */
    static double deltaE(int rgb1, int rgb2) {
        double[] p = lab(rgb1), q = lab(rgb2);
        return deltaE(p[0], p[1], p[2], q[0], q[1], q[2]);
    }

    /** ΔE2000 between two CIELAB colours (Sharma, Wu, Dalal 2005, equations 1-22). */
    static double deltaE(double l1, double a1, double b1, double l2, double a2, double b2) {
        double c1 = Math.hypot(a1, b1), c2 = Math.hypot(a2, b2);
        double cBar = (c1 + c2) / 2;
        double cBar7 = Math.pow(cBar, 7);
        double g = 0.5 * (1 - Math.sqrt(cBar7 / (cBar7 + Math.pow(25, 7))));
        double a1p = (1 + g) * a1, a2p = (1 + g) * a2;
        double c1p = Math.hypot(a1p, b1), c2p = Math.hypot(a2p, b2);
        double h1p = hueDegrees(a1p, b1), h2p = hueDegrees(a2p, b2);

        double dLp = l2 - l1;
        double dCp = c2p - c1p;
        double dhp;
        if (c1p * c2p == 0) dhp = 0;
        else if (Math.abs(h2p - h1p) <= 180) dhp = h2p - h1p;
        else if (h2p - h1p > 180) dhp = h2p - h1p - 360;
        else dhp = h2p - h1p + 360;
        double dHp = 2 * Math.sqrt(c1p * c2p) * Math.sin(Math.toRadians(dhp / 2));

        double lBarp = (l1 + l2) / 2;
        double cBarp = (c1p + c2p) / 2;
        double hBarp;
        if (c1p * c2p == 0) hBarp = h1p + h2p;
        else if (Math.abs(h1p - h2p) <= 180) hBarp = (h1p + h2p) / 2;
        else if (h1p + h2p < 360) hBarp = (h1p + h2p + 360) / 2;
        else hBarp = (h1p + h2p - 360) / 2;

        double t = 1 - 0.17 * Math.cos(Math.toRadians(hBarp - 30)) + 0.24 * Math.cos(Math.toRadians(2 * hBarp))
                + 0.32 * Math.cos(Math.toRadians(3 * hBarp + 6)) - 0.20 * Math.cos(Math.toRadians(4 * hBarp - 63));
        double dTheta = 30 * Math.exp(-Math.pow((hBarp - 275) / 25, 2));
        double cBarp7 = Math.pow(cBarp, 7);
        double rc = 2 * Math.sqrt(cBarp7 / (cBarp7 + Math.pow(25, 7)));
        double lm = (lBarp - 50) * (lBarp - 50);
        double sl = 1 + 0.015 * lm / Math.sqrt(20 + lm);
        double sc = 1 + 0.045 * cBarp;
        double sh = 1 + 0.015 * cBarp * t;
        double rt = -Math.sin(Math.toRadians(2 * dTheta)) * rc;
        double x = dLp / sl, y = dCp / sc, z = dHp / sh;
        return Math.sqrt(x * x + y * y + z * z + rt * y * z);
    }

    private static double hueDegrees(double a, double b) {
        if (a == 0 && b == 0) return 0;
        double h = Math.toDegrees(Math.atan2(b, a));
        return h < 0 ? h + 360 : h;
    }
}
