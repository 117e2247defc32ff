import { randomUUID } from 'node:crypto';
import type { Database } from '../../core/platform/wxCloud';
import type { OpenApiFaults } from '../pay/faults';
import type { OpenApiHandler, WeChatAnswer } from './openapi';

export const SENT_MESSAGES = 'sent_messages';
export const SECURITY_CHECKS = 'security_checks';
export const SHIPPING_UPLOADS = 'shipping_uploads';

const ok = (extra: Record<string, unknown> = {}): WeChatAnswer => ({ errcode: 0, errmsg: 'ok', ...extra });
const error = (errcode: number, errmsg: string): WeChatAnswer => ({ errcode, errmsg });

/**
 * The length of a keyword value as WeChat counts it: in UTF-16 code units, so an emoji or a CJK
 * character outside the Basic Multilingual Plane (Extension B and beyond) counts 2. The send
 * documentation says only "20个以内字符" (https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-message-management/subscribe-message/sendMessage.html),
 * and nothing public says which unit WeChat counts in; UTF-16 units are never fewer than code
 * points, so a value within the limit counted this way is accepted whichever WeChat uses.
 */
export function wechatLength(value: string): number {
  return value.length;
}

/**
 * What WeChat accepts for a subscribe-message keyword, by its name (thing1, phrase2, …), per
 * https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-message-management/subscribe-message/sendMessage.html
 * (lengths counted as wechatLength counts them).
 */
const LIMITS: { prefix: string; valid: (value: string) => boolean }[] = [
  { prefix: 'character_string', valid: (v) => /^[\x21-\x7e]{1,32}$/.test(v) },
  { prefix: 'thing', valid: (v) => wechatLength(v) >= 1 && wechatLength(v) <= 20 },
  { prefix: 'phrase', valid: (v) => /^[\u4e00-\u9fff]{1,5}$/.test(v) },
  { prefix: 'amount', valid: (v) => /^[¥￥$]?\d{1,10}(\.\d{1,2})?元?$/.test(v) },
  { prefix: 'time', valid: (v) => /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?$/.test(v) },
  { prefix: 'date', valid: (v) => /^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$/.test(v) },
  { prefix: 'number', valid: (v) => /^\d{1,32}(\.\d+)?$/.test(v) },
  { prefix: 'letter', valid: (v) => /^[A-Za-z]{1,32}$/.test(v) },
  { prefix: 'symbol', valid: (v) => wechatLength(v) >= 1 && wechatLength(v) <= 5 },
  { prefix: 'name', valid: (v) => wechatLength(v) >= 1 && wechatLength(v) <= (/[\u4e00-\u9fff]/.test(v) ? 10 : 20) },
  { prefix: 'phone_number', valid: (v) => /^[0-9+\-() ]{1,17}$/.test(v) },
];

export function keywordValueValid(keyword: string, value: unknown): boolean {
  const rule = LIMITS.find((r) => keyword.startsWith(r.prefix));
  return typeof value === 'string' && rule !== undefined && rule.valid(value);
}

/**
 * `subscribeMessage.send` (POST /cgi-bin/message/subscribe/send): `{ touser, template_id, page,
 * data, miniprogram_state, lang }` → `{ errcode, errmsg }`; 40003 bad openid, 40037 bad
 * template, 41030 bad page, 47003 a keyword's value does not fit its kind, 43101 the user refused
 * ("用户拒绝接受消息": never subscribed, unsubscribed, or the one-time grant was used; WeChat's
 * errmsg is "user refuse to accept the msg"), the `subscribeRefused` fault.
 */
export function subscribeMessageSend(platform: Database, pages: () => string[], faults: () => Pick<OpenApiFaults, 'subscribeRefused'> = () => ({ subscribeRefused: 0 })): OpenApiHandler {
  return async (body) => {
    const { touser, template_id: templateId, page, data, miniprogram_state: state } = body;
    if (typeof touser !== 'string' || !touser) return error(40003, 'invalid openid');
    if (typeof templateId !== 'string' || !templateId) return error(40037, 'invalid template_id');
    if (typeof page === 'string' && !pages().includes(page.split('?')[0] as string)) return error(41030, `invalid page: ${page}`);
    if (state !== undefined && state !== 'developer' && state !== 'trial' && state !== 'formal') return error(47003, 'argument invalid! miniprogram_state');
    if (data === null || typeof data !== 'object') return error(47003, 'argument invalid! data is empty');
    for (const [keyword, entry] of Object.entries(data as Record<string, { value?: unknown }>)) {
      if (!keywordValueValid(keyword, entry?.value)) return error(47003, `argument invalid! data.${keyword}.value`);
    }
    if (Math.random() < faults().subscribeRefused) return error(43101, `user refuse to accept the msg rid: ${randomUUID().slice(0, 8)}`);
    await platform.collection(SENT_MESSAGES).add({ data: { touser, templateId, page, data: data as Record<string, unknown>, sentAt: Date.now() } });
    return ok();
  };
}

