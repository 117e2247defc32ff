import { WechatApiClient, WechatRequestError, WechatTransportError } from '../../platform/wechatApi';
import { appKeyFor, type XpaySettings, type XpayEnv } from './settings';
import { serverPaySig, userSignature } from './signatures';
import { signVirtualPayment, type SignedVirtualPayment, type VirtualPaymentParams } from './signData';

/**
 * The /xpay/ server APIs of mini program virtual payment, one typed method each. Requests and
 * answers are camelCase here and snake_case on the wire, named as in "2.3 服务器API" of
 * https://developers.weixin.qq.com/miniprogram/dev/platform-capabilities/business-capabilities/virtual-payment.html
 * (anchors below are that page's). Every body is serialised once; pay_sig (and, where the page asks
 * for the user's signature, `signature`) are computed over that string, which is then sent as is.
 * Which APIs take the user's signature: query_user_balance, currency_pay and cancel_currency_pay
 * (their 备注 "需要用户态签名与支付签名"; Wechat-Group/WxJava WxMaXPayServiceImpl signs exactly these
 * three with `signUriWithBoth`, the rest with `signUriWithPay`).
 */

export { XpayConfigError, readXpaySettings, appKeyFor, type XpayEnv, type XpaySettings, type XpayAppKeys } from './settings';
export { serverPaySig, userSignature, virtualPaySig, REQUEST_VIRTUAL_PAYMENT_URI, SigningKeyError } from './signatures';
export { signVirtualPayment, OUT_TRADE_NO_PATTERN, PRODUCT_ID_PATTERN, type SignedVirtualPayment, type VirtualPaymentParams, type VirtualPaymentMode, type VirtualPaymentCredentials } from './signData';
export * from './errors';
export * from './push';

/** 1 Android, 2 iOS (Wechat-Group/WxJava WxMaConstants.XPayDeviceType). */
export type XpayDeviceType = 1 | 2;

export interface UserBalance {
  /** All tokens, paid and presented. */
  balance: number;
  presentBalance: number;
  sumSave: number;
  sumPresent: number;
  sumBalance: number;
  sumCost: number;
  firstSaveFlag: boolean;
}

export interface CurrencyPayRequest {
  openid: string;
  userIp: string;
  /** Tokens to spend. */
  amount: number;
  /** Our id of the spend, unique: a repeat of it answers 268490004 (done before). */
  orderId: string;
  /** Recorded in the account's flow, e.g. `[{"productid":"quick","unit_price":1,"quantity":1}]`. */
  payitem: string;
  remark: string;
  /**
   * Not in the page's field table; Wechat-Group/WxJava (WxMaXPayCurrencyPayRequest) and
   * silenceper/wechat send it. Sent only when given.
   */
  deviceType?: XpayDeviceType;
  sessionKey: string;
}

export interface CurrencyPayAnswer {
  orderId: string;
  /** Tokens left, paid and presented. */
  balance: number;
  /** How many of the spent tokens were presented ones. */
  usedPresentAmount: number;
}

export interface CancelCurrencyPayRequest {
  openid: string;
  userIp: string;
  /** The order_id given to currency_pay ("代币支付(调用currency_pay接口时)时传的order_id"). */
  payOrderId: string;
  /** This return's own new id ("本次退款单的单号"). */
  orderId: string;
  amount: number;
  deviceType?: XpayDeviceType;
  sessionKey: string;
}

export interface PresentCurrencyRequest {
  openid: string;
  /** Our id of the present; "可以一直重试到返回0或者返回268490004（重复操作）为止". */
  orderId: string;
  amount: number;
  deviceType?: XpayDeviceType;
}

export interface PresentCurrencyAnswer {
  orderId: string;
  balance: number;
  presentBalance: number;
}

export type OrderRef = { orderId: string } | { wxOrderId: string };

/**
 * query_order's `order.status`: 0 init (not payable), 1 created, 2 paid (to deliver), 3 delivering,
 * 4 delivered, 5 refunded, 6 closed, 7 refund failed, 8 用户退款完成, 9 回收广告金完成, 10 分账回退完成.
 */
export const XPAY_ORDER_STATUS = {
  init: 0,
  created: 1,
  paid: 2,
  delivering: 3,
  delivered: 4,
  refunded: 5,
  closed: 6,
  refundFailed: 7,
  userRefundDone: 8,
  adFundsRecovered: 9,
  profitShareReturned: 10,
} as const;

