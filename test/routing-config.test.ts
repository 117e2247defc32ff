import { readEnv } from '../core/config/env';
import { applyTierOverrides } from '../core/config/overrides';
import { PROVIDERS } from '../core/config/providers';
import { TIERS, type TierConfig } from '../core/config/tiers';
import { TierConfigError, validateTiers, worstCaseCostFen } from '../core/config/validate';
import { LocalRuntime } from './support/runtime';

const FEE = { paymentFeeRate: 0.006 };
const quick = TIERS.find((t) => t.id === 'quick') as TierConfig;

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof TierConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('tier and provider configuration, checked at every function start', () => {
  test('the shipped tiers and providers are valid', () => {
    expect(problemsOf(() => validateTiers(TIERS, PROVIDERS, FEE))).toEqual([]);
  });

  test('a tier whose worst case (longest prompt, max_tokens, dearest model) costs more than its price is refused, saying why', () => {
    const greedy: TierConfig = { ...quick, id: 'greedy', maxTokens: 100_000, contextBudgetTokens: 2000 };
    // deepseek-chat is the dearest model of quick: (500 chars × 2 + 2000 context × 8 + 200) × 200 + 100000 × 800 fen per million tokens.
    expect(worstCaseCostFen(greedy, PROVIDERS)).toBeCloseTo((17_200 * 200 + 100_000 * 800) / 1_000_000, 6);
    const problems = problemsOf(() => validateTiers([greedy], PROVIDERS, FEE));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('tier "greedy": worst-case cost 83.44 fen (model) + 0.30 fen (payment fee) is not below its price of 50 fen');
    expect(problems[0]).toContain('lower maxTokens or promptLimit, or raise the price');
  });

  test('the payment fee counts: a tier that only breaks even before the fee is refused', () => {
    // A price just above the model's worst case but below worst case + 0.6%.
    const tight: TierConfig = { ...quick, id: 'tight', priceFen: 1, promptLimit: 100, contextBudgetTokens: 0, maxTokens: 1_145, models: [{ provider: 'deepseek', model: 'deepseek-chat' }] };
    delete tight.rollout;
    expect(worstCaseCostFen(tight, PROVIDERS)).toBeLessThan(1);
    expect(worstCaseCostFen(tight, PROVIDERS) + 0.006).toBeGreaterThanOrEqual(1);
    expect(problemsOf(() => validateTiers([tight], PROVIDERS, FEE))[0]).toContain('worst-case cost');
  });

  test('a rollout chain counts in the worst case too', () => {
    const risky: TierConfig = { ...quick, id: 'risky', maxTokens: 7_000, contextBudgetTokens: 0, rollout: { percent: 5, label: 'gpt', models: [{ provider: 'openai', model: 'gpt-4o' }] } };
    expect(problemsOf(() => validateTiers([risky], PROVIDERS, FEE))[0]).toMatch(/tier "risky": worst-case cost 52\.56 fen/);
  });

  test('the context budget of a follow-up counts in the worst case, at the most real tokens its estimate can stand for', () => {
    const alone: TierConfig = { ...quick, id: 'alone', contextBudgetTokens: 0 };
    const followUps: TierConfig = { ...quick, id: 'follow_ups', contextBudgetTokens: 10_000 };
    // The dearest input of quick's chains is deepseek-chat's 200 fen per million tokens; 10000 estimated tokens may be 80000 real ones.
    expect(worstCaseCostFen(followUps, PROVIDERS) - worstCaseCostFen(alone, PROVIDERS)).toBeCloseTo((80_000 * 200) / 1_000_000, 6);
    const huge: TierConfig = { ...quick, id: 'huge', contextBudgetTokens: 400_000 };
    expect(problemsOf(() => validateTiers([huge], PROVIDERS, FEE))[0]).toContain('tier "huge": worst-case cost');
    expect(problemsOf(() => validateTiers([{ ...quick, contextBudgetTokens: -1 }], PROVIDERS, FEE))).toContain('tier "quick": contextBudgetTokens must be a whole number ≥ 0');
  });

  test.each<[string, Partial<TierConfig>, string]>([
    ['an unknown provider', { models: [{ provider: 'nobody', model: 'x' }] }, 'unknown provider "nobody"'],
    ['an unpriced model', { models: [{ provider: 'openai', model: 'gpt-5-ultra' }] }, 'provider "openai" has no price for model "gpt-5-ultra"'],
    ['a long payment description', { paymentDescription: '一'.repeat(33) }, 'paymentDescription must be 1–32 characters (has 33)'],
    ['a budget beyond the function limit', { attemptTimeoutMs: 30_000, totalBudgetMs: 70_000 }, 'totalBudgetMs must be ≤ 58000'],
    ['a first-token deadline after the attempt deadline', { firstTokenTimeoutMs: 30_000 }, 'firstTokenTimeoutMs must be > 0 and ≤ attemptTimeoutMs'],
    ['a fractional rollout', { rollout: { percent: 12.5, label: 'x', models: quick.models } }, 'rollout.percent must be a whole number 0–100'],
    ['a price in yuan', { priceFen: 0.5 }, 'priceFen must be a whole number of fen'],
  ])('%s is refused with a clear message', (_label, change, message) => {
    const problems = problemsOf(() => validateTiers([{ ...quick, ...change }], PROVIDERS, FEE));
    expect(problems.join('\n')).toContain(message);
  });

  test('a provider without a usable address or prices is refused', () => {
    const broken = [{ ...PROVIDERS[0]!, baseURL: 'not a url', models: { m: { inputFenPerMTok: -1, outputFenPerMTok: 1 } } }];
    const problems = problemsOf(() => validateTiers([], broken, FEE)).join('\n');
    expect(problems).toContain('baseURL "not a url" is not a URL');
    expect(problems).toContain('model "m" needs prices ≥ 0');
  });
});

