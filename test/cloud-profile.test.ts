import { DelaySource, describeProfile, PROFILE_DEFAULTS, ProfileError, readCloudProfile } from '../local/profile/cloudProfile';
import { InstancePool } from '../local/profile/instances';
import { drawLogNormal, p99Of, seededRandom } from '../local/profile/random';
import { percentile } from '../bench/figures';

describe('the cloud latency profile', () => {
  test('no profile unless asked for: the runtime stays instant', () => {
    expect(readCloudProfile({})).toBeNull();
    expect(readCloudProfile({ LATENCY_PROFILE: 'none' })).toBeNull();
    expect(describeProfile(null)).toMatch(/instant/);
  });

  test('LATENCY_PROFILE=cloudbase takes the documented defaults, each overridable', () => {
    const profile = readCloudProfile({ LATENCY_PROFILE: 'cloudbase' });
    expect(profile).toMatchObject({ name: 'cloudbase', seed: 14, database: PROFILE_DEFAULTS.database, keepWarmMs: 300_000 });
    const tuned = readCloudProfile({ LATENCY_PROFILE: 'cloudbase', CLOUD_DB_MS: '5/30', CLOUD_KEEP_WARM_SECONDS: '60', LATENCY_SEED: '7' });
    expect(tuned?.database).toMatchObject({ p50: 5, p95: 30 });
    expect(tuned?.keepWarmMs).toBe(60_000);
    expect(tuned?.seed).toBe(7);
  });

  test('a malformed setting is refused, naming the variable', () => {
    expect(() => readCloudProfile({ LATENCY_PROFILE: 'aws' })).toThrow(ProfileError);
    expect(() => readCloudProfile({ LATENCY_PROFILE: 'cloudbase', CLOUD_DB_MS: '80/20' })).toThrow(/CLOUD_DB_MS/);
    expect(() => readCloudProfile({ LATENCY_PROFILE: 'cloudbase', CLOUD_CLIENT_MS: 'fast' })).toThrow(/CLOUD_CLIENT_MS/);
    expect(() => readCloudProfile({ LATENCY_PROFILE: 'cloudbase', LATENCY_SEED: '1.5' })).toThrow(/LATENCY_SEED/);
  });

  test('the same seed draws the same delays', () => {
    const profile = readCloudProfile({ LATENCY_PROFILE: 'cloudbase' });
    if (!profile) throw new Error('no profile');
    const a = new DelaySource(profile);
    const b = new DelaySource(profile);
    const draws = (source: DelaySource) => Array.from({ length: 50 }, () => [source.draw('database'), source.draw('coldStart')]);
    expect(draws(a)).toEqual(draws(b));
    const other = new DelaySource({ ...profile, seed: 15 });
    expect(draws(other)).not.toEqual(draws(new DelaySource(profile)));
  });

  test('draws follow the stated median and 95th percentile, with the tail the log-normal implies', () => {
    const d = { p50: 20, p95: 80, max: 3_000 };
    const random = seededRandom(1);
    const sample = Array.from({ length: 20_000 }, () => drawLogNormal(d, random));
    expect(percentile(sample, 50)).toBeGreaterThan(18);
    expect(percentile(sample, 50)).toBeLessThan(22);
    expect(percentile(sample, 95)).toBeGreaterThan(72);
    expect(percentile(sample, 95)).toBeLessThan(88);
    expect(p99Of(d)).toBeCloseTo(142, 0);
    expect(Math.max(...sample)).toBeLessThanOrEqual(3_000);
  });
});

describe('modelled instances (SCF: one request per instance, idle ones recycled)', () => {
  test('the first call starts cold, the next finds the instance warm', () => {
    const pool = new InstancePool(300_000, () => 0);
    const first = pool.place('generate');
    expect(first.cold).toBe(true);
    first.release();
    expect(pool.place('generate').cold).toBe(false);
  });

  test('a call while the only instance is busy gets a new instance, cold', () => {
    const pool = new InstancePool(300_000, () => 0);
    const busy = pool.place('getOrder');
    const concurrent = pool.place('getOrder');
    expect(concurrent.cold).toBe(true);
    busy.release();
    concurrent.release();
    expect(pool.counts()).toEqual({ getOrder: 2 });
    expect(pool.coldStarts.get('getOrder')).toBe(2);
  });

  test('an instance idle for the keep-warm window is gone: the next call starts cold', () => {
    let clock = 0;
    const pool = new InstancePool(300_000, () => clock);
    pool.place('createOrder').release();
    clock = 299_999;
    const warm = pool.place('createOrder');
    expect(warm.cold).toBe(false);
    warm.release();
    clock += 300_000;
    expect(pool.place('createOrder').cold).toBe(true);
  });

  test('recycling leaves busy instances alone; a function kept warm starts warm', () => {
    const pool = new InstancePool(300_000, () => 0);
    const running = pool.place('generate');
    pool.place('getOrder').release();
    expect(pool.recycleIdle()).toBe(1);
    expect(pool.counts()).toEqual({ generate: 1, getOrder: 0 });
    running.release();
    pool.recycleIdle();
    pool.keepWarm('generate');
    expect(pool.place('generate').cold).toBe(false);
    expect(pool.place('getOrder').cold).toBe(true);
  });
});
