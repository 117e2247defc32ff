/**
 * Faults of the WeChat virtual payment emulator (`POST /api/faults { "xpay": { … } }`). Rates are
 * probabilities from 0 to 1, drawn per event; each fault is something WeChat's side really does.
 */
import { rate, range } from '../faultValues';

export interface XpayFaults {
  /** A push is delivered 2–4 times, some copies at once (WeChat: "同样的发货请求…可能因为网络原因，会请求多次"). */
  pushDuplicate: number;
  /** A push is never sent: only query_order (or notify_provide_goods) settles the order. */
  pushDrop: number;
  /** Extra wait before a push's first attempt, [min, max] ms. */
  pushDelayMs: [number, number];
  /** currency_pay succeeds (tokens spent) but its answer is lost: the connection is reset, the caller must retry with the same order_id (268490004). */
  currencyPayAnswerLost: number;
  /** A refund started by refund_order ends failed: the refund order's status 7, xpay_refund_notify with RetCode ≠ 0. */
  refundFail: number;
  /** The user's session key has expired when a signed call checks it (API 268490009, client -15007); it stays expired until the next login. */
  sessionExpire: number;
  /** A transient system error: an API answers errcode -1, the client -15003; nothing changes. */
  systemError: number;
  /** The presented access token has expired early (42001) and stays expired; stable_token then issues a new one. */
  tokenExpireEarly: number;
}

export function defaultXpayFaults(): XpayFaults {
  return { pushDuplicate: 0, pushDrop: 0, pushDelayMs: [0, 0], currencyPayAnswerLost: 0, refundFail: 0, sessionExpire: 0, systemError: 0, tokenExpireEarly: 0 };
}

const RATES = ['pushDuplicate', 'pushDrop', 'currencyPayAnswerLost', 'refundFail', 'sessionExpire', 'systemError', 'tokenExpireEarly'] as const;
type RateName = (typeof RATES)[number];

function isRateName(key: string): key is RateName {
  return (RATES as readonly string[]).includes(key);
}

/** Applies a partial update to the xpay faults; throws with a clear message on anything unknown or out of range, changing nothing. */
export function mergeXpayFaults(current: XpayFaults, patch: unknown): XpayFaults {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) throw new Error('xpay must be an object');
  const next: XpayFaults = { ...current, pushDelayMs: [...current.pushDelayMs] };
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (isRateName(key)) next[key] = rate(value, `xpay.${key}`);
    else if (key === 'pushDelayMs') next.pushDelayMs = range(value, 'xpay.pushDelayMs');
    else throw new Error(`xpay.${key} is not a fault`);
  }
  return next;
}
