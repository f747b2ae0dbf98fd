package dev.offramp.policy;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A vote over child policies (all / any / at least n): combinations of single signals, for the room between plain
 * confidence and the exit oracle (ARCHITECTURE.md, "Facts"). A child's latest verdict is its {@code shouldExit} on
 * the history filtered to the layers its own schedule checks (false while it has checked none), so a patience child
 * counts only its layers.
 */
public final class CompositePolicy implements ExitPolicy {
    private final String name;
    private final int required;
    private final List<ExitPolicy> children;
    private final Schedule schedule;

    private CompositePolicy(String name, int required, List<ExitPolicy> children) {
        this.name = name;
        this.required = required;
        this.children = children;
        this.schedule = children.stream().map(ExitPolicy::schedule).reduce(Schedule::union).orElseThrow();
    }

    /** Exits when every child's latest verdict is exit. */
    public static CompositePolicy all(List<? extends ExitPolicy> children) {
        List<ExitPolicy> list = checked("all", children);
        return new CompositePolicy("all", list.size(), list);
    }

    /** Exits when any child's latest verdict is exit. */
    public static CompositePolicy any(List<? extends ExitPolicy> children) {
        return new CompositePolicy("any", 1, checked("any", children));
    }

    /** Exits when at least {@code n} children's latest verdicts are exit; n in [1, number of children]. */
    public static CompositePolicy quorum(int n, List<? extends ExitPolicy> children) {
        List<ExitPolicy> list = checked("quorum", children);
        Specs.require(n >= 1 && n <= list.size(), "quorum", "n", "in [1, " + list.size() + "]", n);
        return new CompositePolicy("quorum", n, list);
    }

    private static List<ExitPolicy> checked(String name, List<? extends ExitPolicy> children) {
        if (children.isEmpty()) {
            throw new IllegalArgumentException(name + ": expected at least one child policy, found none");
        }
        return List.copyOf(children);
    }

    public List<ExitPolicy> children() {
        return children;
    }

    /** How many children must vote exit. */
    public int required() {
        return required;
    }

    @Override
    public Schedule schedule() {
        return schedule;
    }

    @Override
    public boolean shouldExit(TokenState token) {
        int exits = 0;
        for (ExitPolicy child : children) {
            if (latestVerdict(child, token) && ++exits >= required) {
                return true;
            }
        }
        return false;
    }

    /** The child's verdict at the last layer it checked, seeing only the layers it checks. */
    private static boolean latestVerdict(ExitPolicy child, TokenState token) {
        Schedule own = child.schedule();
        List<LayerSignals> seen = token.history().stream()
                .filter(s -> own.checks(s.layer(), token.totalLayers()))
                .toList();
        return !seen.isEmpty() && child.shouldExit(new TokenState(token.position(), token.totalLayers(), seen));
    }

    @Override
    public String toString() {
        String list = children.stream().map(Object::toString).collect(Collectors.joining(", "));
        return name + "(" + (name.equals("quorum") ? required + ", " : "") + list + ")";
    }
}