/** The order as query_order describes it (#query-order). */
export interface XpayOrder {
  orderId: string;
  createTime: number;
  updateTime: number;
  status: number;
  bizType: number;
  orderFeeFen: number;
  couponFeeFen?: number;
  paidFeeFen: number;
  /** 0 a payment, 1 a refund. */
  orderType: number;
  refundFeeFen: number;
  paidTime: number;
  provideTime: number;
  bizMeta: string;
  /** 1 live, 2 sandbox (note: not the 0/1 of `env`). */
  envType: number;
  token?: string;
  /** What is left to refund of a payment order. */
  leftFeeFen?: number;
  wxOrderId?: string;
  channelOrderId?: string;
  wxpayOrderId?: string;
  settTime?: number;
  settState?: number;
  platformFeeFen?: number;
  cpsFeeFen?: number;
}

/** refund_order's `refund_reason`: 0 暂无描述 … 5 其他原因. */
export type RefundReason = '0' | '1' | '2' | '3' | '4' | '5';
/** refund_order's `req_from`: 1 人工客服, 2 用户自己发起, 3 其它. */
export type RefundRequester = '1' | '2' | '3';

export type RefundOrderRequest = OrderRef & {
  openid: string;
  /** Our id of the refund: 8-32 of letters, digits, '_' and '-'. */
  refundOrderId: string;
  /** What is left to refund, as query_order says (268490016 when it is not). */
  leftFeeFen: number;
  refundFeeFen: number;
  bizMeta?: string;
  refundReason: RefundReason;
  reqFrom: RefundRequester;
};

export interface RefundOrderAnswer {
  refundOrderId: string;
  refundWxOrderId: string;
  payOrderId: string;
  payWxOrderId: string;
}

/** Where a refund made by refund_order stands, read from query_order on its refund_order_id. */
export type RefundProgress = 'succeeded' | 'failed' | 'pending';

/**
 * The page says only to poll query_order "等状态变成退款完成后即为最终成功". Which status that is
 * for a refund order is not written down: 5 (订单已经退款) and 8 (用户退款完成) are both read as
 * done, 7 (订单退款失败) as failed, anything else as still going.
 */
export function refundProgressOf(order: XpayOrder): RefundProgress {
  if (order.status === XPAY_ORDER_STATUS.refunded || order.status === XPAY_ORDER_STATUS.userRefundDone) return 'succeeded';
  if (order.status === XPAY_ORDER_STATUS.refundFailed) return 'failed';
  return 'pending';
}

const REFUND_ORDER_ID = /^[0-9A-Za-z_-]{8,32}$/;
/** Our spend/present/return ids: the outTradeNo alphabet, 1-64 long (the page gives no rule for these). */
const ORDER_ID = /^[0-9A-Za-z_\-|*@]{1,64}$/;
const YYYYMMDD = /^\d{4}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$/;

type Json = Record<string, unknown>;

export interface XpayClientDeps {
  api?: WechatApiClient;
  fetch?: typeof fetch;
  now?: () => number;
  timeoutMs?: number;
}

export class XpayClient {
  readonly env: XpayEnv;
  readonly api: WechatApiClient;
  private readonly appKey: string;

  constructor(
    private readonly settings: XpaySettings,
    deps: XpayClientDeps = {},
  ) {
    this.env = settings.env;
    this.appKey = appKeyFor(settings.appKeys, settings.env);
    this.api =
      deps.api ??
      new WechatApiClient(
        { baseUrl: settings.apiBaseUrl, appId: settings.appId, appSecret: settings.appSecret, ...(deps.timeoutMs === undefined ? {} : { timeoutMs: deps.timeoutMs }) },
        { ...(deps.fetch ? { fetch: deps.fetch } : {}), ...(deps.now ? { now: deps.now } : {}) },
      );
  }

  /** The `wx.requestVirtualPayment` parameters for a purchase or a top-up, signed with the env's AppKey and the user's session_key. */
  signVirtualPayment(params: VirtualPaymentParams, sessionKey: string): SignedVirtualPayment {
    return signVirtualPayment({ offerId: this.settings.offerId, env: this.env, appKeys: this.settings.appKeys }, params, sessionKey);
  }

  /** query_user_balance (#query-user-balance): the user's token balance, as WeChat keeps it. */
  async queryUserBalance(request: { openid: string; userIp: string; sessionKey: string }): Promise<UserBalance> {
    const api = 'query_user_balance';
    const body = { openid: openidOf(api, request.openid), env: this.env, user_ip: ipOf(api, request.userIp) };
    const answer = await this.call(api, body, request.sessionKey);
    const read = new AnswerReader(api, answer);
    return {
      balance: read.whole('balance'),
      presentBalance: read.whole('present_balance'),
      sumSave: read.whole('sum_save'),
      sumPresent: read.whole('sum_present'),
      sumBalance: read.whole('sum_balance'),
      sumCost: read.whole('sum_cost'),
      firstSaveFlag: read.flag('first_save_flag'),
    };
  }

