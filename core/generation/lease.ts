/**
 * The generation lease. `generate` claims an order for LEASE_MS and renews the claim with every
 * output batch (and every HEARTBEAT_MS while waiting for a first token); a worker that dies stops
 * renewing, and `reconcile` resumes or refunds the order once the lease has run out. Shared by
 * both functions, so it lives here rather than in either handler.
 */

/** How long a claim on an order lasts without renewal. */
export const LEASE_MS = 15_000;
/** How often a running generation renews its lease even when no text arrives. */
export const HEARTBEAT_MS = 5_000;
/** A generation whose worker died is resumed (restarted cleanly) at most this many times in all. */
export const MAX_ATTEMPTS = 3;
