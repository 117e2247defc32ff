import { createHash } from 'node:crypto';
import type { ModelRef, TierConfig } from '../config/tiers';

/**
 * A user's bucket (0–99) for a tier's staged rollout. It depends only on the user's hash (already
 * an HMAC of the openid, so it reveals nothing) and the tier id: the same user always lands in
 * the same bucket of a tier, and buckets of different tiers are independent.
 */
export function rolloutBucket(userHash: string, tierId: string): number {
  const digest = createHash('sha256').update(`${tierId}\u0000${userHash}`, 'utf8').digest();
  return digest.readUInt32BE(0) % 100;
}

export interface ChosenChain {
  models: readonly ModelRef[];
  /** The rollout's label when this order goes to the candidate chain; absent for the tier's own chain. */
  rollout?: string;
}

/** Buckets below `percent` get the candidate chain, so raising the percentage only adds users. */
export function chooseChain(tier: TierConfig, userHash: string): ChosenChain {
  const rollout = tier.rollout;
  if (rollout && rollout.percent > 0 && rolloutBucket(userHash, tier.id) < rollout.percent) {
    return { models: rollout.models, rollout: rollout.label };
  }
  return { models: tier.models };
}
