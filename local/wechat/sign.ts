import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The two signatures of mini program virtual payment, as WeChat's "签名详解" defines them
 * (https://developers.weixin.qq.com/miniprogram/dev/platform-capabilities/business-capabilities/virtual-payment.html#_2-4-签名详解):
 *
 *   pay_sig   = to_hex(hmac_sha256(appKey,     uri + '&' + signData))
 *   signature = to_hex(hmac_sha256(sessionKey, signData))
 *
 * Keys and messages are the UTF-8 bytes of the strings (the page's python: `appkey.encode('utf-8')`,
 * `session_key.encode('utf-8')` — the session key is NOT base64-decoded), the digest is lowercase hex.
 * For a server API `uri` is the path without its query (`/xpay/query_user_balance`) and signData the
 * exact POST body; for `wx.requestVirtualPayment` `uri` is the fixed string `requestVirtualPayment`
 * and signData the `signData` string the mini program passed.
 */

/** The `uri` of the client call's pay signature (WxJava `WxMaConstants.XPayWxApiSigUri.WXAPI`). */
export const CLIENT_SIGN_URI = 'requestVirtualPayment';

export function hmacSha256Hex(key: string, message: string | Buffer): string {
  return createHmac('sha256', Buffer.from(key, 'utf8')).update(typeof message === 'string' ? Buffer.from(message, 'utf8') : message).digest('hex');
}

/** `pay_sig` over `uri + '&' + body`, with the body's exact bytes. */
export function paySignature(appKey: string, uri: string, body: string | Buffer): string {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return hmacSha256Hex(appKey, Buffer.concat([Buffer.from(`${uri}&`, 'utf8'), bytes]));
}

/** The user (登录态) `signature` over the body's exact bytes. */
export function userSignature(sessionKey: string, body: string | Buffer): string {
  return hmacSha256Hex(sessionKey, body);
}

/**
 * Compares a presented signature with the expected one in constant time. WeChat's signatures are
 * lowercase hex; an upper-case one is refused, as WeChat refused WxJava's until it lower-cased them
 * (binarywang/WxJava `WxMaXPaySigParams.calcPaySig` ends in `.toLowerCase()`).
 */
export function signatureMatches(expected: string, presented: unknown): boolean {
  if (typeof presented !== 'string' || presented.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(expected, 'utf8'), Buffer.from(presented, 'utf8'));
}
