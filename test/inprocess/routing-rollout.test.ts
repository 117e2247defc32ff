import { rolloutBucket, chooseChain } from '../../core/models/rollout';
import { hashOpenid } from '../../core/security/identity';
import { TIERS } from '../../core/config/tiers';
import { InProcess } from '../support/inProcess';

/**
 * Staged rollout: a tier sends a configured share of its users, the same users every time, to a
 * candidate chain; the order records the rollout's label and the model that answered.
 */
const SECRET = 'rollout-test-hash-secret';
const ROLLOUT = { percent: 50, label: 'plus-trial', models: [{ provider: 'dashscope', model: 'qwen-plus' }] };

describe('rollout buckets', () => {
  const hashes = Array.from({ length: 20_000 }, (_, i) => hashOpenid(`bucket-user-${i}`, 'bucket-secret'));
  const quick = TIERS.find((t) => t.id === 'quick');
  if (!quick) throw new Error('the quick tier is missing');

  test('a configured percentage of users, within a point, land on the candidate chain', () => {
    for (const percent of [1, 10, 50, 90]) {
      const tier = { ...quick, rollout: { ...ROLLOUT, percent } };
      const share = hashes.filter((h) => chooseChain(tier, h).rollout === 'plus-trial').length / hashes.length;
      expect(Math.abs(share * 100 - percent)).toBeLessThan(1);
    }
  });

  test('raising the percentage only adds users; nobody flips back and forth', () => {
    const at10 = new Set(hashes.filter((h) => rolloutBucket(h, 'quick') < 10));
    const at30 = new Set(hashes.filter((h) => rolloutBucket(h, 'quick') < 30));
    for (const h of at10) expect(at30.has(h)).toBe(true);
  });

  test('buckets of different tiers are independent', () => {
    const inQuick = hashes.filter((h) => rolloutBucket(h, 'quick') < 50);
    const alsoInExpert = inQuick.filter((h) => rolloutBucket(h, 'expert') < 50).length / inQuick.length;
    expect(alsoInExpert).toBeGreaterThan(0.45);
    expect(alsoInExpert).toBeLessThan(0.55);
  });

  test('a 0% rollout (the example in tiers.ts) sends nobody to the candidate', () => {
    expect(quick.rollout?.percent).toBe(0);
    expect(hashes.some((h) => chooseChain(quick, h).rollout !== undefined)).toBe(false);
  });
});

describe('rollout in the running product', () => {
  let h: InProcess;
  beforeAll(async () => {
    h = await InProcess.start({ env: { OPENID_HASH_SECRET: SECRET, TIER_OVERRIDES: JSON.stringify({ quick: { rollout: ROLLOUT } }) } });
  });
  afterAll(async () => {
    await h.close();
  });

  test('each user gets the same arm on every order, recorded on the order with the model that answered', async () => {
    const candidates = Array.from({ length: 40 }, (_, i) => `rollout-user-${i}`);
    const inCandidate = (user: string) => rolloutBucket(hashOpenid(user, SECRET), 'quick') < ROLLOUT.percent;
    const users = [...candidates.filter(inCandidate).slice(0, 3), ...candidates.filter((u) => !inCandidate(u)).slice(0, 3)];
    expect(users).toHaveLength(6);
    for (const user of users) {
      for (const round of [1, 2]) {
        const stored = await h.paidOrder(user, 'quick', `rollout question ${round}`);
        expect(stored.status).toBe('completed');
        if (inCandidate(user)) {
          expect(stored.rollout).toBe('plus-trial');
          expect(stored.usage?.model).toBe('qwen-plus');
        } else {
          expect(stored.rollout).toBeUndefined();
          expect(stored.usage?.model).toBe('qwen-turbo');
        }
      }
    }
  });
});
