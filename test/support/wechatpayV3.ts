import { createCipheriv, createPublicKey, createSign, createVerify, generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { V3_KEYS_FILE, type LocalV3Keys } from '../../local/pay/v3Keys';
import type { Json } from './json';

/** The local WeChat Pay's keys, as the runtime keeps them in its DATA_DIR. */
export type V3Keys = LocalV3Keys;

export function readV3Keys(dataDir: string): V3Keys {
  return JSON.parse(readFileSync(join(dataDir, V3_KEYS_FILE), 'utf8')) as V3Keys;
}

export interface NotificationOptions {
  eventType?: string;
  /** The decrypted resource. */
  resource: Record<string, unknown>;
  /** Sign with this private key instead of the platform's. */
  signingKey?: string | KeyObject;
  serial?: string;
  /** Seconds since the epoch written in Wechatpay-Timestamp. */
  timestamp?: number;
  /** Encrypt with this key instead of the API v3 key. */
  apiV3Key?: string;
  /** Flip one ciphertext byte after encryption (the body is signed as sent). */
  corruptCiphertext?: boolean;
  /** Replace the signature outright. */
  signature?: string;
}

export interface RawNotification {
  headers: Record<string, string>;
  body: string;
}

/** Builds a notification as WeChat Pay would (or deliberately not quite), from first principles. */
export function buildNotification(keys: V3Keys, options: NotificationOptions): RawNotification {
  const eventType = options.eventType ?? 'TRANSACTION.SUCCESS';
  const associatedData = eventType.startsWith('REFUND.') ? 'refund' : 'transaction';
  const iv = randomBytes(6).toString('hex');
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(options.apiV3Key ?? keys.apiV3Key, 'utf8'), Buffer.from(iv, 'utf8'));
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const sealed = Buffer.concat([cipher.update(JSON.stringify(options.resource), 'utf8'), cipher.final(), cipher.getAuthTag()]);
  if (options.corruptCiphertext) sealed[3] = (sealed[3] as number) ^ 0xff;
  const body = JSON.stringify({
    id: randomUUID(),
    create_time: new Date().toISOString(),
    resource_type: 'encrypt-resource',
    event_type: eventType,
    summary: 'test',
    resource: { original_type: associatedData, algorithm: 'AEAD_AES_256_GCM', ciphertext: sealed.toString('base64'), associated_data: associatedData, nonce: iv },
  });
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = randomBytes(16).toString('hex');
  const signature = options.signature ?? createSign('RSA-SHA256').update(`${timestamp}\n${nonce}\n${body}\n`).sign(options.signingKey ?? keys.platformPrivateKey, 'base64');
  return {
    headers: { 'Wechatpay-Timestamp': timestamp, 'Wechatpay-Nonce': nonce, 'Wechatpay-Signature': signature, 'Wechatpay-Serial': options.serial ?? keys.platformSerial },
    body,
  };
}

export function transactionResource(keys: V3Keys, outTradeNo: string, amountFen: number): Record<string, unknown> {
  return {
    appid: keys.appId,
    mchid: keys.mchId,
    out_trade_no: outTradeNo,
    transaction_id: `4200${Date.now()}${randomBytes(4).toString('hex')}`,
    trade_type: 'JSAPI',
    trade_state: 'SUCCESS',
    trade_state_desc: '支付成功',
    bank_type: 'OTHERS',
    success_time: new Date().toISOString(),
    payer: { openid: 'o-test-payer' },
    amount: { total: amountFen, payer_total: amountFen, currency: 'CNY', payer_currency: 'CNY' },
  };
}

export function refundResource(keys: V3Keys, outTradeNo: string, amountFen: number, status: string): Record<string, unknown> {
  return {
    mchid: keys.mchId,
    out_trade_no: outTradeNo,
    transaction_id: '4200000000000000000000000000',
    out_refund_no: `R${outTradeNo}`,
    refund_id: '50000000000000000000',
    refund_status: status,
    user_received_account: '支付用户零钱',
    amount: { total: amountFen, refund: amountFen, payer_total: amountFen, payer_refund: amountFen },
  };
}

export function otherRsaKey(): KeyObject {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
}

/** The mini program's paySign check: RSA-SHA256 over appId, timeStamp, nonceStr and package. */
export function paySignValid(keys: V3Keys, payment: { timeStamp: string; nonceStr: string; package: string; paySign: string }): boolean {
  return createVerify('RSA-SHA256')
    .update(`${keys.appId}\n${payment.timeStamp}\n${payment.nonceStr}\n${payment.package}\n`)
    .verify(createPublicKey(keys.merchantPublicKey), payment.paySign, 'base64');
}

export async function postRaw(url: string, notification: RawNotification): Promise<{ status: number; text: string; contentType: string | null }> {
  const response = await fetch(`${url}/api/notify/wechatpay`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...notification.headers }, body: notification.body });
  return { status: response.status, text: await response.text(), contentType: response.headers.get('content-type') };
}

export interface Inspection {
  order: Json;
  events: Json[];
  trade: Json | null;
  refunds: Json[];
}

/** The runtime's read-only view of one order: stored document, audit events, and WeChat's ledger. */
export async function inspectOrder(url: string, outTradeNo: string): Promise<Inspection> {
  const response = await fetch(`${url}/api/inspect/orders/${outTradeNo}`);
  if (response.status !== 200) throw new Error(`inspect ${outTradeNo}: HTTP ${response.status}`);
  return (await response.json()) as Inspection;
}

/** Polls the inspection until `done` holds (no getOrder: that would ask the provider itself). */
export async function waitForInspection(url: string, outTradeNo: string, done: (view: Inspection) => boolean, timeoutMs = 15_000): Promise<Inspection> {
  const deadline = Date.now() + timeoutMs;
  let view = await inspectOrder(url, outTradeNo);
  while (!done(view)) {
    if (Date.now() > deadline) throw new Error(`order ${outTradeNo} did not get there; last: ${JSON.stringify(view.order).slice(0, 300)} events ${view.events.map((e) => e.type).join(',')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    view = await inspectOrder(url, outTradeNo);
  }
  return view;
}

export const eventTypes = (view: Inspection) => view.events.map((event) => event.type as string);
