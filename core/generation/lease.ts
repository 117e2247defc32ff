/**
 * The generation lease. `generate` claims an order for the lease's length
 * (`GENERATION_LEASE_SECONDS`, `env.generationLeaseMs`) and renews the claim with every output
 * batch (and every heartbeat while waiting for a first token); a worker that dies stops renewing,
 * and `reconcile` resumes or refunds the order once the lease has run out. Shared by both
 * functions, so it lives here rather than in either handler.
 */

/** How long a claim on an order lasts without renewal, unless configured otherwise. */
export const DEFAULT_LEASE_MS = 15_000;
/**
 * The shortest lease accepted. A renewal can come up to two heartbeats after the one before (see
 * OutputWriter.heartbeat) and is itself a store write: at 6 s that leaves 2 s for a slow write.
 */
export const MIN_LEASE_MS = 6_000;
/** The longest lease accepted: a worker that died leaves its order waiting this long before reconcile resumes it. */
export const MAX_LEASE_MS = 120_000;

/**
 * How often a running generation renews its lease even when no text arrives: a third of the
 * lease, so that renewals two heartbeats apart still leave a third of it for the write itself.
 * (A renewal that fails twice ends the attempt at once: the writer marks the lease lost.)
 */
export function heartbeatMs(leaseMs: number): number {
  return Math.floor(leaseMs / 3);
}

/** A generation whose worker died is resumed (restarted cleanly) at most this many times in all. */
export const MAX_ATTEMPTS = 3;
