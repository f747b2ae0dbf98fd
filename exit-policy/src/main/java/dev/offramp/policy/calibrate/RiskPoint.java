package dev.offramp.policy.calibrate;

/**
 * The measured risk of one threshold on calibration data: {@code errors} 0/1 losses among {@code trials}.
 *
 * @param threshold the policy or deferral-rule threshold this risk was measured at (not NaN)
 * @param errors    losses equal to 1, in [0, trials]
 * @param trials    losses measured, &gt; 0
 */
public record RiskPoint(double threshold, long errors, long trials) {
    public RiskPoint {
        if (Double.isNaN(threshold)) {
            throw new IllegalArgumentException("threshold expected a number, found NaN");
        }
        if (trials <= 0) {
            throw new IllegalArgumentException("trials expected > 0, found " + trials);
        }
        if (errors < 0 || errors > trials) {
            throw new IllegalArgumentException("errors expected in [0, trials = " + trials + "], found " + errors);
        }
    }

    /** The empirical risk errors / trials. */
    public double risk() {
        return (double) errors / trials;
    }
}
