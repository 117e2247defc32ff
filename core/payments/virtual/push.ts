import type { XpayEnv } from './settings';

/**
 * The virtual payment pushes (消息推送) as a cloud function receives them: CloudBase's message push
 * calls the function with the push's JSON object as its `event` ("其 event 参数即是接口所定义的 JSON
 * 结构的对象（统一 JSON 格式，不支持 XML 格式）",
 * https://developers.weixin.qq.com/miniprogram/dev/wxcloud/guide/functions/openapi.html).
 * Field names and meanings are those of "消息推送" in
 * https://developers.weixin.qq.com/miniprogram/dev/platform-capabilities/business-capabilities/virtual-payment.html
 * (#道具发货推送xpay-goods-deliver-notify, #代币支付推送xpay-coin-pay-notify,
 * #退款推送xpay-refund-notify, #用户投诉推送xpay-complaint-notify).
 *
 * These pushes carry no signature of their own (the PayEventSig envelope is the mini *game*
 * format, https://developers.weixin.qq.com/minigame/dev/guide/open-ability/virtual-payment/event.html),
 * so a push is a hint to be checked against query_order before money is believed.
 */

/** The answer WeChat expects once a push is handled; anything else makes it push again (up to 15 times). */
export const XPAY_PUSH_ACK = { ErrCode: 0, ErrMsg: 'success' } as const;

export type XpayPushEvent = 'xpay_goods_deliver_notify' | 'xpay_coin_pay_notify' | 'xpay_refund_notify' | 'xpay_complaint_notify';

export interface XpayPushCommon {
  /** The mini program's original id (原始ID). */
  toUserName: string;
  /** WeChat's own openid for the push ("道具发货场景固定为微信官方的openid"), not the buyer's. */
  fromUserName: string;
  /** Seconds. */
  createTime: number;
}

/** 微信支付信息: "非微信支付渠道可能没有" (absent when the payment did not go through WeChat Pay, e.g. Apple). */
export interface WeChatPayInfo {
  mchOrderNo: string;
  transactionId: string;
  /** Seconds. */
  paidTime?: number;
}

export interface TeamInfo {
  activityId: string;
  teamId: string;
  teamType: number;
  teamAction: number;
}

export interface GoodsDeliverPush extends XpayPushCommon {
  kind: 'goods_deliver';
  openid: string;
  outTradeNo: string;
  env: XpayEnv;
  weChatPayInfo?: WeChatPayInfo;
  goodsInfo: { productId: string; quantity: number; origPriceFen: number; actualPriceFen: number; attach: string };
  teamInfo?: TeamInfo;
}

/**
 * A token top-up paid (代币充值 → "支付推送分支" of the top-up flow on the page above): the push
 * carries the WeChat Pay transaction and prices in fen. A currency_pay spend is answered
 * synchronously and is not what this push reports.
 */
export interface CoinPayPush extends XpayPushCommon {
  kind: 'coin_pay';
  openid: string;
  outTradeNo: string;
  env: XpayEnv;
  weChatPayInfo?: WeChatPayInfo;
  coinInfo: { quantity: number; origPriceFen: number; actualPriceFen: number; attach: string };
  teamInfo?: TeamInfo;
}

/**
 * Env and OutTradeNo are not in the page's refund and complaint tables, but CloudBase's guide lists
 * them among the fields of every virtual payment push
 * (https://developers.weixin.qq.com/miniprogram/dev/wxcloudservice/wxcloud/guide/wechatpay/virtual-payment-callback.html):
 * kept when present, never required.
 */
interface MaybeOrderFields {
  env?: XpayEnv;
  outTradeNo?: string;
}

export interface RefundPush extends XpayPushCommon, MaybeOrderFields {
  kind: 'refund';
  openid: string;
  /** WeChat's id of the refund. */
  wxRefundId: string;
  /** Our refund_order_id. */
  mchRefundId: string;
  /** WeChat's id of the paid order. */
  wxOrderId: string;
  /** Our id of the paid order (its outTradeNo). */
  mchOrderId: string;
  refundFeeFen: number;
  /** 0 succeeded; anything else failed, with `retMsg` saying why. */
  retCode: number;
  retMsg: string;
  refundStartTimestamp?: number;
  refundSuccTimestamp?: number;
  wxpayRefundTransactionId?: string;
  retryTimes?: number;
  teamInfo?: TeamInfo;
}

export interface ComplaintPush extends XpayPushCommon, MaybeOrderFields {
  kind: 'complaint';
  openid: string;
  wxOrderId: string;
  mchOrderId: string;
  /** Seconds. */
  complaintTime: number;
  retryTimes?: number;
  requestId?: string;
  /** Not in WeChat's table; one SDK reads them, so they are kept when present. */
  transactionId?: string;
  complaintId?: string;
  complaintDetail?: string;
}

