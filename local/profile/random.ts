/**
 * Seeded randomness for the latency profile, so that a run can be repeated draw for draw.
 *
 * mulberry32 (Tommy Ettinger's 32-bit generator, public domain; the variant listed in
 * https://github.com/bryc/code/blob/master/jshash/PRNGs.md) is enough here: the draws shape
 * delays, they protect nothing.
 */
export type Random = () => number;

export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** z of the standard normal distribution at 95% and 99%. */
export const Z95 = 1.6448536269514722;
export const Z99 = 2.3263478740408408;

/**
 * A log-normal delay given by its median and 95th percentile (the figures one can read off a
 * latency histogram): ln X ~ N(ln p50, σ) with σ = ln(p95 / p50) / z95. Its p99 follows:
 * p50 · e^(σ · z99).
 */
export interface LogNormal {
  p50: number;
  p95: number;
  /** Never more than this (a timeout of the layer, or a sanity bound). */
  max: number;
}

export function sigmaOf(d: LogNormal): number {
  return d.p95 > d.p50 && d.p50 > 0 ? Math.log(d.p95 / d.p50) / Z95 : 0;
}

export function p99Of(d: LogNormal): number {
  return Math.min(d.max, d.p50 * Math.exp(sigmaOf(d) * Z99));
}

/** One draw (Box–Muller on two uniforms of `random`). */
export function drawLogNormal(d: LogNormal, random: Random): number {
  if (d.p50 <= 0) return 0;
  const u1 = Math.max(random(), Number.MIN_VALUE);
  const u2 = random();
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return Math.min(d.max, d.p50 * Math.exp(sigmaOf(d) * z));
}
