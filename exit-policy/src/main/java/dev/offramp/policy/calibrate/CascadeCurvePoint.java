package dev.offramp.policy.calibrate;

/**
 * One operating point of a two-member cascade on calibration data.
 *
 * @param threshold    defer when a request's score is above this
 * @param deferralRate the fraction of requests deferred, in [0, 1]
 * @param agreement    the fraction of final answers equal to the large member's, in [0, 1]
 * @param cost         the mean cost per request: the small member always runs, the large one when deferred
 */
public record CascadeCurvePoint(double threshold, double deferralRate, double agreement, double cost) {
    public CascadeCurvePoint {
        if (Double.isNaN(threshold)) {
            throw new IllegalArgumentException("threshold expected a number, found NaN");
        }
        if (!(deferralRate >= 0 && deferralRate <= 1)) {
            throw new IllegalArgumentException("deferralRate expected in [0, 1], found " + deferralRate);
        }
        if (!(agreement >= 0 && agreement <= 1)) {
            throw new IllegalArgumentException("agreement expected in [0, 1], found " + agreement);
        }
        if (!(cost >= 0 && Double.isFinite(cost))) {
            throw new IllegalArgumentException("cost expected finite and >= 0, found " + cost);
        }
    }
}
