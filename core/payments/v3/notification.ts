import type { V3Config } from './config';
import { decryptResource, signedHeaders, verifySigned, type EncryptedResource, type SignedHeaders } from './crypto';

export interface TransactionNotification {
  kind: 'transaction';
  id: string;
  outTradeNo: string;
  transactionId?: string;
  tradeState: string;
  amountFen: number;
}

export interface RefundNotification {
  kind: 'refund';
  id: string;
  eventType: 'REFUND.SUCCESS' | 'REFUND.ABNORMAL' | 'REFUND.CLOSED';
  outTradeNo: string;
  outRefundNo: string;
  refundStatus: string;
  refundFen?: number;
}

export type V3Notification = TransactionNotification | RefundNotification;

export type Opened =
  | { ok: true; headers: SignedHeaders; notification: V3Notification }
  | { ok: false; status: 400 | 401; reason: string };

function record(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

function parseJson(text: string): Record<string, unknown> | null {
  try {
    return record(JSON.parse(text));
  } catch {
    return null;
  }
}

const REFUND_EVENTS = ['REFUND.SUCCESS', 'REFUND.ABNORMAL', 'REFUND.CLOSED'] as const;

/**
 * Checks a notification as WeChat Pay sends it and returns what it says, or why it is refused:
 * signature over the raw bytes (401), then the envelope and the AES-256-GCM resource (400), then
 * that it is meant for this merchant (400). Nothing here touches the store.
 */
export function openNotification(config: V3Config, headers: Record<string, unknown>, rawBody: Buffer, now: number): Opened {
  const signed = signedHeaders(headers);
  const problem = verifySigned(signed, rawBody, config.platformKeys, now);
  if (problem || !signed) return { ok: false, status: 401, reason: problem ?? 'missing_headers' };
  const envelope = parseJson(rawBody.toString('utf8'));
  const resource = record(envelope?.resource);
  const eventType = envelope?.event_type;
  if (!envelope || !resource || typeof eventType !== 'string' || typeof envelope.id !== 'string') return { ok: false, status: 400, reason: 'malformed_envelope' };
  if (typeof resource.ciphertext !== 'string' || typeof resource.nonce !== 'string' || typeof resource.algorithm !== 'string') {
    return { ok: false, status: 400, reason: 'malformed_resource' };
  }
  let plain: Record<string, unknown> | null;
  try {
    plain = parseJson(decryptResource(resource as unknown as EncryptedResource, config.apiV3Key));
  } catch {
    return { ok: false, status: 400, reason: 'resource_not_authentic' };
  }
  if (!plain) return { ok: false, status: 400, reason: 'malformed_resource' };
  if (plain.mchid !== config.mchId) return { ok: false, status: 400, reason: 'other_merchant' };
  const amount = record(plain.amount);
  if (eventType === 'TRANSACTION.SUCCESS') {
    if (plain.appid !== config.appId) return { ok: false, status: 400, reason: 'other_app' };
    const total = amount?.total;
    if (typeof plain.out_trade_no !== 'string' || typeof plain.trade_state !== 'string' || typeof total !== 'number' || !Number.isInteger(total)) {
      return { ok: false, status: 400, reason: 'malformed_transaction' };
    }
    return {
      ok: true,
      headers: signed,
      notification: {
        kind: 'transaction',
        id: envelope.id,
        outTradeNo: plain.out_trade_no,
        tradeState: plain.trade_state,
        amountFen: total,
        ...(typeof plain.transaction_id === 'string' ? { transactionId: plain.transaction_id } : {}),
      },
    };
  }
  if ((REFUND_EVENTS as readonly string[]).includes(eventType)) {
    if (typeof plain.out_trade_no !== 'string' || typeof plain.out_refund_no !== 'string' || typeof plain.refund_status !== 'string') {
      return { ok: false, status: 400, reason: 'malformed_refund' };
    }
    const refund = amount?.refund;
    return {
      ok: true,
      headers: signed,
      notification: {
        kind: 'refund',
        id: envelope.id,
        eventType: eventType as RefundNotification['eventType'],
        outTradeNo: plain.out_trade_no,
        outRefundNo: plain.out_refund_no,
        refundStatus: plain.refund_status,
        ...(typeof refund === 'number' ? { refundFen: refund } : {}),
      },
    };
  }
  return { ok: false, status: 400, reason: `unexpected_event_${eventType.slice(0, 40)}` };
}