  /**
   * currency_pay (#currency-pay): spends tokens. Idempotent by `orderId`: after a lost answer, the
   * same call again answers 268490004 if the first one went through.
   */
  async currencyPay(request: CurrencyPayRequest): Promise<CurrencyPayAnswer> {
    const api = 'currency_pay';
    const body = {
      openid: openidOf(api, request.openid),
      env: this.env,
      user_ip: ipOf(api, request.userIp),
      amount: amountOf(api, 'amount', request.amount),
      order_id: orderIdOf(api, 'order_id', request.orderId),
      payitem: textOf(api, 'payitem', request.payitem),
      remark: textOf(api, 'remark', request.remark),
      ...deviceTypeOf(api, request.deviceType),
    };
    const answer = await this.call(api, body, request.sessionKey);
    const read = new AnswerReader(api, answer);
    return { orderId: read.optionalText('order_id') ?? request.orderId, balance: read.whole('balance'), usedPresentAmount: read.whole('used_present_amount') };
  }

  /** cancel_currency_pay (#cancel-currency-pay): gives back tokens a currency_pay spent. */
  async cancelCurrencyPay(request: CancelCurrencyPayRequest): Promise<{ orderId: string }> {
    const api = 'cancel_currency_pay';
    const body = {
      openid: openidOf(api, request.openid),
      env: this.env,
      user_ip: ipOf(api, request.userIp),
      pay_order_id: orderIdOf(api, 'pay_order_id', request.payOrderId),
      order_id: orderIdOf(api, 'order_id', request.orderId),
      amount: amountOf(api, 'amount', request.amount),
      ...deviceTypeOf(api, request.deviceType),
    };
    if (body.pay_order_id === body.order_id) throw new WechatRequestError(api, 'the return needs its own order_id, not the spend\'s');
    const answer = await this.call(api, body, request.sessionKey);
    return { orderId: new AnswerReader(api, answer).optionalText('order_id') ?? request.orderId };
  }

  /** present_currency (#present-currency): gives tokens (pay_sig only: no session_key needed). */
  async presentCurrency(request: PresentCurrencyRequest): Promise<PresentCurrencyAnswer> {
    const api = 'present_currency';
    const body = {
      openid: openidOf(api, request.openid),
      env: this.env,
      order_id: orderIdOf(api, 'order_id', request.orderId),
      amount: amountOf(api, 'amount', request.amount),
      ...deviceTypeOf(api, request.deviceType),
    };
    const answer = await this.call(api, body);
    const read = new AnswerReader(api, answer);
    return { orderId: read.optionalText('order_id') ?? request.orderId, balance: read.whole('balance'), presentBalance: read.whole('present_balance') };
  }

  /**
   * query_order (#query-order): a cash order (a purchase or a top-up) or a refund made by
   * refund_order. Token spends and presents cannot be queried ("现金单，非代币单").
   */
  async queryOrder(request: OrderRef & { openid: string }): Promise<XpayOrder> {
    const api = 'query_order';
    const body = { openid: openidOf(api, request.openid), env: this.env, ...orderRefOf(api, request) };
    const answer = await this.call(api, body);
    const order = answer.order;
    if (order === null || typeof order !== 'object' || Array.isArray(order)) throw new WechatTransportError(api, new Error('the answer has no order object'));
    return orderOf(new AnswerReader(`${api}.order`, order as Json));
  }

