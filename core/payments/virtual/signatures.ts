import { createHmac } from 'node:crypto';

/**
 * The three signatures of mini program virtual payment (小程序虚拟支付), as WeChat defines them in
 * "2.4 签名详解" of https://developers.weixin.qq.com/miniprogram/dev/platform-capabilities/business-capabilities/virtual-payment.html:
 *
 *   paySig    = to_hex(hmac_sha256(appKey, uri + '&' + signData))
 *   signature = to_hex(hmac_sha256(sessionKey, signData))
 *
 * Keys and messages are the UTF-8 bytes of the strings (the page's python encodes both with
 * `.encode('utf-8')`: the session key is used as written, not base64-decoded). Hex is lower case:
 * WxJava had to add `.toLowerCase()` before WeChat accepted its pay_sig (commit 167ffdb3,
 * "#3223 修复微信虚拟支付签名校验失败的问题", in Wechat-Group/WxJava
 * weixin-java-miniapp/src/main/java/cn/binarywang/wx/miniapp/bean/xpay/WxMaXPaySigParams.java).
 * What is signed must be byte for byte what is sent, so every caller passes the one string it sends.
 */

/** The `uri` of the client-side paySig: fixed by the page above ("固定填requestVirtualPayment"). */
export const REQUEST_VIRTUAL_PAYMENT_URI = 'requestVirtualPayment';

/** A signing key that cannot be right (empty, or only blanks): nothing is signed with it. */
export class SigningKeyError extends Error {
  constructor(readonly which: 'AppKey' | 'session_key') {
    super(`${which} is empty: nothing can be signed with it`);
    this.name = 'SigningKeyError';
  }
}

function hmacSha256Hex(key: string, message: string): string {
  return createHmac('sha256', Buffer.from(key, 'utf8')).update(Buffer.from(message, 'utf8')).digest('hex');
}

function usableKey(key: string, which: 'AppKey' | 'session_key'): string {
  if (typeof key !== 'string' || key.trim() === '') throw new SigningKeyError(which);
  return key;
}

/** `paySig` for `wx.requestVirtualPayment`: HMAC(AppKey, "requestVirtualPayment&" + signData). */
export function virtualPaySig(appKey: string, signData: string): string {
  return hmacSha256Hex(usableKey(appKey, 'AppKey'), `${REQUEST_VIRTUAL_PAYMENT_URI}&${signData}`);
}

/**
 * `pay_sig` of a server API call: HMAC(AppKey, uri + "&" + body), where `uri` is the API's path
 * without its query string (e.g. `/xpay/query_user_balance`, "uri，切记不可带参数").
 */
export function serverPaySig(appKey: string, uri: string, body: string): string {
  if (!uri.startsWith('/') || uri.includes('?')) {
    throw new TypeError(`pay_sig is computed over the API path without its query string (e.g. /xpay/query_order), not ${JSON.stringify(uri)}`);
  }
  return hmacSha256Hex(usableKey(appKey, 'AppKey'), `${uri}&${body}`);
}

/** The user (登录态) `signature`: HMAC(session_key, data), data being the signData or the POST body. */
export function userSignature(sessionKey: string, data: string): string {
  return hmacSha256Hex(usableKey(sessionKey, 'session_key'), data);
}
