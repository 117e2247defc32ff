import { drawLogNormal, p99Of, seededRandom, type LogNormal, type Random } from './random';

/**
 * The cloud latency profile (`LATENCY_PROFILE=cloudbase`): what each CloudBase round trip costs in
 * the cloud, added by the local runtime to the emulated platform, so that `npm run dev` and
 * `npm run bench` feel (and measure) roughly what users and operators will. Without a profile
 * every delay is zero and nothing is drawn.
 *
 * CloudBase publishes no latency figures for its database, `callFunction` or the mini program's
 * `wx.cloud.callFunction`; every default below is a labelled assumption, chosen against the few
 * figures there are. docs/CLOUD-PROFILE.md gives each one's source or reasoning and how to
 * calibrate it from the console's logs. Each can be overridden from the environment.
 */
export interface CloudProfile {
  name: 'cloudbase';
  seed: number;
  /** One database operation, request to answer, from a function in the same environment. */
  database: LogNormal;
  /** `cloud.callFunction`: the platform's own hop, on top of the callee's run (and its cold start). */
  callFunction: LogNormal;
  /** A cloud call relayed to WeChat (`wx.openApi`: subscribe messages; `wx.wxPayApi`: cloud pay). */
  cloudCall: LogNormal;
  /** The mini program's `wx.cloud.callFunction` network round trip (phone ↔ WeChat ↔ CloudBase), on top of the function's run. */
  client: LogNormal;
  /** A new instance: the platform's part of a cold start (code download, runtime start), before the bundle's own load time. */
  coldStart: LogNormal;
  /** An instance idle this long is recycled; the next call starts a new one. */
  keepWarmMs: number;
}

export const PROFILE_DEFAULTS: Omit<CloudProfile, 'name' | 'seed'> = {
  database: { p50: 20, p95: 80, max: 3_000 },
  callFunction: { p50: 40, p95: 100, max: 3_000 },
  cloudCall: { p50: 60, p95: 200, max: 5_000 },
  client: { p50: 100, p95: 250, max: 5_000 },
  coldStart: { p50: 300, p95: 800, max: 5_000 },
  keepWarmMs: 300_000,
};

export const DEFAULT_SEED = 14;

/** The variables that override a distribution: "p50/p95" in milliseconds, e.g. `CLOUD_DB_MS=20/80`. */
export const PROFILE_VARIABLES = {
  database: 'CLOUD_DB_MS',
  callFunction: 'CLOUD_CALLFUNCTION_MS',
  cloudCall: 'CLOUD_CLOUDCALL_MS',
  client: 'CLOUD_CLIENT_MS',
  coldStart: 'CLOUD_COLDSTART_MS',
} as const;

export class ProfileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProfileError';
  }
}

function distributionFrom(env: NodeJS.ProcessEnv, name: string, fallback: LogNormal): LogNormal {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const match = /^(\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?)$/.exec(raw);
  const p50 = Number(match?.[1]);
  const p95 = Number(match?.[2]);
  if (!match || !(p95 >= p50)) throw new ProfileError(`${name} must be "p50/p95" in milliseconds with p95 ≥ p50 (e.g. 20/80), not ${JSON.stringify(raw)}`);
  return { p50, p95, max: Math.max(fallback.max, p95 * 4) };
}

/** The profile the environment asks for, or null (no profile: the runtime stays instant). */
export function readCloudProfile(env: NodeJS.ProcessEnv = process.env): CloudProfile | null {
  const name = env.LATENCY_PROFILE?.trim() ?? '';
  if (name === '' || name === 'none') return null;
  if (name !== 'cloudbase') throw new ProfileError(`LATENCY_PROFILE must be "cloudbase" or "none", not ${JSON.stringify(name)}`);
  const seedRaw = env.LATENCY_SEED?.trim();
  const seed = seedRaw ? Number(seedRaw) : DEFAULT_SEED;
  if (!Number.isInteger(seed)) throw new ProfileError(`LATENCY_SEED must be an integer, not ${JSON.stringify(seedRaw)}`);
  const keepRaw = env.CLOUD_KEEP_WARM_SECONDS?.trim();
  const keepWarmSeconds = keepRaw ? Number(keepRaw) : PROFILE_DEFAULTS.keepWarmMs / 1000;
  if (!Number.isFinite(keepWarmSeconds) || keepWarmSeconds < 0) throw new ProfileError(`CLOUD_KEEP_WARM_SECONDS must be a non-negative number, not ${JSON.stringify(keepRaw)}`);
  return {
    name: 'cloudbase',
    seed,
    database: distributionFrom(env, PROFILE_VARIABLES.database, PROFILE_DEFAULTS.database),
    callFunction: distributionFrom(env, PROFILE_VARIABLES.callFunction, PROFILE_DEFAULTS.callFunction),
    cloudCall: distributionFrom(env, PROFILE_VARIABLES.cloudCall, PROFILE_DEFAULTS.cloudCall),
    client: distributionFrom(env, PROFILE_VARIABLES.client, PROFILE_DEFAULTS.client),
    coldStart: distributionFrom(env, PROFILE_VARIABLES.coldStart, PROFILE_DEFAULTS.coldStart),
    keepWarmMs: keepWarmSeconds * 1000,
  };
}

export type DelayKind = 'database' | 'callFunction' | 'cloudCall' | 'client' | 'coldStart';
const KINDS: readonly DelayKind[] = ['database', 'callFunction', 'cloudCall', 'client', 'coldStart'];

/**
 * Draws delays for a profile. Each kind has a stream of its own (seeded from the profile's seed),
 * so changing one distribution leaves the others' draws as they were. The sequence of each stream
 * is reproducible; with concurrent calls, which call gets which draw follows their order of arrival.
 */
export class DelaySource {
  private readonly streams: Record<DelayKind, Random>;

  constructor(readonly profile: CloudProfile) {
    this.streams = Object.fromEntries(KINDS.map((kind, index) => [kind, seededRandom(profile.seed * 7919 + index)])) as Record<DelayKind, Random>;
  }

  draw(kind: DelayKind): number {
    return drawLogNormal(this.profile[kind], this.streams[kind]);
  }
}

/** The profile as the bench prints it: p50 / p95 / p99 of each delay. */
export function describeProfile(profile: CloudProfile | null): string {
  if (!profile) return 'no latency profile (every platform call instant)';
  const d = (x: LogNormal) => `${x.p50}/${x.p95}/${Math.round(p99Of(x))} ms`;
  return [
    `LATENCY_PROFILE=cloudbase (seed ${profile.seed}; delays as p50/p95/p99)`,
    `database op ${d(profile.database)}`,
    `callFunction hop ${d(profile.callFunction)}`,
    `cloud call ${d(profile.cloudCall)}`,
    `client wx.cloud.callFunction network ${d(profile.client)}`,
    `cold start platform part ${d(profile.coldStart)} + the bundle's measured load time`,
    `instances recycled after ${profile.keepWarmMs / 1000} s idle`,
  ].join('; ');
}

export const sleep = (ms: number) => (ms > 0 ? new Promise<void>((resolve) => setTimeout(resolve, ms)) : Promise.resolve());
