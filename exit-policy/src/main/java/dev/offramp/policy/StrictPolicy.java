package dev.offramp.policy;

/**
 * {@code strict(spec)}: the policy exactly as given. The engine thins a schedule whose checks cost more than the
 * exits they find save ({@link CheckCostModel}); a strict policy keeps every check (and is still reported).
 */
public final class StrictPolicy implements ExitPolicy {
    private final ExitPolicy inner;

    public StrictPolicy(ExitPolicy inner) {
        this.inner = java.util.Objects.requireNonNull(inner, "inner");
    }

    public ExitPolicy inner() {
        return inner;
    }

    @Override
    public Schedule schedule() {
        return inner.schedule();
    }

    @Override
    public boolean shouldExit(TokenState token) {
        return inner.shouldExit(token);
    }

    @Override
    public String toString() {
        return "strict(" + inner + ")";
    }
}
