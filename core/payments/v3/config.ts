import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';

/** WeChat Pay API v3's production host; the local runtime points WECHATPAY_BASE_URL at itself. */
export const WECHATPAY_PRODUCTION_URL = 'https://api.mch.weixin.qq.com';
/** WeChat requires `time_expire` at least one minute ahead when the order is placed; 10 s more covers the request's transit. */
export const V3_MIN_ORDER_TTL_SECONDS = 70;

/** Everything the v3 provider and the notification entry need, read from the environment only. */
export interface V3Config {
  appId: string;
  mchId: string;
  merchantSerial: string;
  merchantPrivateKey: KeyObject;
  /** WeChat Pay's platform public key (or certificate's key), by its serial / public key id. */
  platformKeys: ReadonlyMap<string, KeyObject>;
  /**
   * The WeChat Pay public key's id (`PUB_KEY_ID_…`) when one is configured. Every request then
   * carries it as `Wechatpay-Serial`, because WeChat signs its answer with the public key only
   * when the request names it; otherwise answers come signed with the platform certificate.
   * https://pay.weixin.qq.com/doc/v3/merchant/4012154180 (如何从平台证书切换成微信支付公钥)
   */
  publicKeyId?: string;
  apiV3Key: Buffer;
  notifyUrl: string;
  baseUrl: string;
}

export class V3ConfigError extends Error {
  constructor(problems: string[]) {
    super(`configuration: PAY_MODE=v3 needs:\n- ${problems.join('\n- ')}`);
    this.name = 'V3ConfigError';
  }
}

/** PEM in an environment variable often arrives with literal "\n": accept both. */
function pem(value: string): string {
  return value.includes('\\n') ? value.replace(/\\n/g, '\n') : value;
}

/** WeChat Pay public key ids are `PUB_KEY_ID_` and the key's id; certificate serials are 40 hex characters. */
export const PUBLIC_KEY_ID_PREFIX = 'PUB_KEY_ID_';

/** A WeChat Pay public key (pub_key.pem) or a platform certificate (wechatpay_….pem). */
function publicKeyOf(text: string): KeyObject {
  const value = pem(text);
  return value.includes('BEGIN CERTIFICATE') ? new X509Certificate(value).publicKey : createPublicKey(value);
}

/**
 * Reads and checks the v3 settings once, at start-up, so that a missing key is a clear message
 * and not a failed payment. Variables: docs/PAYMENTS.md ("PAY_MODE=v3: what to configure").
 */
export function readV3Config(env: NodeJS.ProcessEnv): V3Config {
  const problems: string[] = [];
  const need = (name: string): string => {
    const value = env[name];
    if (!value) problems.push(`${name} is not set`);
    return value ?? '';
  };
  const appId = need('WECHATPAY_APPID');
  const mchId = need('WECHATPAY_MCHID');
  const merchantSerial = need('WECHATPAY_MERCHANT_SERIAL');
  const merchantKeyText = need('WECHATPAY_MERCHANT_PRIVATE_KEY');
  const platformSerial = need('WECHATPAY_PLATFORM_SERIAL');
  const platformKeyText = need('WECHATPAY_PLATFORM_PUBLIC_KEY');
  const apiV3KeyText = need('WECHATPAY_API_V3_KEY');
  const notifyUrl = need('WECHATPAY_NOTIFY_URL');
  const baseUrl = (env.WECHATPAY_BASE_URL || WECHATPAY_PRODUCTION_URL).replace(/\/+$/, '');

  let merchantPrivateKey: KeyObject | null = null;
  if (merchantKeyText) {
    try {
      merchantPrivateKey = createPrivateKey(pem(merchantKeyText));
    } catch {
      problems.push('WECHATPAY_MERCHANT_PRIVATE_KEY is not a PEM private key (apiclient_key.pem)');
    }
  }
  const platformKeys = new Map<string, KeyObject>();
  if (platformKeyText) {
    try {
      platformKeys.set(platformSerial, publicKeyOf(platformKeyText));
    } catch {
      problems.push('WECHATPAY_PLATFORM_PUBLIC_KEY is not a PEM public key or certificate');
    }
  }
  // While a merchant moves from platform certificates to the WeChat Pay public key, notifications
  // may be signed by either: the certificate can be given as well, under its own serial.
  const certSerial = env.WECHATPAY_PLATFORM_CERT_SERIAL;
  const certText = env.WECHATPAY_PLATFORM_CERT;
  if (certSerial || certText) {
    if (!certSerial || !certText) problems.push('WECHATPAY_PLATFORM_CERT_SERIAL and WECHATPAY_PLATFORM_CERT go together');
    else {
      try {
        platformKeys.set(certSerial, publicKeyOf(certText));
      } catch {
        problems.push('WECHATPAY_PLATFORM_CERT is not a PEM certificate or public key');
      }
    }
  }
  const publicKeyIds = [...platformKeys.keys()].filter((serial) => serial.startsWith(PUBLIC_KEY_ID_PREFIX));
  if (publicKeyIds.length > 1) problems.push(`only one WeChat Pay public key (${PUBLIC_KEY_ID_PREFIX}…) can be configured at a time`);
  for (const [serialName, serial, keyText] of [
    ['WECHATPAY_PLATFORM_SERIAL', platformSerial, platformKeyText],
    ['WECHATPAY_PLATFORM_CERT_SERIAL', certSerial ?? '', certText ?? ''],
  ] as const) {
    if (serial.startsWith(PUBLIC_KEY_ID_PREFIX) && pem(keyText).includes('BEGIN CERTIFICATE')) {
      problems.push(`${serialName} is a WeChat Pay public key id (${PUBLIC_KEY_ID_PREFIX}…): its key is pub_key.pem, not a certificate`);
    }
  }
  const publicKeyId = publicKeyIds[0];
  // The API v3 key is 32 ASCII characters, used as the AES-256 key as is.
  const apiV3Key = Buffer.from(apiV3KeyText, 'utf8');
  if (apiV3KeyText && apiV3Key.length !== 32) problems.push('WECHATPAY_API_V3_KEY must be the 32-character API v3 key');
  if (notifyUrl) {
    let url: URL | null = null;
    try {
      url = new URL(notifyUrl);
    } catch {
      problems.push('WECHATPAY_NOTIFY_URL is not a URL');
    }
    if (url && (url.search || url.hash)) problems.push('WECHATPAY_NOTIFY_URL must carry no query string');
    if (url && baseUrl === WECHATPAY_PRODUCTION_URL && url.protocol !== 'https:') problems.push('WECHATPAY_NOTIFY_URL must be https');
  }
  const ttl = Number(env.ORDER_TTL_SECONDS ?? 600);
  if (!(ttl >= V3_MIN_ORDER_TTL_SECONDS)) {
    problems.push(`ORDER_TTL_SECONDS must be ≥ ${V3_MIN_ORDER_TTL_SECONDS}: WeChat Pay refuses a time_expire less than a minute ahead`);
  }
  if (problems.length > 0 || !merchantPrivateKey) throw new V3ConfigError(problems);
  return { appId, mchId, merchantSerial, merchantPrivateKey, platformKeys, apiV3Key, notifyUrl, baseUrl, ...(publicKeyId ? { publicKeyId } : {}) };
}
