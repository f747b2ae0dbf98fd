package dev.offramp.model;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Which {@link Kernel} computes each matrix product at each {@link Bucket} of rows, and what the planner measured
 * for it: the time of one pass over all of the model's products (every layer's four, then the LM head) at the
 * bucket's timed row count. Immutable; {@link #with} makes a changed copy.
 */
public final class KernelPlan {
    private final Kernel[][] kernels;  // [product][bucket]
    private final double[] passMicros; // [bucket], NaN where not measured

    private KernelPlan(Kernel[][] kernels, double[] passMicros) {
        this.kernels = kernels;
        this.passMicros = passMicros;
    }

    /** The same kernel for every product and bucket. */
    public static KernelPlan uniform(Kernel k) {
        Kernel[][] ks = new Kernel[Product.values().length][Bucket.values().length];
        for (Kernel[] row : ks) {
            Arrays.fill(row, k);
        }
        double[] t = new double[Bucket.values().length];
        Arrays.fill(t, Double.NaN);
        return new KernelPlan(ks, t);
    }

    public Kernel kernel(Product p, Bucket b) {
        return kernels[p.ordinal()][b.ordinal()];
    }

    /** This plan with {@code k} for product {@code p} at bucket {@code b}. */
    public KernelPlan with(Product p, Bucket b, Kernel k) {
        Kernel[][] ks = copy();
        ks[p.ordinal()][b.ordinal()] = k;
        return new KernelPlan(ks, passMicros.clone());
    }

    /** This plan with {@code k} for every product at bucket {@code b}. */
    public KernelPlan with(Bucket b, Kernel k) {
        Kernel[][] ks = copy();
        for (Kernel[] row : ks) {
            row[b.ordinal()] = k;
        }
        return new KernelPlan(ks, passMicros.clone());
    }

    /** This plan with the measured pass time at bucket {@code b}. */
    public KernelPlan measured(Bucket b, double micros) {
        double[] t = passMicros.clone();
        t[b.ordinal()] = micros;
        return new KernelPlan(copy(), t);
    }

    /** µs of one pass over every product at bucket {@code b}'s timed rows, NaN if the plan was not measured. */
    public double passMicros(Bucket b) {
        return passMicros[b.ordinal()];
    }

    /** Whether product {@code p} uses this precision and layout at some bucket (that form is then kept). */
    boolean uses(Kernel.Precision precision, Kernel.Layout layout, Product p) {
        for (Kernel k : kernels[p.ordinal()]) {
            if (k.precision() == precision && k.layout() == layout) {
                return true;
            }
        }
        return false;
    }

    private Kernel[][] copy() {
        Kernel[][] ks = new Kernel[kernels.length][];
        for (int i = 0; i < ks.length; i++) {
            ks[i] = kernels[i].clone();
        }
        return ks;
    }

    /** A plain map for JSON: product label → bucket label → kernel, and the pass times. */
    public Map<String, Object> toJson() {
        Map<String, Object> out = new LinkedHashMap<>();
        Map<String, Map<String, String>> ks = new LinkedHashMap<>();
        for (Product p : Product.values()) {
            Map<String, String> row = new LinkedHashMap<>();
            for (Bucket b : Bucket.values()) {
                row.put(b.name(), kernel(p, b).toString());
            }
            ks.put(p.name(), row);
        }
        out.put("kernels", ks);
        Map<String, Double> t = new LinkedHashMap<>();
        for (Bucket b : Bucket.values()) {
            if (!Double.isNaN(passMicros(b))) {
                t.put(b.name(), passMicros(b));
            }
        }
        out.put("pass_us", t);
        return out;
    }

    /** Reads {@link #toJson()}'s form; unknown or missing entries are an error. */
    @SuppressWarnings("unchecked")
    public static KernelPlan fromJson(Map<String, Object> json) {
        Object ks = json.get("kernels");
        if (!(ks instanceof Map<?, ?> kmap)) {
            throw new IllegalArgumentException("kernel plan: expected a \"kernels\" object");
        }
        KernelPlan plan = uniform(Kernel.REFERENCE);
        for (Product p : Product.values()) {
            Object row = kmap.get(p.name());
            if (!(row instanceof Map<?, ?> rmap)) {
                throw new IllegalArgumentException("kernel plan: expected kernels for " + p.name());
            }
            for (Bucket b : Bucket.values()) {
                Object k = rmap.get(b.name());
                if (!(k instanceof String s)) {
                    throw new IllegalArgumentException("kernel plan: expected a kernel for " + p.name() + " at "
                            + b.name());
                }
                plan = plan.with(p, b, Kernel.parse(s));
            }
        }
        if (json.get("pass_us") instanceof Map<?, ?> t) {
            for (Map.Entry<?, ?> e : ((Map<Object, Object>) t).entrySet()) {
                plan = plan.measured(Bucket.valueOf(String.valueOf(e.getKey())), ((Number) e.getValue()).doubleValue());
            }
        }
        return plan;
    }

    /** A markdown table: one row per product, one column per bucket (rows per product), then the pass times. */
    public String table() {
        StringBuilder sb = new StringBuilder("| product |");
        StringJoiner rule = new StringJoiner("|", "|", "|").add("---");
        for (Bucket b : Bucket.values()) {
            sb.append(' ').append(b.label()).append(b == Bucket.ONE ? " row |" : " rows |");
            rule.add("---");
        }
        sb.append('\n').append(rule).append('\n');
        for (Product p : Product.values()) {
            sb.append("| ").append(p.label()).append(" |");
            for (Bucket b : Bucket.values()) {
                sb.append(' ').append(kernel(p, b)).append(" |");
            }
            sb.append('\n');
        }
        sb.append("| µs per pass (all products) |");
        for (Bucket b : Bucket.values()) {
            sb.append(Double.isNaN(passMicros(b)) ? " – |" : String.format(" %.0f (%d row%s) |", passMicros(b),
                    b.timedRows(), b.timedRows() == 1 ? "" : "s"));
        }
        return sb.append('\n').toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KernelPlan other && Arrays.deepEquals(kernels, other.kernels);
    }

    @Override
    public int hashCode() {
        return Arrays.deepHashCode(kernels);
    }

    @Override
    public String toString() {
        Map<Product, String> m = new EnumMap<>(Product.class);
        for (Product p : Product.values()) {
            m.put(p, Arrays.toString(kernels[p.ordinal()]));
        }
        return "KernelPlan" + m;
    }
}