  /**
   * refund_order (#refund-order): starts a refund of a purchase ("此接口只是启动退款任务成功"); its end
   * is read with queryOrder on `refundOrderId` (see `refundProgressOf`) or from xpay_refund_notify.
   */
  async refundOrder(request: RefundOrderRequest): Promise<RefundOrderAnswer> {
    const api = 'refund_order';
    if (!REFUND_ORDER_ID.test(request.refundOrderId)) throw new WechatRequestError(api, `refund_order_id must be 8-32 of letters, digits, '_' and '-', not ${JSON.stringify(request.refundOrderId)}`);
    const leftFee = amountOf(api, 'left_fee', request.leftFeeFen);
    const refundFee = amountOf(api, 'refund_fee', request.refundFeeFen);
    if (refundFee > leftFee) throw new WechatRequestError(api, `refund_fee ${refundFee} is more than left_fee ${leftFee}`);
    const bizMeta = request.bizMeta ?? '';
    if (typeof bizMeta !== 'string' || bizMeta.length > 1024) throw new WechatRequestError(api, 'biz_meta must be a string of at most 1024 characters');
    if (!['0', '1', '2', '3', '4', '5'].includes(request.refundReason)) throw new WechatRequestError(api, `refund_reason must be "0" to "5", not ${JSON.stringify(request.refundReason)}`);
    if (!['1', '2', '3'].includes(request.reqFrom)) throw new WechatRequestError(api, `req_from must be "1", "2" or "3", not ${JSON.stringify(request.reqFrom)}`);
    const body = {
      openid: openidOf(api, request.openid),
      ...orderRefOf(api, request),
      refund_order_id: request.refundOrderId,
      left_fee: leftFee,
      refund_fee: refundFee,
      biz_meta: bizMeta,
      refund_reason: request.refundReason,
      req_from: request.reqFrom,
      env: this.env,
    };
    const answer = await this.call(api, body);
    const read = new AnswerReader(api, answer);
    return {
      refundOrderId: read.optionalText('refund_order_id') ?? request.refundOrderId,
      refundWxOrderId: read.optionalText('refund_wx_order_id') ?? '',
      payOrderId: read.optionalText('pay_order_id') ?? ('orderId' in request ? request.orderId : ''),
      payWxOrderId: read.optionalText('pay_wx_order_id') ?? ('wxOrderId' in request ? request.wxOrderId : ''),
    };
  }

  /** notify_provide_goods (#notify-provide-goods): marks a cash order delivered when its push could not be answered. */
  async notifyProvideGoods(request: OrderRef): Promise<void> {
    const api = 'notify_provide_goods';
    await this.call(api, { ...orderRefOf(api, request), env: this.env });
  }

  /** download_bill (#download-bill): the bill's URL (valid half an hour); 268490011 while it is being made. */
  async downloadBill(request: { beginDs: number; endDs: number }): Promise<{ url: string }> {
    const api = 'download_bill';
    for (const [name, value] of [['begin_ds', request.beginDs], ['end_ds', request.endDs]] as const) {
      if (!Number.isInteger(value) || !YYYYMMDD.test(String(value))) throw new WechatRequestError(api, `${name} must be a date written yyyymmdd, not ${String(value)}`);
    }
    if (request.beginDs > request.endDs) throw new WechatRequestError(api, 'begin_ds is after end_ds');
    const answer = await this.call(api, { begin_ds: request.beginDs, end_ds: request.endDs });
    return { url: new AnswerReader(api, answer).text('url') };
  }

  /** Serialises once, signs that string, sends that string. */
  private call(api: string, body: Json, sessionKey?: string): Promise<Json> {
    const text = JSON.stringify(body);
    const uri = `/xpay/${api}`;
    const query: Record<string, string> = { pay_sig: serverPaySig(this.appKey, uri, text) };
    if (sessionKey !== undefined) query.signature = userSignature(sessionKey, text);
    return this.api.postWithToken(api, uri, query, text);
  }
}

function openidOf(api: string, openid: string): string {
  if (typeof openid !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(openid)) throw new WechatRequestError(api, 'openid must be a non-empty printable string');
  return openid;
}

function ipOf(api: string, ip: string): string {
  if (typeof ip !== 'string' || !/^[0-9A-Fa-f.:]{2,45}$/.test(ip)) throw new WechatRequestError(api, `user_ip must be an IP address, not ${JSON.stringify(ip)}`);
  return ip;
}

function amountOf(api: string, name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw new WechatRequestError(api, `${name} must be a whole number above 0, not ${String(value)}`);
  return value;
}

function orderIdOf(api: string, name: string, value: string): string {
  if (typeof value !== 'string' || !ORDER_ID.test(value)) throw new WechatRequestError(api, `${name} must be 1-64 of [0-9A-Za-z_-|*@], not ${JSON.stringify(value)}`);
  return value;
}

function textOf(api: string, name: string, value: string): string {
  if (typeof value !== 'string' || value.length > 1024) throw new WechatRequestError(api, `${name} must be a string of at most 1024 characters`);
  return value;
}

function deviceTypeOf(api: string, deviceType: XpayDeviceType | undefined): { device_type?: XpayDeviceType } {
  if (deviceType === undefined) return {};
  if (deviceType !== 1 && deviceType !== 2) throw new WechatRequestError(api, `device_type must be 1 (Android) or 2 (iOS), not ${String(deviceType)}`);
  return { device_type: deviceType };
}

