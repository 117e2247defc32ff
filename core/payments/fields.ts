import { log, type LogLevel } from '../log';

/**
 * Cloud pay events and answers arrive in camelCase (wx-server-sdk converts WeChat Pay's
 * snake_case with `/_[a-z]/`, so an index suffix such as `_0` stays: `refundStatus_0`); the
 * snake_case spelling is read too, for payloads the SDK did not convert.
 */
export function readField(record: Record<string, unknown>, camel: string): unknown {
  if (record[camel] !== undefined) return record[camel];
  return record[camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)];
}

/** Upper-case codes (SUCCESS, REFUNDCLOSE, REFUND_SOURCE_UNSETTLED_FUNDS, CNY): no digits, so no number or id is one. */
const CODE = /^[A-Z][A-Z_]{1,39}$/;
const MAX_KEYS = 60;
const MAX_DEPTH = 4;

/**
 * The shape of a payload with nothing personal left: its keys, and for each value its kind
 * (`string(28)`, `number`, a list's first item and length), except upper-case codes and small
 * counts, which say what WeChat answered without saying about whom. An openid, a transaction id,
 * an amount or a bank account ("工商银行借记卡0055") never survives.
 */
export function describeShape(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (typeof value === 'string') return CODE.test(value) ? value : `string(${value.length})`;
  if (typeof value === 'number') return Number.isInteger(value) && Math.abs(value) < 100 ? value : 'number';
  if (typeof value === 'boolean') return value;
  if (depth >= MAX_DEPTH) return Array.isArray(value) ? 'array' : typeof value;
  if (Array.isArray(value)) return value.length === 0 ? [] : [describeShape(value[0], depth + 1), `${value.length} items`];
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    const shown = entries.slice(0, MAX_KEYS).map(([key, v]) => [key.slice(0, 64), describeShape(v, depth + 1)] as const);
    return Object.fromEntries(entries.length > MAX_KEYS ? [...shown, ['…', `${entries.length - MAX_KEYS} more keys`]] : shown);
  }
  return typeof value;
}

const shapesLogged = new Set<string>();

/**
 * Logs `event` with the redacted shape of `payload` the first time this instance sees it; later
 * calls log `fields` alone (or nothing, at `info`). Cloud pay's refund answers and callbacks are
 * not settled by any public document (docs/PAYMENTS.md, Refunds), so the first real one's shape is
 * what an operator needs to see.
 */
export function logShapeOnce(level: LogLevel, event: string, payload: unknown, fields: Record<string, unknown> = {}): void {
  if (!shapesLogged.has(event)) {
    shapesLogged.add(event);
    log(level, event, { ...fields, shape: describeShape(payload) });
  } else if (level !== 'info') {
    log(level, event, fields);
  }
}
