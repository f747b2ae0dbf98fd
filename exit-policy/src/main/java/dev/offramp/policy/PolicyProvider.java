package dev.offramp.policy;

import java.util.List;

/**
 * A source of plug-in policies, found by {@link java.util.ServiceLoader}: a jar names its implementations, one a
 * line, in {@code META-INF/services/dev.offramp.policy.PolicyProvider}, each a public class with a public
 * no-argument constructor. Its policies join the built-in ones ({@link PolicyRegistry#withPlugins}); a name that is
 * already taken is refused.
 */
public interface PolicyProvider {
    /** The policies this provider adds, each under its own spec name. */
    List<PolicyFactory> policies();
}
