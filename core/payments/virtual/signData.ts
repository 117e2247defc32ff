import { WechatRequestError } from '../../platform/wechatApi';
import { appKeyFor, type XpayAppKeys, type XpayEnv } from './settings';
import { userSignature, virtualPaySig } from './signatures';

/**
 * The parameters of `wx.requestVirtualPayment`
 * (https://developers.weixin.qq.com/miniprogram/dev/api/payment/wx.requestVirtualPayment.html).
 */

/** 道具直购 (an item bought with money) or 代币充值 (a token top-up). */
export type VirtualPaymentMode = 'short_series_goods' | 'short_series_coin';

/**
 * The business order number: "要求8-32个字符内，只能是数字、大小写字母、符号 _-|*@组成，不能以下划线(_)开头".
 */
export const OUT_TRADE_NO_PATTERN = /^(?!_)[0-9A-Za-z_\-|*@]{8,32}$/;

/** An item id as the MP console and start_upload_goods take it: "长度(0,64]，字符只允许使用字母、数字、'_'、'-'". */
export const PRODUCT_ID_PATTERN = /^[0-9A-Za-z_-]{1,64}$/;

export type VirtualPaymentParams =
  | {
      mode: 'short_series_coin';
      /** Tokens bought: the pack's token count (its price follows from the exchange ratio set in the MP console). */
      buyQuantity: number;
      outTradeNo: string;
      /** Passed through to the push ("透传数据，发货通知时会透传给开发者"). */
      attach: string;
    }
  | {
      mode: 'short_series_goods';
      productId: string;
      /** The item's published price in fen; WeChat refuses a payment whose price differs. */
      goodsPrice: number;
      /** 1 unless told otherwise. */
      buyQuantity?: number;
      outTradeNo: string;
      attach: string;
    };

/** What the mini program spreads into `wx.requestVirtualPayment`. */
export interface SignedVirtualPayment {
  /** The exact JSON text both signatures cover; passed on unchanged. */
  signData: string;
  mode: VirtualPaymentMode;
  paySig: string;
  signature: string;
}

export interface VirtualPaymentCredentials {
  offerId: string;
  env: XpayEnv;
  appKeys: XpayAppKeys;
}

const API = 'requestVirtualPayment';

function positiveWhole(value: unknown, name: string, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new WechatRequestError(API, `${name} must be a whole number from 1 to ${max}, not ${String(value)}`);
  }
  return value;
}

/** ¥1 000 000 in fen: far above any pack or item here, low enough to catch a price given in yuan × 100 twice. */
const MAX_FEN = 100_000_000;
const MAX_QUANTITY = 10_000_000;

/**
 * Builds signData and signs it. The keys are written in one fixed order — offerId, buyQuantity,
 * env, currencyType, [productId, goodsPrice,] outTradeNo, attach — the order of the page's own
 * example and of WxJava's published vector (binarywang/WxJava
 * weixin-java-miniapp/src/test/java/cn/binarywang/wx/miniapp/bean/xpay/WxMaXPayRequestVirtualPaymentTest.java).
 * WeChat checks the signatures over the string it receives, so the order is ours to fix; fixing it
 * makes the same order always give the same string. `platform`, which old examples carry, is not
 * in the current field table and is not sent.
 */
export function signVirtualPayment(credentials: VirtualPaymentCredentials, params: VirtualPaymentParams, sessionKey: string): SignedVirtualPayment {
  if (!OUT_TRADE_NO_PATTERN.test(params.outTradeNo)) {
    throw new WechatRequestError(API, `outTradeNo must be 8-32 of [0-9A-Za-z_-|*@] not starting with _, not ${JSON.stringify(params.outTradeNo)}`);
  }
  if (typeof params.attach !== 'string') throw new WechatRequestError(API, 'attach must be a string');
  const appKey = appKeyFor(credentials.appKeys, credentials.env);
  let fields: Record<string, string | number>;
  switch (params.mode) {
    case 'short_series_coin':
      fields = {
        offerId: credentials.offerId,
        buyQuantity: positiveWhole(params.buyQuantity, 'buyQuantity', MAX_QUANTITY),
        env: credentials.env,
        currencyType: 'CNY',
        outTradeNo: params.outTradeNo,
        attach: params.attach,
      };
      break;
    case 'short_series_goods':
      if (!PRODUCT_ID_PATTERN.test(params.productId)) throw new WechatRequestError(API, `productId must be 1-64 of [0-9A-Za-z_-], not ${JSON.stringify(params.productId)}`);
      fields = {
        offerId: credentials.offerId,
        buyQuantity: positiveWhole(params.buyQuantity ?? 1, 'buyQuantity', MAX_QUANTITY),
        env: credentials.env,
        currencyType: 'CNY',
        productId: params.productId,
        goodsPrice: positiveWhole(params.goodsPrice, 'goodsPrice', MAX_FEN),
        outTradeNo: params.outTradeNo,
        attach: params.attach,
      };
      break;
  }
  const signData = JSON.stringify(fields);
  return { signData, mode: params.mode, paySig: virtualPaySig(appKey, signData), signature: userSignature(sessionKey, signData) };
}
