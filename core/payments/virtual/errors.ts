import { WechatApiError, WechatRequestError, WechatTransportError } from '../../platform/wechatApi';
import { SigningKeyError } from './signatures';

/**
 * The errcodes of the /xpay/ APIs, from "错误码" of
 * https://developers.weixin.qq.com/miniprogram/dev/platform-capabilities/business-capabilities/virtual-payment.html#错误码
 * (silenceper/wechat miniprogram/virtualpayment/constant.go lists the same up to 268490011).
 */
export const XPAY_ERRCODES = {
  /** 系统错误 */
  systemError: -1,
  /** openid错误 */
  openidError: 268490001,
  /** 请求参数字段错误，具体看errmsg */
  parameterError: 268490002,
  /** 签名错误 */
  signatureError: 268490003,
  /** 重复操作: for present_currency and currency_pay "表示之前的操作已经成功" */
  repeatedOperation: 268490004,
  /** 订单已经通过cancel_currency_pay接口退款，不支持再退款 */
  alreadyRefunded: 268490005,
  /** 代币的退款/支付操作金额不足 */
  insufficientBalance: 268490006,
  /** 图片或文字存在敏感内容，禁止使用 */
  sensitiveContent: 268490007,
  /** 代币未发布，不允许进行代币操作 */
  tokenNotPublished: 268490008,
  /** 用户session_key不存在或已过期，请重新登录 */
  sessionKeyExpired: 268490009,
  /** 数据生成中，请稍后调用本接口获取 (download_bill) */
  billGenerating: 268490011,
  /** 批量任务运行中，请等待完成后才能再次运行 */
  batchRunning: 268490012,
  /** 禁止对核销状态的单进行退款 */
  refundOfRedeemedOrder: 268490013,
  /** 退款操作进行中，稍后可以使用相同参数重试 */
  refundInProgress: 268490014,
  /** 频率限制 */
  rateLimited: 268490015,
  /** 退款的left_fee字段与实际不符，请通过query_order接口查询确认 */
  leftFeeMismatch: 268490016,
} as const;

function hasErrcode(error: unknown, errcode: number): boolean {
  return error instanceof WechatApiError && error.errcode === errcode;
}

/** 268490004: the same present or spend was done before; count it as done. */
export function isRepeatedOperation(error: unknown): boolean {
  return hasErrcode(error, XPAY_ERRCODES.repeatedOperation);
}

/** 268490009: the stored session_key is gone; the user must `wx.login` again. */
export function isSessionExpired(error: unknown): boolean {
  return hasErrcode(error, XPAY_ERRCODES.sessionKeyExpired);
}

/** 268490006: not enough tokens for the spend (or for the return). */
export function isInsufficientBalance(error: unknown): boolean {
  return hasErrcode(error, XPAY_ERRCODES.insufficientBalance);
}

/** 268490005: the spend was already returned by cancel_currency_pay. */
export function isAlreadyRefunded(error: unknown): boolean {
  return hasErrcode(error, XPAY_ERRCODES.alreadyRefunded);
}

/**
 * A cancel_currency_pay answer that means the tokens are back: 268490005 (this spend was already
 * returned) or 268490004 (this very return was made before). Which of the two WeChat answers to a
 * repeated return under the same refund order_id is not documented; both mean nothing is owed.
 */
export function isTokenReturnDone(error: unknown): boolean {
  return isAlreadyRefunded(error) || isRepeatedOperation(error);
}

/** 268490003: pay_sig or signature did not verify (wrong AppKey for the env, or a body changed after signing). */
export function isSignatureError(error: unknown): boolean {
  return hasErrcode(error, XPAY_ERRCODES.signatureError);
}

/** 268490002 */
export function isParameterError(error: unknown): boolean {
  return hasErrcode(error, XPAY_ERRCODES.parameterError);
}

/** 268490014: a refund with these parameters is under way; the same call may be repeated later. */
export function isRefundInProgress(error: unknown): boolean {
  return hasErrcode(error, XPAY_ERRCODES.refundInProgress);
}

/** 268490002 with "数据不存在": WeChat has no such order or spend (query_order: never opened; cancel_currency_pay: nothing spent). */
export function saysNotFound(error: unknown): boolean {
  return isParameterError(error) && error instanceof WechatApiError && /不存在|not\s*exist/i.test(error.errmsg);
}

/** 268490016: left_fee is not what WeChat has; read it again with query_order. */
export function isLeftFeeMismatch(error: unknown): boolean {
  return hasErrcode(error, XPAY_ERRCODES.leftFeeMismatch);
}

/** -1: WeChat's own failure; as with a lost answer, whether anything was done is unknown. */
export function isSystemError(error: unknown): boolean {
  return hasErrcode(error, XPAY_ERRCODES.systemError);
}

/**
 * The call may or may not have taken effect: no usable answer, or WeChat's -1 system error. A spend
 * or a return in this state is settled by asking again with the same order_id (a repeat answers
 * 268490004, or 268490005 for a return), never by a new id.
 */
export function isOutcomeUnknown(error: unknown): boolean {
  return error instanceof WechatTransportError || isSystemError(error);
}

/**
 * The request was not sent: its arguments were refused before signing, or a key to sign with was
 * empty (for a session_key, the user has to `wx.login` again).
 */
export function isInvalidRequest(error: unknown): error is WechatRequestError | SigningKeyError {
  return error instanceof WechatRequestError || error instanceof SigningKeyError;
}
