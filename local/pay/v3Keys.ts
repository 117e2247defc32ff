import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The local WeChat Pay's keys: the platform key pair (WeChat signs notifications and answers with
 * the private half; the functions hold the public half), the merchant key pair (the functions
 * sign requests and paySign with the private half; the simulator checks with the public half),
 * and the API v3 key. Made once per DATA_DIR (git-ignored) and kept there, so a restarted
 * runtime still verifies what it signed before.
 */
export interface LocalV3Keys {
  appId: string;
  mchId: string;
  platformSerial: string;
  platformPrivateKey: string;
  platformPublicKey: string;
  merchantSerial: string;
  merchantPrivateKey: string;
  merchantPublicKey: string;
  apiV3Key: string;
}

export const V3_KEYS_FILE = 'wechatpay-keys.json';
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function keyPair(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

export function localV3Keys(dataDir: string): LocalV3Keys {
  const file = join(dataDir, V3_KEYS_FILE);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as LocalV3Keys;
  const platform = keyPair();
  const merchant = keyPair();
  const keys: LocalV3Keys = {
    appId: 'wx-local-app',
    mchId: '1900000109',
    // WeChat Pay public keys are named PUB_KEY_ID_…; certificate serials are 40 hex characters.
    platformSerial: `PUB_KEY_ID_${randomBytes(16).toString('hex').toUpperCase()}`,
    platformPrivateKey: platform.privateKey,
    platformPublicKey: platform.publicKey,
    merchantSerial: randomBytes(20).toString('hex').toUpperCase(),
    merchantPrivateKey: merchant.privateKey,
    merchantPublicKey: merchant.publicKey,
    apiV3Key: [...randomBytes(32)].map((b) => ALPHANUMERIC[b % 62]).join(''),
  };
  writeFileSync(file, JSON.stringify(keys), { mode: 0o600 });
  return keys;
}

/** The functions' environment for PAY_MODE=v3 against the local simulator (public halves only, plus the merchant's own key). */
export function v3FunctionEnv(keys: LocalV3Keys, runtimeUrl: string): Record<string, string> {
  return {
    WECHATPAY_APPID: keys.appId,
    WECHATPAY_MCHID: keys.mchId,
    WECHATPAY_MERCHANT_SERIAL: keys.merchantSerial,
    WECHATPAY_MERCHANT_PRIVATE_KEY: keys.merchantPrivateKey,
    WECHATPAY_PLATFORM_SERIAL: keys.platformSerial,
    WECHATPAY_PLATFORM_PUBLIC_KEY: keys.platformPublicKey,
    WECHATPAY_API_V3_KEY: keys.apiV3Key,
    WECHATPAY_BASE_URL: runtimeUrl,
    WECHATPAY_NOTIFY_URL: `${runtimeUrl}/api/notify/wechatpay`,
  };
}
