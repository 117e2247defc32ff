import { CLIENT, clientFailure, type ClientFailure } from './codes';
import type { XpayFaults } from './faults';
import type { IdentityService } from './identity';
import type { Env, PayMode, PayOrder, XpayLedger } from './ledger';
import type { XpayAccount, XpayCatalogue } from './settings';
import { CLIENT_SIGN_URI, paySignature, signatureMatches } from './sign';

/**
 * What WeChat does when the mini program calls `wx.requestVirtualPayment({ signData, mode, paySig,
 * signature })` (https://developers.weixin.qq.com/miniprogram/dev/api/payment/wx.requestVirtualPayment.html):
 * it checks the parameters and both signatures, creates the order ("内部会包含下单，拉起支付逻辑":
 * https://developers.weixin.qq.com/miniprogram/dev/platform-capabilities/business-capabilities/virtual-payment.html#_2-2-wx-API)
 * and shows the payment sheet. The user's action on the sheet is a separate step (simulate).
 */

export type Platform = 'android' | 'ios' | 'windows' | 'ohos';
export const PLATFORMS: readonly Platform[] = ['android', 'ios', 'windows', 'ohos'];

export interface PaymentRequest {
  signData: unknown;
  mode: unknown;
  paySig: unknown;
  signature: unknown;
  platform?: unknown;
}

/** What a payment sheet shows: WeChat's own (Android, HarmonyOS, Windows) or Apple's (iOS). */
export interface PaymentSheet {
  outTradeNo: string;
  mode: PayMode;
  env: Env;
  platform: Platform;
  sheet: 'wechat' | 'apple';
  /** The price the user pays, in fen. */
  priceFen: number;
  quantity: number;
  productId?: string;
  /** Token top-ups: how many tokens. */
  tokens?: number;
}

export type RequestResult = { ok: true; sheet: PaymentSheet } | ClientFailure;

/** outTradeNo: "要求8-32个字符内, 只能是数字、大小写字母、符号 _-|*@组成, 不能以下划线(_)开头" (RVP). */
export const OUT_TRADE_NO = /^(?!_)[0-9A-Za-z_\-|*@]{8,32}$/;
/** Apple's floor for one payment on iOS: ¥1 (IOS 端虚拟支付接入指引). */
export const IOS_MINIMUM_FEN = 100;

export interface ClientDeps {
  account: () => XpayAccount;
  catalogue: () => XpayCatalogue;
  iosEnabled: () => boolean;
  identity: IdentityService;
  ledger: XpayLedger;
  faults: () => XpayFaults;
}

type Parsed = { ok: true; value: SignData } | ClientFailure;

interface SignData {
  offerId: string;
  buyQuantity: number;
  env: Env;
  currencyType: string;
  productId?: string;
  goodsPrice?: number;
  activitySellingPrice?: number;
  outTradeNo: string;
  attach: string;
}

function typeError(field: string, expected: string, value: unknown): ClientFailure {
  return clientFailure(CLIENT.SIGN_DATA_FORMAT, `field "${field}" expects ${expected}, got ${JSON.stringify(value) ?? 'undefined'}`);
}

const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 2 ** 31 - 1;

/** signData's fields (RVP's signData table): a wrong JSON type is -15016, a wrong value -15001 (or its own code). */
function parseSignData(text: string, mode: PayMode): Parsed {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return clientFailure(CLIENT.SIGN_DATA_FORMAT, 'signData is not JSON');
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return clientFailure(CLIENT.SIGN_DATA_FORMAT, 'signData is not a JSON object');
  const data = raw as Record<string, unknown>;
  for (const field of ['offerId', 'currencyType', 'outTradeNo', 'attach'] as const) if (typeof data[field] !== 'string') return typeError(field, 'a string', data[field]);
  if (typeof data.buyQuantity !== 'number') return typeError('buyQuantity', 'a number', data.buyQuantity);
  if (data.env !== undefined && typeof data.env !== 'number') return typeError('env', 'a number', data.env);
  if (!isCount(data.buyQuantity)) return clientFailure(CLIENT.INVALID_PARAM, 'buyQuantity must be a whole number ≥ 1');
  const env = data.env ?? 0;
  if (env !== 0 && env !== 1) return clientFailure(CLIENT.INVALID_PARAM, 'env must be 0 or 1');
  if (data.currencyType !== 'CNY') return clientFailure(CLIENT.CURRENCY_TYPE);
  if (!OUT_TRADE_NO.test(data.outTradeNo as string)) return clientFailure(CLIENT.INVALID_PARAM, 'outTradeNo must be 8-32 of [0-9A-Za-z_-|*@], not starting with _');
  const value: SignData = {
    offerId: data.offerId as string,
    buyQuantity: data.buyQuantity,
    env: env as Env,
    currencyType: 'CNY',
    outTradeNo: data.outTradeNo as string,
    attach: data.attach as string,
  };
  if (mode === 'short_series_goods') {
    if (typeof data.productId !== 'string') return typeError('productId', 'a string', data.productId);
    if (typeof data.goodsPrice !== 'number') return typeError('goodsPrice', 'a number', data.goodsPrice);
    if (!isCount(data.goodsPrice)) return clientFailure(CLIENT.GOODS_PRICE, 'goodsPrice must be a whole number of fen ≥ 1');
    value.productId = data.productId;
    value.goodsPrice = data.goodsPrice;
    if (data.activitySellingPrice !== undefined) {
      if (typeof data.activitySellingPrice !== 'number') return typeError('activitySellingPrice', 'a number', data.activitySellingPrice);
      if (!isCount(data.activitySellingPrice) || data.activitySellingPrice > data.goodsPrice) return clientFailure(CLIENT.INVALID_PARAM, 'activitySellingPrice must be 1..goodsPrice fen');
      value.activitySellingPrice = data.activitySellingPrice;
    }
  }
  return { ok: true, value };
}

