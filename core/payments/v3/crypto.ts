import { createDecipheriv, createSign, createVerify, randomBytes, type KeyObject } from 'node:crypto';

/**
 * The v3 protocol's cryptography, on node:crypto. (wechatpay-axios-plugin's Rsa/AesGcm are the
 * same node:crypto calls, but its lib/rsa.js loads lib/utils.js, which requires axios at the top:
 * bundled, that is ~265 KB in every function. The plugin is used instead by the local simulator
 * to sign and encrypt, so the two sides of every local test are independent implementations.)
 */

/** A notification or response may be at most this far from our clock (WeChat's own rule). */
export const TIMESTAMP_WINDOW_SECONDS = 300;
const AUTH_TAG_BYTES = 16;

export function nonce(): string {
  return randomBytes(16).toString('hex');
}

/** base64 RSA-SHA256 (PKCS#1 v1.5) over the lines, each followed by "\n". */
export function signLines(lines: readonly string[], key: KeyObject): string {
  return createSign('RSA-SHA256').update(lines.map((line) => `${line}\n`).join('')).sign(key, 'base64');
}

/** `Authorization` for a v3 request: signature over METHOD, path with query, timestamp, nonce, body. */
export function authorization(input: { mchId: string; serial: string; key: KeyObject; method: string; pathWithQuery: string; body: string; now: number }): string {
  const timestamp = String(Math.floor(input.now / 1000));
  const nonceStr = nonce();
  const signature = signLines([input.method, input.pathWithQuery, timestamp, nonceStr, input.body], input.key);
  return `WECHATPAY2-SHA256-RSA2048 mchid="${input.mchId}",nonce_str="${nonceStr}",signature="${signature}",timestamp="${timestamp}",serial_no="${input.serial}"`;
}

/** The mini program's `paySign` (signType RSA) over appId, timeStamp, nonceStr and package. */
export function miniProgramPaySign(appId: string, timeStamp: string, nonceStr: string, pkg: string, key: KeyObject): string {
  return signLines([appId, timeStamp, nonceStr, pkg], key);
}

export type SignatureProblem = 'missing_headers' | 'unknown_serial' | 'stale_timestamp' | 'bad_signature';

export interface SignedHeaders {
  timestamp: string;
  nonce: string;
  signature: string;
  serial: string;
}

/** Reads the `Wechatpay-*` headers whatever their case. */
export function signedHeaders(headers: Record<string, unknown>): SignedHeaders | null {
  const lower: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const text: unknown = Array.isArray(value) ? value[0] : value;
    if (typeof text === 'string') lower[name.toLowerCase()] = text;
  }
  const timestamp = lower['wechatpay-timestamp'];
  const nonceStr = lower['wechatpay-nonce'];
  const signature = lower['wechatpay-signature'];
  const serial = lower['wechatpay-serial'];
  if (!timestamp || !nonceStr || !signature || !serial) return null;
  return { timestamp, nonce: nonceStr, signature, serial };
}

/**
 * Verifies a notification or a response from WeChat Pay: the platform key named by the serial,
 * RSA-SHA256 over `timestamp\nnonce\nbody\n` with the body's raw bytes, and a timestamp within
 * five minutes. A `WECHATPAY/SIGNTEST/` probe fails here like any other bad signature.
 */
export function verifySigned(
  headers: SignedHeaders | null,
  rawBody: Buffer,
  keys: ReadonlyMap<string, KeyObject>,
  now: number,
): SignatureProblem | null {
  if (!headers) return 'missing_headers';
  const key = keys.get(headers.serial);
  if (!key) return 'unknown_serial';
  if (!/^\d{1,12}$/.test(headers.timestamp) || Math.abs(now / 1000 - Number(headers.timestamp)) > TIMESTAMP_WINDOW_SECONDS) return 'stale_timestamp';
  const message = Buffer.concat([Buffer.from(`${headers.timestamp}\n${headers.nonce}\n`, 'utf8'), rawBody, Buffer.from('\n', 'utf8')]);
  try {
    return createVerify('RSA-SHA256').update(message).verify(key, headers.signature, 'base64') ? null : 'bad_signature';
  } catch {
    return 'bad_signature';
  }
}

export interface EncryptedResource {
  algorithm: string;
  ciphertext: string;
  associated_data?: string;
  nonce: string;
}

/** AEAD_AES_256_GCM with the API v3 key; throws when the tag does not authenticate. */
export function decryptResource(resource: EncryptedResource, apiV3Key: Buffer): string {
  if (resource.algorithm !== 'AEAD_AES_256_GCM') throw new Error(`unsupported algorithm ${resource.algorithm}`);
  const data = Buffer.from(resource.ciphertext, 'base64');
  if (data.length <= AUTH_TAG_BYTES) throw new Error('ciphertext is too short');
  const decipher = createDecipheriv('aes-256-gcm', apiV3Key, Buffer.from(resource.nonce, 'utf8'));
  decipher.setAuthTag(data.subarray(data.length - AUTH_TAG_BYTES));
  decipher.setAAD(Buffer.from(resource.associated_data ?? '', 'utf8'));
  return Buffer.concat([decipher.update(data.subarray(0, data.length - AUTH_TAG_BYTES)), decipher.final()]).toString('utf8');
}
