import type { BreakerSettings } from '../config/env';
import { log } from '../log';
import type { Database, Document } from '../platform/wxCloud';
import type { ProviderHealth } from './router';

export const PROVIDER_HEALTH = 'provider_health';

/** One provider's breaker, shared by every instance of every function through the store. */
export interface ProviderHealthDocument {
  _id: string;
  /** Consecutive failures since the last success, counted from `streakStartedAt`. */
  failures: number;
  streakStartedAt: number;
  /** 0 while closed; while open, the time from which one probe may go through (half-open). */
  openUntil: number;
  /** While half-open: a probe is in flight until this time; nobody else may call the provider. */
  probeUntil: number;
  openedAt?: number;
  rev: number;
  updatedAt: number;
}

export type BreakerState = 'closed' | 'open' | 'half_open';

export function breakerState(doc: Pick<ProviderHealthDocument, 'openUntil'> | null, now: number): BreakerState {
  if (!doc || doc.openUntil === 0) return 'closed';
  return doc.openUntil > now ? 'open' : 'half_open';
}

/**
 * A circuit breaker per provider, kept in the `provider_health` collection so that every warm
 * instance and every invocation sees the same state:
 * - closed: calls go through; `failures` consecutive failures within `windowMs` open it;
 * - open: the router skips the provider without calling it, for `coolDownMs`;
 * - half-open (after the cool-down): exactly one caller claims a probe (a conditional update on
 *   `rev`); others keep skipping. The probe's success closes the breaker, its failure re-opens it
 *   for another cool-down. A probe whose worker died frees itself after `coolDownMs`.
 * Every change is a conditional update on `rev`, retried a few times, so concurrent callers never
 * lose each other's counts. When the store cannot be read the breaker fails open (calls go
 * through): it saves time, it must never stop a paid generation on its own.
 */
export class StoreProviderHealth implements ProviderHealth {
  constructor(
    private readonly db: Database,
    private readonly settings: BreakerSettings,
    private readonly now: () => number,
  ) {}

  private async read(provider: string): Promise<ProviderHealthDocument | null> {
    const { data } = await this.db.collection(PROVIDER_HEALTH).where({ _id: provider }).limit(1).get();
    return (data[0] as (Document & ProviderHealthDocument) | undefined) ?? null;
  }

  private async update(doc: ProviderHealthDocument, set: Partial<ProviderHealthDocument>): Promise<boolean> {
    const _ = this.db.command;
    const result = await this.db
      .collection(PROVIDER_HEALTH)
      .where({ _id: doc._id, rev: doc.rev })
      .update({ data: { ...set, rev: _.inc(1), updatedAt: this.now() } });
    return result.stats.updated === 1;
  }

  async isOpen(provider: string): Promise<boolean> {
    try {
      const doc = await this.read(provider);
      const now = this.now();
      const state = breakerState(doc, now);
      if (state === 'closed' || !doc) return false;
      if (state === 'open' || doc.probeUntil > now) return true;
      // Half-open: whoever wins this conditional update is the one probe; everyone else skips.
      const claimed = await this.update(doc, { probeUntil: now + this.settings.coolDownMs });
      if (claimed) log('info', 'provider_breaker_probe', { provider });
      return !claimed;
    } catch (error) {
      log('warn', 'provider_health_unavailable', { provider, error: error instanceof Error ? error.message : String(error) });
      return false;
    }
  }

  async record(provider: string, ok: boolean): Promise<void> {
    try {
      for (let round = 0; round < 5; round += 1) {
        if (await (ok ? this.recordSuccess(provider) : this.recordFailure(provider))) return;
      }
      log('warn', 'provider_health_contended', { provider });
    } catch (error) {
      log('warn', 'provider_health_unavailable', { provider, error: error instanceof Error ? error.message : String(error) });
    }
  }

  /** Returns true when done (written, or nothing to write); false to try again after a lost race. */
  private async recordSuccess(provider: string): Promise<boolean> {
    const doc = await this.read(provider);
    if (!doc || (doc.failures === 0 && doc.openUntil === 0)) return true;
    const closed = await this.update(doc, { failures: 0, openUntil: 0, probeUntil: 0 });
    if (closed && doc.openUntil !== 0) log('info', 'provider_breaker_closed', { provider });
    return closed;
  }

  private async recordFailure(provider: string): Promise<boolean> {
    const now = this.now();
    const { failures: threshold, windowMs, coolDownMs } = this.settings;
    const doc = await this.read(provider);
    if (!doc) {
      const opens = threshold <= 1;
      const fresh: ProviderHealthDocument = {
        _id: provider,
        failures: 1,
        streakStartedAt: now,
        openUntil: opens ? now + coolDownMs : 0,
        probeUntil: 0,
        ...(opens ? { openedAt: now } : {}),
        rev: 1,
        updatedAt: now,
      };
      try {
        await this.db.collection(PROVIDER_HEALTH).add({ data: { ...fresh } });
        if (opens) log('warn', 'provider_breaker_opened', { provider, failures: 1 });
        return true;
      } catch {
        return false; // someone else created it first: count on top of theirs
      }
    }
    const state = breakerState(doc, now);
    // Already open: a call that started before it opened has nothing new to say.
    if (state === 'open') return true;
    const inStreak = doc.failures > 0 && now - doc.streakStartedAt <= windowMs;
    const failures = inStreak ? doc.failures + 1 : 1;
    const opens = state === 'half_open' || failures >= threshold;
    const written = await this.update(doc, {
      failures,
      streakStartedAt: inStreak ? doc.streakStartedAt : now,
      openUntil: opens ? now + coolDownMs : 0,
      probeUntil: 0,
      ...(opens ? { openedAt: now } : {}),
    });
    if (written && opens) log('warn', 'provider_breaker_opened', { provider, failures, reopened: state === 'half_open' });
    return written;
  }
}