/**
 * `security.msgSecCheck`, version 2 (POST /wxa/msg_sec_check):
 * https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/sec-center/sec-check/msgSecCheck.html
 * Request `{ content, version: 2, scene: 1–4, openid, title?, nickname?, signature? }`; answer
 * `{ errcode, errmsg, result: { suggest: 'risky' | 'pass' | 'review', label }, detail:
 * [{ strategy, errcode, suggest, label, keyword?, prob? }], trace_id }`, label 100 = normal,
 * 20001 = politics (the configured risky words answer that), 21000 = other (the review words).
 * `-1` is WeChat's "system busy"; 61010 ("用户访问记录超时": the openid's user has not opened the
 * mini program in the last two hours, which the API requires) is the `userAccessExpired` fault.
 */
export function securityMsgSecCheck(platform: Database, faults: () => OpenApiFaults): OpenApiHandler {
  return async (body) => {
    const { content, version, scene, openid } = body;
    if (version !== 2) return error(40097, 'invalid args: version must be 2');
    // "2500字" is counted in UTF-16 units here, as the keyword limits are (wechatLength).
    if (typeof content !== 'string' || content.length === 0 || wechatLength(content) > 2500) return error(40097, 'invalid args: content');
    if (scene !== 1 && scene !== 2 && scene !== 3 && scene !== 4) return error(40097, 'invalid args: scene');
    if (typeof openid !== 'string' || !openid) return error(40003, 'invalid openid');
    if (Math.random() < faults().msgSecCheckError) return error(-1, 'system error');
    if (Math.random() < faults().userAccessExpired) return error(61010, 'user access record timeout');
    const keyword = faults().riskyWords.find((word) => content.includes(word));
    const reviewWord = keyword ? undefined : faults().reviewWords.find((word) => content.includes(word));
    const suggest = keyword ? 'risky' : reviewWord ? 'review' : 'pass';
    const label = keyword ? 20001 : reviewWord ? 21000 : 100;
    const traceId = randomUUID().replace(/-/g, '');
    const matched = keyword ?? reviewWord;
    await platform.collection(SECURITY_CHECKS).add({ data: { openid, scene, suggest, label, ...(matched ? { keyword: matched } : {}), traceId, contentLength: content.length, checkedAt: Date.now() } });
    return ok({
      result: { suggest, label },
      detail: [{ strategy: 'keyword', errcode: 0, suggest, label, ...(matched ? { keyword: matched } : {}) }, { strategy: 'content_model', errcode: 0, suggest, label, prob: keyword ? 90 : reviewWord ? 60 : 0 }],
      trace_id: traceId,
    });
  };
}

/**
 * `wxa.sec.order.uploadShippingInfo` (POST /wxa/sec/order/upload_shipping_info):
 * https://developers.weixin.qq.com/miniprogram/dev/server/API/order_shipping/api_uploadshippinginfo
 * Request `{ order_key: { order_number_type: 1 (mchid + out_trade_no) | 2 (transaction_id), … },
 * logistics_type: 1–4 (3 = virtual goods), delivery_mode: 1 | 2, shipping_list: [{ item_desc, … }]
 * (1–15), upload_time (RFC 3339), payer: { openid } }` → `{ errcode, errmsg }`; 10060001 no such
 * payment, 10060002 already shipped (one re-upload is allowed), 10060003 the re-upload was used,
 * 10060014 bad arguments.
 */
export function uploadShippingInfo(
  platform: Database,
  paymentExists: (orderKey: Record<string, unknown>) => Promise<boolean>,
  faults: () => Pick<OpenApiFaults, 'shippingUploadError'> = () => ({ shippingUploadError: 0 }),
): OpenApiHandler {
  return async (body) => {
    if (Math.random() < faults().shippingUploadError) return error(-1, 'system error');
    const orderKey = body.order_key as Record<string, unknown> | undefined;
    const { logistics_type: logisticsType, delivery_mode: deliveryMode, shipping_list: shippingList, upload_time: uploadTime, payer } = body;
    if (!orderKey || (orderKey.order_number_type !== 1 && orderKey.order_number_type !== 2)) return error(10060014, 'invalid order_key');
    if (![1, 2, 3, 4].includes(logisticsType as number) || ![1, 2].includes(deliveryMode as number)) return error(10060014, 'invalid logistics_type or delivery_mode');
    if (!Array.isArray(shippingList) || shippingList.length < 1 || shippingList.length > 15) return error(10060014, 'shipping_list must hold 1–15 entries');
    if (shippingList.some((entry) => typeof (entry as { item_desc?: unknown })?.item_desc !== 'string' || !(entry as { item_desc: string }).item_desc)) return error(10060008, 'item_desc is required');
    if (typeof uploadTime !== 'string' || Number.isNaN(Date.parse(uploadTime))) return error(10060014, 'upload_time must be RFC 3339');
    if (typeof (payer as { openid?: unknown } | undefined)?.openid !== 'string') return error(10060014, 'payer.openid is required');
    if (!(await paymentExists(orderKey))) return error(10060001, 'payment not found');
    const key = orderKey.order_number_type === 2 ? `tx:${String(orderKey.transaction_id)}` : `mch:${String(orderKey.mchid)}:${String(orderKey.out_trade_no)}`;
    const uploads = platform.collection(SHIPPING_UPLOADS);
    const { data: earlier } = await uploads.where({ key }).limit(10).get();
    if (earlier.length >= 2) return error(10060003, 'the one re-upload of this payment has been used');
    await uploads.add({ data: { key, orderKey, logisticsType, deliveryMode, shippingList, uploadTime, uploadedAt: Date.now() } });
    return ok();
  };
}
