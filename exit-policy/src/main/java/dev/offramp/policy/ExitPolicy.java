package dev.offramp.policy;

/**
 * Decides, token by token, whether to leave the model after a checked layer. A pure function of the token's
 * signals: no state between calls, so one instance serves every request and row.
 */
public interface ExitPolicy {
    /** Where this policy looks and which signals it needs there. */
    Schedule schedule();

    /** Called after each checked layer with the signals so far: true to exit now. */
    boolean shouldExit(TokenState token);
}
