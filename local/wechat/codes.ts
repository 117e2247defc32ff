import { randomBytes } from 'node:crypto';

/**
 * Error codes WeChat answers, with the descriptions its pages give.
 *
 * Server API (`/xpay/*`): the 错误码 table of
 * https://developers.weixin.qq.com/miniprogram/dev/platform-capabilities/business-capabilities/virtual-payment.html#错误码
 * (the same list is in silenceper/wechat `miniprogram/virtualpayment/constant.go`).
 */
export const XPAY = {
  SYSTEM_ERROR: -1,
  OPENID: 268490001,
  PARAM: 268490002,
  SIGNATURE: 268490003,
  REPEATED: 268490004,
  ALREADY_CANCELLED: 268490005,
  INSUFFICIENT: 268490006,
  COIN_NOT_PUBLISHED: 268490008,
  SESSION_KEY_EXPIRED: 268490009,
  GENERATING: 268490011,
  REFUND_IN_PROGRESS: 268490014,
  LEFT_FEE_MISMATCH: 268490016,
} as const;

export const XPAY_MESSAGES: Record<number, string> = {
  [XPAY.SYSTEM_ERROR]: 'system error',
  [XPAY.OPENID]: 'openid错误',
  [XPAY.PARAM]: '请求参数字段错误',
  [XPAY.SIGNATURE]: '签名错误',
  [XPAY.REPEATED]: '重复操作',
  [XPAY.ALREADY_CANCELLED]: '订单已经通过cancel_currency_pay接口退款，不支持再退款',
  [XPAY.INSUFFICIENT]: '代币的退款/支付操作金额不足',
  [XPAY.COIN_NOT_PUBLISHED]: '代币未发布，不允许进行代币操作',
  [XPAY.SESSION_KEY_EXPIRED]: '用户session_key不存在或已过期，请重新登录',
  [XPAY.GENERATING]: '数据生成中，请稍后调用本接口获取',
  [XPAY.REFUND_IN_PROGRESS]: '退款操作进行中，稍后可以使用相同参数重试',
  [XPAY.LEFT_FEE_MISMATCH]: '退款的left_fee字段与实际不符，请通过query_order接口查询确认',
};

/**
 * Platform-wide codes for credentials and login (全局返回码), with WeChat's own wording where a
 * page quotes it: 40001's text is what getStableAccessToken callers report
 * (https://developers.weixin.qq.com/community/personal/oCJUsw4h191Fs-VORKfTeUvuPItk/question);
 * stable_token's codes: https://developers.weixin.qq.com/doc/service/api/base/api_getstableaccesstoken
 * (40002, 40013, 40125, 41002, 41004, 43002, 45009); code2Session's: 40029, 40163, 45011, -1
 * (https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-login/code2Session.html).
 */
export const PLATFORM = {
  INVALID_CREDENTIAL: 40001,
  INVALID_GRANT_TYPE: 40002,
  INVALID_APPID: 40013,
  INVALID_ACCESS_TOKEN: 40014,
  INVALID_CODE: 40029,
  INVALID_APPSECRET: 40125,
  CODE_BEEN_USED: 40163,
  MISSING_ACCESS_TOKEN: 41001,
  MISSING_APPID: 41002,
  MISSING_SECRET: 41004,
  MISSING_CODE: 41008,
  ACCESS_TOKEN_EXPIRED: 42001,
  REQUIRE_POST: 43002,
  DAILY_QUOTA: 45009,
} as const;

export const PLATFORM_MESSAGES: Record<number, string> = {
  [PLATFORM.INVALID_CREDENTIAL]: 'invalid credential, access_token is invalid or not latest, could get access_token by getStableAccessToken',
  [PLATFORM.INVALID_GRANT_TYPE]: 'invalid grant_type',
  [PLATFORM.INVALID_APPID]: 'invalid appid',
  [PLATFORM.INVALID_ACCESS_TOKEN]: 'invalid access_token',
  [PLATFORM.INVALID_CODE]: 'invalid code',
  [PLATFORM.INVALID_APPSECRET]: 'invalid appsecret',
  [PLATFORM.CODE_BEEN_USED]: 'code been used',
  [PLATFORM.MISSING_ACCESS_TOKEN]: 'access_token missing',
  [PLATFORM.MISSING_APPID]: 'appid missing',
  [PLATFORM.MISSING_SECRET]: 'appsecret missing',
  [PLATFORM.MISSING_CODE]: 'missing code',
  [PLATFORM.ACCESS_TOKEN_EXPIRED]: 'access_token expired',
  [PLATFORM.REQUIRE_POST]: 'require POST method',
  [PLATFORM.DAILY_QUOTA]: 'reach max api daily quota limit',
};

