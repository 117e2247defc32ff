import type { ModelRef, TierConfig } from './tiers';
import { TierConfigError } from './validate';

/**
 * `TIER_OVERRIDES`: a JSON object from tier id to changes of that tier's routing, so an operator can
 * tune budgets, swap a model chain or start a staged rollout without a release, e.g.
 * `{"quick":{"totalBudgetMs":20000,"rollout":{"percent":10,"label":"plus-trial","models":[{"provider":"dashscope","model":"qwen-plus"}]}}}`.
 * Prices and payment descriptions are deliberately not overridable: they are pre-approved and
 * reviewed in tiers.ts. The result goes through `validateTiers` like the file itself, so an
 * override can never make a tier cost more than its price.
 */
const NUMERIC_FIELDS = ['promptLimit', 'maxTokens', 'firstTokenTimeoutMs', 'attemptTimeoutMs', 'totalBudgetMs'] as const;
type NumericField = (typeof NUMERIC_FIELDS)[number];

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function modelRefs(value: unknown, at: string, problems: string[]): ModelRef[] | null {
  if (!Array.isArray(value)) {
    problems.push(`${at} must be a list of { provider, model }`);
    return null;
  }
  const refs: ModelRef[] = [];
  value.forEach((item, index) => {
    if (isRecord(item) && typeof item.provider === 'string' && typeof item.model === 'string' && Object.keys(item).length === 2) {
      refs.push({ provider: item.provider, model: item.model });
    } else {
      problems.push(`${at}[${index}] must be { "provider": string, "model": string }`);
    }
  });
  return refs;
}

export function applyTierOverrides(tiers: readonly TierConfig[], json: string | undefined): readonly TierConfig[] {
  if (json === undefined || json.trim() === '') return tiers;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new TierConfigError([`TIER_OVERRIDES is not valid JSON (${error instanceof Error ? error.message : String(error)})`]);
  }
  if (!isRecord(parsed)) throw new TierConfigError(['TIER_OVERRIDES must be a JSON object keyed by tier id']);
  const problems: string[] = [];
  const result = tiers.map((tier) => ({ ...tier }));
  for (const [tierId, change] of Object.entries(parsed)) {
    const at = `TIER_OVERRIDES.${tierId}`;
    const tier = result.find((t) => t.id === tierId);
    if (!tier) {
      problems.push(`${at}: there is no tier "${tierId}"`);
      continue;
    }
    if (!isRecord(change)) {
      problems.push(`${at} must be an object`);
      continue;
    }
    for (const [field, value] of Object.entries(change)) {
      if ((NUMERIC_FIELDS as readonly string[]).includes(field)) {
        if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) problems.push(`${at}.${field} must be a positive whole number`);
        else tier[field as NumericField] = value;
      } else if (field === 'contextBudgetTokens') {
        // 0 is allowed: follow-ups then send no earlier turns.
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) problems.push(`${at}.contextBudgetTokens must be a whole number ≥ 0`);
        else tier.contextBudgetTokens = value;
      } else if (field === 'longRunning') {
        if (typeof value !== 'boolean') problems.push(`${at}.longRunning must be true or false`);
        else tier.longRunning = value;
      } else if (field === 'models') {
        const refs = modelRefs(value, `${at}.models`, problems);
        if (refs) tier.models = refs;
      } else if (field === 'rollout') {
        if (value === null) {
          delete tier.rollout;
          continue;
        }
        if (!isRecord(value)) {
          problems.push(`${at}.rollout must be an object or null`);
          continue;
        }
        const unknown = Object.keys(value).filter((key) => !['percent', 'label', 'models'].includes(key));
        if (unknown.length > 0) problems.push(`${at}.rollout.${unknown[0]} is not a rollout setting (percent, label, models)`);
        const refs = modelRefs(value.models, `${at}.rollout.models`, problems);
        if (typeof value.percent !== 'number' || typeof value.label !== 'string') {
          problems.push(`${at}.rollout needs a number "percent" and a string "label"`);
        } else if (refs) {
          tier.rollout = { percent: value.percent, label: value.label, models: refs };
        }
      } else if (field === 'priceFen' || field === 'paymentDescription') {
        problems.push(`${at}.${field} cannot be overridden: prices and payment descriptions are reviewed in core/config/tiers.ts`);
      } else {
        problems.push(`${at}.${field} is not an overridable setting (${[...NUMERIC_FIELDS, 'contextBudgetTokens', 'longRunning', 'models', 'rollout'].join(', ')})`);
      }
    }
  }
  if (problems.length > 0) throw new TierConfigError(problems);
  return result;
}
