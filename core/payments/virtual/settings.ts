import { DEFAULT_WX_API_BASE_URL } from '../../platform/wechatApi';

/**
 * The configuration of the virtual payment rail, read from a function's environment. Where each
 * value comes from (WeChat's MP console, 虚拟支付 → 基本配置 → 基础配置: OfferID, 现网AppKey,
 * 沙箱AppKey; 设置 → 开发设置: AppID, AppSecret) is in docs/VIRTUAL-PAYMENT.md.
 */

/** 0 live (现网), 1 sandbox (沙箱): the `env` of every signData and /xpay/ body. */
export type XpayEnv = 0 | 1;

export interface XpayAppKeys {
  /** 现网AppKey: signs everything with env 0. */
  live?: string;
  /** 沙箱AppKey: signs everything with env 1. */
  sandbox?: string;
}

export interface XpaySettings {
  offerId: string;
  env: XpayEnv;
  appKeys: XpayAppKeys;
  appId: string;
  appSecret: string;
  /** Where /xpay/, code2Session and stable_token requests go. */
  apiBaseUrl: string;
}

export class XpayConfigError extends Error {
  constructor(message: string) {
    super(`configuration: ${message}`);
    this.name = 'XpayConfigError';
  }
}

/**
 * The AppKey for `env` ("记得根据env值选择不同AppKey，env = 0对应现网AppKey，env = 1对应沙箱AppKey",
 * https://developers.weixin.qq.com/miniprogram/dev/platform-capabilities/business-capabilities/virtual-payment.html#_2-4-签名详解).
 */
export function appKeyFor(keys: XpayAppKeys, env: XpayEnv): string {
  const key = env === 0 ? keys.live : keys.sandbox;
  if (!key) throw new XpayConfigError(env === 0 ? 'XPAY_APP_KEY (the live AppKey) is required with XPAY_ENV=0' : 'XPAY_SANDBOX_APP_KEY (the sandbox AppKey) is required with XPAY_ENV=1');
  return key;
}

function parseEnv(raw: string | undefined): XpayEnv {
  const value = (raw ?? '').trim().toLowerCase();
  if (value === '' || value === '0' || value === 'live') return 0;
  if (value === '1' || value === 'sandbox') return 1;
  throw new XpayConfigError(`XPAY_ENV must be 0 (live) or 1 (sandbox), not ${raw}`);
}

/**
 * Reads `XPAY_OFFER_ID`, `XPAY_ENV` (0 by default), `XPAY_APP_KEY`, `XPAY_SANDBOX_APP_KEY`,
 * `WX_APPID`, `WX_APPSECRET` and `WX_API_BASE_URL` (https://api.weixin.qq.com by default). The key
 * for the chosen env must be there; the other one may be missing.
 */
export function readXpaySettings(env: NodeJS.ProcessEnv = process.env): XpaySettings {
  const missing = ['XPAY_OFFER_ID', 'WX_APPID', 'WX_APPSECRET'].filter((name) => !env[name]?.trim());
  if (missing.length > 0) throw new XpayConfigError(`${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} required for virtual payment`);
  const offerId = (env.XPAY_OFFER_ID as string).trim();
  // OfferIDs seen in WeChat's and SDKs' examples are 10 digits ("1450019686"); only the shape is checked.
  if (!/^[0-9A-Za-z_-]{1,64}$/.test(offerId)) throw new XpayConfigError(`XPAY_OFFER_ID is the OfferID of 虚拟支付 → 基本配置, not ${offerId}`);
  const xpayEnv = parseEnv(env.XPAY_ENV);
  const appKeys: XpayAppKeys = {
    ...(env.XPAY_APP_KEY?.trim() ? { live: env.XPAY_APP_KEY.trim() } : {}),
    ...(env.XPAY_SANDBOX_APP_KEY?.trim() ? { sandbox: env.XPAY_SANDBOX_APP_KEY.trim() } : {}),
  };
  appKeyFor(appKeys, xpayEnv);
  const apiBaseUrl = env.WX_API_BASE_URL?.trim() || DEFAULT_WX_API_BASE_URL;
  try {
    const url = new URL(apiBaseUrl);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('not http(s)');
  } catch {
    throw new XpayConfigError(`WX_API_BASE_URL must be an http(s) URL, not ${apiBaseUrl}`);
  }
  return {
    offerId,
    env: xpayEnv,
    appKeys,
    appId: (env.WX_APPID as string).trim(),
    appSecret: (env.WX_APPSECRET as string).trim(),
    apiBaseUrl,
  };
}