/** WeChat appends a request id to every errmsg (" rid: 64d5ad59-654b7e21-374e63a7"), so callers must not compare errmsg exactly. */
export function withRid(message: string): string {
  const part = () => randomBytes(4).toString('hex');
  return `${message} rid: ${part()}-${part()}-${part()}`;
}

// A type, not an interface: it is spread into and returned as plain JSON answers.
export type WeChatError = { errcode: number; errmsg: string };

export function xpayError(code: number, detail?: string): WeChatError {
  const base = XPAY_MESSAGES[code] ?? PLATFORM_MESSAGES[code] ?? 'error';
  return { errcode: code, errmsg: withRid(detail ? `${base}: ${detail}` : base) };
}

/**
 * `wx.requestVirtualPayment`'s fail codes, from the 错误 table of
 * https://developers.weixin.qq.com/miniprogram/dev/api/payment/wx.requestVirtualPayment.html
 * (the table, as converted to Markdown 2026-06-01, is quoted in full in docs/LOCAL-RUNTIME.md).
 */
export const CLIENT = {
  PARAM: 1001,
  PAY_FAILED: -1,
  CANCELLED: -2,
  INVALID_PARAM: -15001,
  DUPLICATE_OUT_TRADE_NO: -15002,
  SYSTEM_ERROR: -15003,
  CURRENCY_TYPE: -15004,
  SIGNATURE_INVALID: -15005,
  PAY_SIG_INVALID: -15006,
  SESSION_KEY_EXPIRED: -15007,
  COIN_NOT_PUBLISHED: -15009,
  PRODUCT_NOT_PUBLISHED: -15010,
  SANDBOX_NOT_ALLOWED: -15011,
  GOODS_PRICE: -15013,
  SIGN_DATA_FORMAT: -15016,
} as const;

/**
 * The errMsg after `requestVirtualPayment:fail `. The error names WeChat shows developers are used
 * where community reports quote them (SIGNATURE_INVALID -15005:
 * https://developers.weixin.qq.com/community/develop/doc/00046a90cfcd5894cd45781d66b400;
 * PAYMENT_ILLEGAL_IN_SANDBOX -15011, the env-1-in-a-live-version refusal); the others carry the
 * table's description.
 */
export const CLIENT_MESSAGES: Record<number, string> = {
  [CLIENT.PARAM]: '参数错误',
  [CLIENT.PAY_FAILED]: '支付失败',
  [CLIENT.CANCELLED]: 'cancel',
  [CLIENT.INVALID_PARAM]: '参数错误',
  [CLIENT.DUPLICATE_OUT_TRADE_NO]: 'outTradeNo重复使用,请换新单号重试',
  [CLIENT.SYSTEM_ERROR]: '系统错误',
  [CLIENT.CURRENCY_TYPE]: 'currencyType错误,目前只能填CNY',
  [CLIENT.SIGNATURE_INVALID]: 'SIGNATURE_INVALID',
  [CLIENT.PAY_SIG_INVALID]: '支付签名paySig错误',
  [CLIENT.SESSION_KEY_EXPIRED]: 'session_key过期',
  [CLIENT.COIN_NOT_PUBLISHED]: '代币未发布',
  [CLIENT.PRODUCT_NOT_PUBLISHED]: '道具productId未发布',
  [CLIENT.SANDBOX_NOT_ALLOWED]: 'PAYMENT_ILLEGAL_IN_SANDBOX',
  [CLIENT.GOODS_PRICE]: 'goodsPrice道具价格错误',
  [CLIENT.SIGN_DATA_FORMAT]: 'signData格式有问题',
};

export interface ClientFailure {
  ok: false;
  errCode: number;
  errMsg: string;
}

export function clientFailure(code: number, detail?: string): ClientFailure {
  const base = CLIENT_MESSAGES[code] ?? 'fail';
  return { ok: false, errCode: code, errMsg: `requestVirtualPayment:fail ${detail ? `${base} ${detail}` : base}` };
}