/** `order_id` or `wx_order_id` ("二选一"): exactly one. */
function orderRefOf(api: string, ref: OrderRef): { order_id: string } | { wx_order_id: string } {
  const hasOrderId = 'orderId' in ref && ref.orderId !== undefined;
  const hasWxOrderId = 'wxOrderId' in ref && ref.wxOrderId !== undefined;
  if (hasOrderId === hasWxOrderId) throw new WechatRequestError(api, 'give exactly one of orderId and wxOrderId');
  if (hasOrderId) return { order_id: orderIdOf(api, 'order_id', (ref as { orderId: string }).orderId) };
  const { wxOrderId } = ref as { wxOrderId: string };
  if (typeof wxOrderId !== 'string' || !/^[\x21-\x7e]{1,64}$/.test(wxOrderId)) throw new WechatRequestError(api, 'wx_order_id must be a non-empty printable string');
  return { wx_order_id: wxOrderId };
}

/**
 * Reads an answer whose errcode was 0. A field missing or mistyped makes the answer unusable, and
 * the outcome of the call unknown (WechatTransportError): for a spend or a return, asking again
 * with the same id settles it.
 */
class AnswerReader {
  constructor(
    private readonly api: string,
    private readonly answer: Json,
  ) {}

  private fail(message: string): never {
    throw new WechatTransportError(this.api, new Error(message));
  }

  whole(name: string): number {
    const value = this.answer[name];
    if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
    return this.fail(`${name} is not a whole number`);
  }

  optionalWhole(name: string): number | undefined {
    const value = this.answer[name];
    if (value === undefined || value === null) return undefined;
    return this.whole(name);
  }

  text(name: string): string {
    const value = this.answer[name];
    if (typeof value === 'string') return value;
    return this.fail(`${name} is not a string`);
  }

  optionalText(name: string): string | undefined {
    const value = this.answer[name];
    if (value === undefined || value === null) return undefined;
    return this.text(name);
  }

  /** A bool on the page ("first_save_flag bool"), 0/1 in its description and in silenceper/wechat: both read. */
  flag(name: string): boolean {
    const value = this.answer[name];
    if (typeof value === 'boolean') return value;
    if (value === 0 || value === 1) return value === 1;
    if (value === undefined) return false;
    return this.fail(`${name} is not a flag`);
  }

  /** The first of several spellings that is present. */
  firstOf<T>(names: readonly string[], read: (name: string) => T | undefined): T | undefined {
    for (const name of names) {
      if (this.answer[name] !== undefined && this.answer[name] !== null) return read(name);
    }
    return undefined;
  }
}

function orderOf(read: AnswerReader): XpayOrder {
  const optionalWhole = (key: keyof XpayOrder, name: string): Partial<XpayOrder> => {
    const value = read.optionalWhole(name);
    return value === undefined ? {} : { [key]: value };
  };
  const optionalText = (key: keyof XpayOrder, value: string | undefined): Partial<XpayOrder> => (value === undefined || value === '' ? {} : { [key]: value });
  // The page spells these left_fee and wx_order_id (so does silenceper/wechat); Wechat-Group/WxJava's
  // WxMaXPayQueryOrderResponse reads "leftFee" and "wxOrderId". Both spellings are read.
  const leftFee = read.firstOf(['left_fee', 'leftFee'], (name) => read.whole(name));
  const wxOrderId = read.firstOf(['wx_order_id', 'wxOrderId'], (name) => read.text(name));
  return {
    orderId: read.text('order_id'),
    createTime: read.optionalWhole('create_time') ?? 0,
    updateTime: read.optionalWhole('update_time') ?? 0,
    status: read.whole('status'),
    bizType: read.optionalWhole('biz_type') ?? 0,
    orderFeeFen: read.whole('order_fee'),
    ...optionalWhole('couponFeeFen', 'coupon_fee'),
    paidFeeFen: read.optionalWhole('paid_fee') ?? 0,
    orderType: read.optionalWhole('order_type') ?? 0,
    refundFeeFen: read.optionalWhole('refund_fee') ?? 0,
    paidTime: read.optionalWhole('paid_time') ?? 0,
    provideTime: read.optionalWhole('provide_time') ?? 0,
    bizMeta: read.optionalText('biz_meta') ?? '',
    envType: read.optionalWhole('env_type') ?? 0,
    ...optionalText('token', read.optionalText('token')),
    ...(leftFee === undefined ? {} : { leftFeeFen: leftFee }),
    ...optionalText('wxOrderId', wxOrderId),
    ...optionalText('channelOrderId', read.optionalText('channel_order_id')),
    ...optionalText('wxpayOrderId', read.optionalText('wxpay_order_id')),
    ...optionalWhole('settTime', 'sett_time'),
    ...optionalWhole('settState', 'sett_state'),
    ...optionalWhole('platformFeeFen', 'platform_fee_fen'),
    ...optionalWhole('cpsFeeFen', 'cps_fee_fen'),
  };
}
