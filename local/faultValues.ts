/** The value checks of `POST /api/faults`, shared by every fault group (local/pay/faults.ts, local/wechat/faults.ts). */

/** A probability from 0 to 1. */
export function rate(value: unknown, name: string): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new Error(`${name} must be a number from 0 to 1`);
  return value;
}

/** A delay range `[min, max]` in ms. */
export function range(value: unknown, name: string): [number, number] {
  if (!Array.isArray(value) || value.length !== 2 || value.some((v) => typeof v !== 'number' || !Number.isFinite(v) || v < 0) || value[0] > value[1]) {
    throw new Error(`${name} must be [min, max] in ms`);
  }
  return [value[0] as number, value[1] as number];
}