/** A push that is not one of the four above (another MsgType/Event routed to the function). */
export interface UnknownPush {
  kind: 'unknown';
  msgType?: string;
  event?: string;
}

/** One of the four events, but not in the documented shape: never acted on. */
export interface MalformedPush {
  kind: 'malformed';
  event: XpayPushEvent;
  problems: string[];
}

export type XpayPush = GoodsDeliverPush | CoinPayPush | RefundPush | ComplaintPush | UnknownPush | MalformedPush;

type Record_ = Record<string, unknown>;

/** Collects the problems of one push while its fields are read. */
class Reader {
  readonly problems: string[] = [];
  constructor(private readonly record: Record_) {}

  text(name: string, from: Record_ = this.record, path = name): string {
    const value = from[name];
    if (typeof value === 'string' && value !== '') return value;
    this.problems.push(`${path} must be a non-empty string`);
    return '';
  }

  /** A string that may be empty (Attach, RetMsg). */
  optionalText(name: string, from: Record_ = this.record, path = name): string {
    const value = from[name];
    if (value === undefined || value === null) return '';
    if (typeof value === 'string') return value;
    this.problems.push(`${path} must be a string`);
    return '';
  }

  /**
   * A whole number. The page types these as Number; one SDK (Senparc's `Env`) reads a string, so a
   * string of digits is accepted too.
   */
  whole(name: string, from: Record_ = this.record, path = name): number {
    const value = asWhole(from[name]);
    if (value !== undefined) return value;
    this.problems.push(`${path} must be a whole number`);
    return 0;
  }

  optionalWhole(name: string, from: Record_ = this.record, path = name): number | undefined {
    if (from[name] === undefined || from[name] === null) return undefined;
    return this.whole(name, from, path);
  }

  object(name: string): Record_ {
    const value = this.record[name];
    if (isRecord(value)) return value;
    this.problems.push(`${name} must be an object`);
    return {};
  }

  optionalObject(name: string): Record_ | undefined {
    const value = this.record[name];
    if (value === undefined || value === null) return undefined;
    if (isRecord(value)) return value;
    this.problems.push(`${name} must be an object`);
    return undefined;
  }

  env(): XpayEnv {
    const value = this.whole('Env');
    if (value === 0 || value === 1) return value;
    this.problems.push('Env must be 0 or 1');
    return 0;
  }

  optionalEnv(): XpayEnv | undefined {
    if (this.record.Env === undefined || this.record.Env === null) return undefined;
    return this.env();
  }

  optionalNonEmptyText(name: string): string | undefined {
    const value = this.record[name];
    if (value === undefined || value === null || value === '') return undefined;
    return this.text(name);
  }

  fen(name: string, from: Record_, path: string): number {
    const value = this.whole(name, from, path);
    if (value < 0) this.problems.push(`${path} must not be negative`);
    return value;
  }
}

function isRecord(value: unknown): value is Record_ {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function asWhole(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^-?\d{1,15}$/.test(value)) return Number(value);
  return undefined;
}

function common(read: Reader): XpayPushCommon {
  return { toUserName: read.text('ToUserName'), fromUserName: read.text('FromUserName'), createTime: read.whole('CreateTime') };
}

function weChatPayInfo(read: Reader): WeChatPayInfo | undefined {
  const info = read.optionalObject('WeChatPayInfo');
  if (!info) return undefined;
  const paidTime = read.optionalWhole('PaidTime', info, 'WeChatPayInfo.PaidTime');
  return {
    mchOrderNo: read.text('MchOrderNo', info, 'WeChatPayInfo.MchOrderNo'),
    transactionId: read.text('TransactionId', info, 'WeChatPayInfo.TransactionId'),
    ...(paidTime === undefined ? {} : { paidTime }),
  };
}