/**
 * wx.requestVirtualPayment, up to the open sheet. The checks, in order: parameter types (1001),
 * mode and signData (-15001/-15004/-15016), paySig with the AppKey of signData's env (-15006), the
 * user signature with the caller's current session key (-15007 expired or replaced, -15005 wrong),
 * a transient system error (-15003, fault), the platform (iOS: -15001 when iOS payment is not
 * opened, -15011 in the sandbox, -15001 under ¥1), what is published (-15009 token, -15010 item,
 * -15013 price) and the outTradeNo's single use (-15002). The order check order is the emulator's:
 * WeChat does not document it.
 */
export async function requestPayment(deps: ClientDeps, openid: string, request: PaymentRequest): Promise<RequestResult> {
  for (const field of ['signData', 'mode', 'paySig', 'signature'] as const) {
    if (typeof request[field] !== 'string') return clientFailure(CLIENT.PARAM, `parameter.${field} should be String instead of ${request[field] === undefined ? 'Undefined' : typeof request[field]}`);
  }
  const platform = (request.platform ?? 'android') as Platform;
  if (!PLATFORMS.includes(platform)) return clientFailure(CLIENT.PARAM, `platform must be one of ${PLATFORMS.join(', ')}`);
  const mode = request.mode as string;
  if (mode !== 'short_series_goods' && mode !== 'short_series_coin') return clientFailure(CLIENT.INVALID_PARAM, 'mode must be short_series_goods or short_series_coin');
  const signData = request.signData as string;
  const parsed = parseSignData(signData, mode);
  if (!parsed.ok) return parsed;
  const data = parsed.value;
  const account = deps.account();
  if (data.offerId !== account.offerId) return clientFailure(CLIENT.INVALID_PARAM, 'offerId is not this mini program\'s');
  const appKey = data.env === 0 ? account.appKeys.live : account.appKeys.sandbox;
  if (!signatureMatches(paySignature(appKey, CLIENT_SIGN_URI, signData), request.paySig)) return clientFailure(CLIENT.PAY_SIG_INVALID);
  const user = await deps.identity.checkUserSignature(openid, signData, request.signature);
  if (user === 'expired') return clientFailure(CLIENT.SESSION_KEY_EXPIRED);
  if (user === 'invalid') return clientFailure(CLIENT.SIGNATURE_INVALID);
  if (Math.random() < deps.faults().systemError) return clientFailure(CLIENT.SYSTEM_ERROR);
  const catalogue = deps.catalogue();
  let unitPriceFen: number;
  if (mode === 'short_series_coin') {
    if (catalogue.tokenPriceFen === null) return clientFailure(CLIENT.COIN_NOT_PUBLISHED);
    unitPriceFen = catalogue.tokenPriceFen;
  } else {
    const published = catalogue.products[data.productId as string];
    if (published === undefined) return clientFailure(CLIENT.PRODUCT_NOT_PUBLISHED);
    if (data.goodsPrice !== published) return clientFailure(CLIENT.GOODS_PRICE);
    unitPriceFen = published;
  }
  const priceFen = (data.activitySellingPrice ?? unitPriceFen) * data.buyQuantity;
  if (platform === 'ios') {
    if (!deps.iosEnabled()) return clientFailure(CLIENT.INVALID_PARAM, 'INVALID_PLATFORM 当前商户尚未开启iOS支付');
    if (data.env === 1) return clientFailure(CLIENT.SANDBOX_NOT_ALLOWED);
    if (priceFen < IOS_MINIMUM_FEN) return clientFailure(CLIENT.INVALID_PARAM, 'iOS 单笔支付金额不能低于1元');
  }
  const order = await deps.ledger.createPayOrder({
    _id: data.outTradeNo,
    env: data.env,
    openid,
    mode,
    ...(data.productId !== undefined ? { productId: data.productId } : {}),
    quantity: data.buyQuantity,
    unitPriceFen,
    orderFee: priceFen,
    platform,
    attach: data.attach,
  });
  if (!order) return clientFailure(CLIENT.DUPLICATE_OUT_TRADE_NO);
  return { ok: true, sheet: sheetOf(order) };
}

export function sheetOf(order: PayOrder): PaymentSheet {
  const platform = order.platform as Platform;
  return {
    outTradeNo: order._id,
    mode: order.mode,
    env: order.env,
    platform,
    sheet: platform === 'ios' ? 'apple' : 'wechat',
    priceFen: order.orderFee,
    quantity: order.quantity,
    ...(order.productId !== undefined ? { productId: order.productId } : {}),
    ...(order.mode === 'short_series_coin' ? { tokens: order.quantity } : {}),
  };
}
