import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FUNCTIONS } from '../../core/functions/catalog';
import { LOCAL_APPID } from '../functions/callers';

/**
 * What the MP console holds for a mini program with virtual payment (虚拟支付 → 基本配置: AppID,
 * OfferID, 现网AppKey, 沙箱AppKey; 开发设置: AppSecret; 原始ID), as the emulator knows it.
 */
export interface XpayAccount {
  appId: string;
  appSecret: string;
  offerId: string;
  /** env 0 (现网) and env 1 (沙箱) AppKeys: pay_sig of a request uses the key of the env in its body. */
  appKeys: { live: string; sandbox: string };
  /** 小程序原始ID: a push's ToUserName. */
  originalId: string;
}

/**
 * The published catalogue (道具管理, 代币配置): an item's goodsPrice is checked against it
 * (-15013), an unpublished productId is refused (-15010), and a top-up costs tokens × the price of
 * one token (the 代币兑换比例). `tokenPriceFen: null`: no token published (-15009, 268490008).
 */
export interface XpayCatalogue {
  products: Record<string, number>;
  tokenPriceFen: number | null;
}

/** The local stand-ins for the console's values, made once per DATA_DIR (never the developer's real keys). */
export interface LocalXpaySecrets {
  WX_APPSECRET: string;
  XPAY_OFFER_ID: string;
  XPAY_APP_KEY: string;
  XPAY_SANDBOX_APP_KEY: string;
  XPAY_ORIGINAL_ID: string;
}

export function localXpaySecrets(dataDir: string): LocalXpaySecrets {
  const file = join(dataDir, 'xpay-secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as LocalXpaySecrets;
  const secrets: LocalXpaySecrets = {
    WX_APPSECRET: randomBytes(16).toString('hex'),
    XPAY_OFFER_ID: String(1450000000 + randomInt(0, 99_999_999)),
    XPAY_APP_KEY: randomBytes(16).toString('base64url'),
    XPAY_SANDBOX_APP_KEY: randomBytes(16).toString('base64url'),
    XPAY_ORIGINAL_ID: `gh_${randomBytes(6).toString('hex')}`,
  };
  writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
  return secrets;
}

/**
 * The account from the runtime's configured environment where set (so the functions can be
 * pointed at another implementation of WeChat's side with the same keys), else the local secrets.
 * The default AppID is the one the runtime's callers carry as `getWXContext().APPID`.
 */
export function xpayAccount(configured: Record<string, string | undefined>, secrets: LocalXpaySecrets): XpayAccount {
  return {
    appId: configured.WX_APPID ?? LOCAL_APPID,
    appSecret: configured.WX_APPSECRET ?? secrets.WX_APPSECRET,
    offerId: configured.XPAY_OFFER_ID ?? secrets.XPAY_OFFER_ID,
    appKeys: { live: configured.XPAY_APP_KEY ?? secrets.XPAY_APP_KEY, sandbox: configured.XPAY_SANDBOX_APP_KEY ?? secrets.XPAY_SANDBOX_APP_KEY },
    originalId: secrets.XPAY_ORIGINAL_ID,
  };
}

/** The variables the functions need to talk to this emulator, as a deployment would set them. */
export function xpayFunctionEnv(account: XpayAccount, apiBaseUrl: string): Record<string, string> {
  return {
    WX_API_BASE_URL: apiBaseUrl,
    WX_APPID: account.appId,
    WX_APPSECRET: account.appSecret,
    XPAY_OFFER_ID: account.offerId,
    XPAY_APP_KEY: account.appKeys.live,
    XPAY_SANDBOX_APP_KEY: account.appKeys.sandbox,
  };
}


/**
 * Message push routes from the function catalog: a function that lists events in `messagePush`
 * receives them (one `<MsgType, Event>` → one function: the second claimant is refused, as the
 * console refuses it — https://developers.weixin.qq.com/miniprogram/dev/wxcloudservice/wxcloud/guide/functions/openapi.md).
 */
export function pushRoutesFromCatalog(): Record<string, string> {
  const routes: Record<string, string> = {};
  for (const [name, spec] of Object.entries(FUNCTIONS) as [string, { messagePush?: readonly string[] }][]) {
    for (const event of spec.messagePush ?? []) {
      if (routes[event] !== undefined) throw new Error(`message push event ${event} is routed to both ${routes[event]} and ${name}`);
      routes[event] = name;
    }
  }
  return routes;
}

export const DEFAULT_TIMING = {
  codeTtlMs: 5 * 60_000,
  sessionIdleMs: 3 * 24 * 3600_000,
  tokenTtlMs: 7200_000,
  pushRetryUnitMs: 10,
  refundSettleMs: 50,
} as const;