describe('TIER_OVERRIDES', () => {
  test('changes budgets, chains and rollouts of a tier and nothing else', () => {
    const tiers = applyTierOverrides(TIERS, JSON.stringify({ quick: { totalBudgetMs: 30000, models: [{ provider: 'deepseek', model: 'deepseek-chat' }], rollout: null } }));
    const changed = tiers.find((t) => t.id === 'quick');
    expect(changed).toMatchObject({ totalBudgetMs: 30000, models: [{ provider: 'deepseek', model: 'deepseek-chat' }], priceFen: quick.priceFen });
    expect(changed?.rollout).toBeUndefined();
    expect(quick.totalBudgetMs).toBe(45_000); // the file's own tiers are untouched
    expect(problemsOf(() => validateTiers(tiers, PROVIDERS, FEE))).toEqual([]);
  });

  test('the context budget can be tuned, down to 0 (follow-ups then send no earlier turns)', () => {
    const tiers = applyTierOverrides(TIERS, JSON.stringify({ quick: { contextBudgetTokens: 0 }, expert: { contextBudgetTokens: 1000 } }));
    expect(tiers.map((t) => [t.id, t.contextBudgetTokens])).toEqual([['quick', 0], ['expert', 1000]]);
    expect(problemsOf(() => validateTiers(tiers, PROVIDERS, FEE))).toEqual([]);
  });

  test.each([
    ['{not json', 'TIER_OVERRIDES is not valid JSON'],
    ['[1]', 'TIER_OVERRIDES must be a JSON object keyed by tier id'],
    ['{"platinum":{"maxTokens":10}}', 'TIER_OVERRIDES.platinum: there is no tier "platinum"'],
    ['{"quick":{"priceFen":1}}', 'TIER_OVERRIDES.quick.priceFen cannot be overridden'],
    ['{"quick":{"maxTokens":-5}}', 'TIER_OVERRIDES.quick.maxTokens must be a positive whole number'],
    ['{"quick":{"colour":"red"}}', 'TIER_OVERRIDES.quick.colour is not an overridable setting'],
    ['{"quick":{"contextBudgetTokens":-1}}', 'TIER_OVERRIDES.quick.contextBudgetTokens must be a whole number ≥ 0'],
    ['{"quick":{"models":[{"provider":"openai"}]}}', 'TIER_OVERRIDES.quick.models[0] must be { "provider": string, "model": string }'],
  ])('%s is refused: %s', (json, message) => {
    expect(problemsOf(() => applyTierOverrides(TIERS, json)).join('\n')).toContain(message);
  });
});

describe('environment', () => {
  const base = { PAY_MODE: 'cloudpay', OPENID_HASH_SECRET: 'x', OPENID_SEAL_KEY: Buffer.alloc(32, 1).toString('base64') };
  test('payment fee 0.6% and breaker defaults need no configuration', () => {
    const env = readEnv(base);
    expect(env.paymentFeeRate).toBe(0.006);
    expect(env.breaker).toEqual({ failures: 3, windowMs: 60_000, coolDownMs: 30_000 });
  });
  test('they can be changed, and nonsense is refused', () => {
    const env = readEnv({ ...base, PAYMENT_FEE_RATE: '0.0038', BREAKER_FAILURES: '5', BREAKER_COOLDOWN_SECONDS: '2.5' });
    expect(env.paymentFeeRate).toBe(0.0038);
    expect(env.breaker.failures).toBe(5);
    expect(env.breaker.coolDownMs).toBe(2500);
    expect(() => readEnv({ ...base, PAYMENT_FEE_RATE: '6' })).toThrow('PAYMENT_FEE_RATE is a fraction of the price');
    expect(() => readEnv({ ...base, BREAKER_FAILURES: 'many' })).toThrow('BREAKER_FAILURES must be a non-negative number');
  });
  test('the generation lease is 15 s unless configured, and one under six seconds is refused', () => {
    expect(readEnv(base).generationLeaseMs).toBe(15_000);
    expect(readEnv({ ...base, GENERATION_LEASE_SECONDS: '6' }).generationLeaseMs).toBe(6_000);
    expect(() => readEnv({ ...base, GENERATION_LEASE_SECONDS: '3' })).toThrow('GENERATION_LEASE_SECONDS must be a whole number from 6 to 120');
    expect(() => readEnv({ ...base, GENERATION_LEASE_SECONDS: '7.5' })).toThrow('GENERATION_LEASE_SECONDS must be a whole number from 6 to 120');
  });
});

describe('start-up refusal in the running product', () => {
  test('a tier made too expensive by TIER_OVERRIDES stops the functions with the reason in the log', async () => {
    const runtime = await LocalRuntime.quick({ TIER_OVERRIDES: JSON.stringify({ quick: { maxTokens: 100_000 } }) });
    try {
      const answer = await runtime.call('createOrder', { tier: 'quick', prompt: 'hello' });
      expect(answer.ok).toBe(false);
      expect(answer.error.code).toBe('INTERNAL');
      await runtime.untilOutputShows('tier \\"quick\\": worst-case cost 83.44 fen (model)');
      expect(runtime.output).toContain('tier \\"quick\\": worst-case cost 83.44 fen (model)');
      const tiers = await runtime.call('listTiers', {});
      expect(tiers.ok).toBe(false);
    } finally {
      await runtime.stop();
    }
  });
});
