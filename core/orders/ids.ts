import { randomBytes } from 'node:crypto';
import { formatCompactBeijingTime } from '../time';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomAlphanumeric(length: number): string {
  const bytes = randomBytes(length * 2);
  let out = '';
  // 62 * 4 = 248: bytes ≥ 248 are skipped so every character is equally likely.
  for (let i = 0; i < bytes.length && out.length < length; i += 1) {
    const byte = bytes[i] as number;
    if (byte < 248) out += ALPHANUMERIC[byte % 62];
  }
  return out.length === length ? out : out + randomAlphanumeric(length - out.length);
}

/** 32 characters of [A-Za-z0-9], accepted by cloud pay and API v3 alike, sortable by time. */
export function newOutTradeNo(at: number): string {
  return `AI${formatCompactBeijingTime(at)}${randomAlphanumeric(16)}`;
}

export const OUT_TRADE_NO_PATTERN = /^[A-Za-z0-9]{32}$/;

/** One refund per order: derived, so a retried refund reuses the same number (idempotent). */
export function outRefundNoFor(outTradeNo: string): string {
  return `R${outTradeNo}`;
}

export function newOrderId(): string {
  return `o${randomAlphanumeric(23)}`;
}

export function newNonce(): string {
  return randomAlphanumeric(32);
}

export function newLeaseId(): string {
  return randomAlphanumeric(16);
}