function teamInfo(read: Reader): TeamInfo | undefined {
  const team = read.optionalObject('TeamInfo');
  if (!team) return undefined;
  return {
    activityId: read.optionalText('ActivityId', team, 'TeamInfo.ActivityId'),
    teamId: read.optionalText('TeamId', team, 'TeamInfo.TeamId'),
    teamType: read.optionalWhole('TeamType', team, 'TeamInfo.TeamType') ?? 0,
    teamAction: read.optionalWhole('TeamAction', team, 'TeamInfo.TeamAction') ?? 0,
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function goodsDeliver(read: Reader): GoodsDeliverPush {
  const goods = read.object('GoodsInfo');
  return {
    kind: 'goods_deliver',
    ...common(read),
    openid: read.text('OpenId'),
    outTradeNo: read.text('OutTradeNo'),
    env: read.env(),
    ...optional('weChatPayInfo', weChatPayInfo(read)),
    goodsInfo: {
      productId: read.text('ProductId', goods, 'GoodsInfo.ProductId'),
      quantity: read.whole('Quantity', goods, 'GoodsInfo.Quantity'),
      origPriceFen: read.fen('OrigPrice', goods, 'GoodsInfo.OrigPrice'),
      actualPriceFen: read.fen('ActualPrice', goods, 'GoodsInfo.ActualPrice'),
      attach: read.optionalText('Attach', goods, 'GoodsInfo.Attach'),
    },
    ...optional('teamInfo', teamInfo(read)),
  };
}

function coinPay(read: Reader): CoinPayPush {
  const coin = read.object('CoinInfo');
  return {
    kind: 'coin_pay',
    ...common(read),
    openid: read.text('OpenId'),
    outTradeNo: read.text('OutTradeNo'),
    env: read.env(),
    ...optional('weChatPayInfo', weChatPayInfo(read)),
    coinInfo: {
      quantity: read.whole('Quantity', coin, 'CoinInfo.Quantity'),
      origPriceFen: read.fen('OrigPrice', coin, 'CoinInfo.OrigPrice'),
      actualPriceFen: read.fen('ActualPrice', coin, 'CoinInfo.ActualPrice'),
      attach: read.optionalText('Attach', coin, 'CoinInfo.Attach'),
    },
    ...optional('teamInfo', teamInfo(read)),
  };
}

function maybeOrderFields(read: Reader): MaybeOrderFields {
  return { ...optional('env', read.optionalEnv()), ...optional('outTradeNo', read.optionalNonEmptyText('OutTradeNo')) };
}

function refund(read: Reader, record: Record_): RefundPush {
  const transactionId = record.WxpayRefundTransactionId;
  return {
    kind: 'refund',
    ...common(read),
    ...maybeOrderFields(read),
    openid: read.text('OpenId'),
    wxRefundId: read.text('WxRefundId'),
    mchRefundId: read.text('MchRefundId'),
    wxOrderId: read.text('WxOrderId'),
    mchOrderId: read.text('MchOrderId'),
    refundFeeFen: read.fen('RefundFee', record, 'RefundFee'),
    retCode: read.whole('RetCode'),
    retMsg: read.optionalText('RetMsg'),
    ...optional('refundStartTimestamp', read.optionalWhole('RefundStartTimestamp')),
    ...optional('refundSuccTimestamp', read.optionalWhole('RefundSuccTimestamp')),
    ...optional('wxpayRefundTransactionId', typeof transactionId === 'string' && transactionId !== '' ? transactionId : undefined),
    ...optional('retryTimes', read.optionalWhole('RetryTimes')),
    ...optional('teamInfo', teamInfo(read)),
  };
}

function complaint(read: Reader, record: Record_): ComplaintPush {
  const extra = (name: string): string | undefined => {
    const value = record[name];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  return {
    kind: 'complaint',
    ...common(read),
    ...maybeOrderFields(read),
    openid: read.text('OpenId'),
    wxOrderId: read.text('WxOrderId'),
    mchOrderId: read.text('MchOrderId'),
    complaintTime: read.whole('ComplaintTime'),
    ...optional('retryTimes', read.optionalWhole('RetryTimes')),
    ...optional('requestId', extra('RequestId')),
    ...optional('transactionId', extra('TransactionId')),
    ...optional('complaintId', extra('ComplaintId')),
    ...optional('complaintDetail', extra('ComplaintDetail')),
  };
}

/**
 * Reads a push. One of the four documented events in the documented shape becomes its typed form;
 * the same event with a field missing or mistyped is `malformed` (with what is wrong), anything
 * else `unknown`. Nothing here decides whether the push is true.
 */
export function parseXpayPush(event: unknown): XpayPush {
  if (!isRecord(event)) return { kind: 'unknown' };
  const msgType = typeof event.MsgType === 'string' ? event.MsgType : undefined;
  const name = typeof event.Event === 'string' ? event.Event : undefined;
  const known: readonly string[] = ['xpay_goods_deliver_notify', 'xpay_coin_pay_notify', 'xpay_refund_notify', 'xpay_complaint_notify'];
  if (msgType !== 'event' || name === undefined || !known.includes(name)) {
    return { kind: 'unknown', ...optional('msgType', msgType), ...optional('event', name) };
  }
  const pushEvent = name as XpayPushEvent;
  const read = new Reader(event);
  let parsed: GoodsDeliverPush | CoinPayPush | RefundPush | ComplaintPush;
  switch (pushEvent) {
    case 'xpay_goods_deliver_notify':
      parsed = goodsDeliver(read);
      break;
    case 'xpay_coin_pay_notify':
      parsed = coinPay(read);
      break;
    case 'xpay_refund_notify':
      parsed = refund(read, event);
      break;
    case 'xpay_complaint_notify':
      parsed = complaint(read, event);
      break;
  }
  return read.problems.length > 0 ? { kind: 'malformed', event: pushEvent, problems: read.problems } : parsed;
}
