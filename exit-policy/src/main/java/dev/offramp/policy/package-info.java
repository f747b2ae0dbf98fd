/**
 * Exit policies: pure functions of a token's per-layer signals that answer "continue" or "exit" (JDK only, no DJL
 * types). Empty until the policies issue lands; the module exists so the build has its final shape.
 */
package dev.offramp.policy;
