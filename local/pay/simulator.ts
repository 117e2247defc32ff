import { createHash, randomBytes, randomInt } from 'node:crypto';
import type { Collection, Database } from '../../core/platform/wxCloud';
import type { Faults } from './faults';
import { allOf } from '../store/allOf';

export interface Trade {
  _id: string;
  outTradeNo: string;
  amountFen: number;
  description: string;
  prepayId: string;
  state: 'NOTPAY' | 'SUCCESS' | 'CLOSED' | 'REFUND';
  createdAt: number;
  expiresAt: number;
  transactionId?: string;
  paidAt?: number;
  /** Cloud pay: the function that receives the result. API v3: empty. */
  callbackFunction: string;
  channel: Channel;
  /** API v3: where notifications (payment and refund) are POSTed. */
  notifyUrl?: string;
  /** API v3: the payer, as WeChat knows them (this is WeChat's ledger, not the product's store). */
  payerOpenid?: string;
  /** A notification was acknowledged by the functions. */
  notifiedAt?: number;
  /** The faults dropped every notification: only a query can find this payment. */
  notificationDropped?: boolean;
}

export interface RefundRecord {
  _id: string;
  outRefundNo: string;
  outTradeNo: string;
  refundFen: number;
  state: 'PROCESSING' | 'SUCCESS';
  createdAt: number;
  /** How many times this refund number was asked for (a retry never moves money again). */
  requests: number;
  channel: Channel;
  notifyUrl?: string;
  /** Cloud pay: the function the refund request named (`functionName`), which receives the result; none named, none called. */
  callbackFunction?: string;
  settledAt?: number;
}

export type Channel = 'cloudpay' | 'v3';

export type RefundResult = { ok: true; refund: RefundRecord } | { ok: false; code: string; message: string };
export type CloseResult = 'closed' | 'ORDERPAID' | 'ORDERNOTEXIST' | 'REFUSED';

/** A payment result on its way to the functions: a cloud-pay callback or an API v3 notification. */
export interface PaymentNotification {
  trade: Trade;
  /** The copy is deliberately wrong (wrong amount or bad signature): it must be rejected. */
  tampered: boolean;
}

const pickDelay = ([min, max]: [number, number]) => (max > min ? randomInt(min, max + 1) : min);

const APP_ID = 'wx-local-app';
/** The local service provider's merchant number and API key (signs answers and pay parameters). */
const MCH_ID = '1900000100';
const LOCAL_KEY = 'local-simulator-api-v2-key-000000';

type V2Answer = Record<string, unknown>;

/**
 * Business errors, with the descriptions WeChat Pay's v2 docs give for each code (err_code_des):
 * orderquery/closeorder/refund/refundquery error tables at https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_2 (…9_3, 9_4, 9_5).
 */
const ERROR_DESCRIPTIONS: Record<string, string> = {
  ORDERNOTEXIST: '此交易订单号不存在',
  ORDERPAID: '订单已支付',
  ORDERCLOSED: '订单已关闭',
  REFUNDNOTEXIST: '退款订单查询失败',
  SYSTEMERROR: '系统超时',
  NOTENOUGH: '余额不足',
  TRADE_STATE_ERROR: '订单状态错误',
  INVALID_REQUEST: '参数错误',
  PARAM_ERROR: '参数错误',
};

const TRADE_STATE_DESC: Record<Trade['state'], string> = { NOTPAY: '订单未支付', SUCCESS: '支付成功', CLOSED: '订单已关闭', REFUND: '订单发生过退款' };

function header(subMchId: unknown): V2Answer {
  return { return_code: 'SUCCESS', return_msg: 'OK', appid: APP_ID, mch_id: MCH_ID, sub_mch_id: typeof subMchId === 'string' ? subMchId : '', nonce_str: randomBytes(8).toString('hex') };
}

/** `return_code: FAIL`: the request itself was refused (a parameter or signature problem). */
function communicationFail(message: string): V2Answer {
  return { return_code: 'FAIL', return_msg: message };
}

function businessFail(code: string): V2Answer {
  return { result_code: 'FAIL', err_code: code, err_code_des: ERROR_DESCRIPTIONS[code] ?? code };
}

/** A v2 answer's `sign`: MD5 over the sorted non-empty fields and the API key, upper-case hex. */
function signed(answer: V2Answer): V2Answer {
  const text = Object.keys(answer)
    .filter((key) => key !== 'sign' && answer[key] !== '' && answer[key] !== undefined && typeof answer[key] !== 'object')
    .sort()
    .map((key) => `${key}=${String(answer[key])}`)
    .join('&');
  return { ...answer, sign: createHash('md5').update(`${text}&key=${LOCAL_KEY}`).digest('hex').toUpperCase() };
}

function compactBeijing(at: number): string {
  return new Date(at + 8 * 3600_000).toISOString().replace(/\D/g, '').slice(0, 14);
}

/** `yyyy-MM-dd HH:mm:ss`, Beijing time (refund_success_time, success_time in 9_5 and 9_16). */
function beijingDateTime(at: number): string {
  return new Date(at + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
}

function refundIdOf(outRefundNo: string): string {
  return `50${createHash('sha256').update(outRefundNo).digest('hex').replace(/\D/g, '').padEnd(30, '0').slice(0, 30)}`;
}

function parseCompactBeijing(value: unknown): number | null {
  if (typeof value !== 'string' || !/^\d{14}$/.test(value)) return null;
  const [y, mo, d, h, mi, s] = [value.slice(0, 4), value.slice(4, 6), value.slice(6, 8), value.slice(8, 10), value.slice(10, 12), value.slice(12, 14)].map(Number);
  return Date.UTC(y as number, (mo as number) - 1, d, h, mi, s) - 8 * 3600_000;
}

function transactionId(): string {
  return `4200${String(Date.now()).slice(-10)}${String(randomInt(0, 1e9)).padStart(9, '0')}${String(randomInt(0, 1e5)).padStart(5, '0')}`;
}

/**
 * WeChat Pay, played locally: it issues prepay orders, takes the user's action on the payment
 * sheet, sends payment results (with injectable faults), and keeps a durable ledger of trades and
 * refunds so that tests can check the money invariants against what the functions stored.
 */
export class PaySimulator {
  constructor(
    private readonly ledger: Database,
    private readonly faults: () => Faults,
    private readonly deliver: (notification: PaymentNotification) => Promise<boolean>,
    private readonly deliverRefund: (refund: RefundRecord) => Promise<void>,
  ) {}

  private get trades(): Collection {
    return this.ledger.collection('paysim_trades');
  }
  private get refunds(): Collection {
    return this.ledger.collection('paysim_refunds');
  }

  async trade(outTradeNo: string): Promise<Trade | null> {
    const { data } = await this.trades.where({ outTradeNo }).limit(1).get();
    return (data[0] as unknown as Trade | undefined) ?? null;
  }

  allTrades(): Promise<Trade[]> {
    return allOf<Trade>(() => this.trades.orderBy('createdAt', 'asc'));
  }

  allRefunds(): Promise<RefundRecord[]> {
    return allOf<RefundRecord>(() => this.refunds.orderBy('createdAt', 'asc'));
  }

  /** Creates (or, for the same number and amount, returns) a prepay order. */
  async prepay(input: { outTradeNo: string; amountFen: number; description: string; expiresAt: number; callbackFunction: string; channel: Channel; notifyUrl?: string; payerOpenid?: string }): Promise<Trade | string> {
    const existing = await this.trade(input.outTradeNo);
    if (existing) {
      if (existing.amountFen !== input.amountFen || existing.description !== input.description) return 'INVALID_REQUEST: out_trade_no already used with other parameters';
      if (existing.state !== 'NOTPAY') return 'ORDERPAID';
      return existing;
    }
    const now = Date.now();
    const trade: Trade = {
      _id: input.outTradeNo,
      outTradeNo: input.outTradeNo,
      amountFen: input.amountFen,
      description: input.description,
      prepayId: `wx${randomBytes(14).toString('hex')}`,
      state: 'NOTPAY',
      createdAt: now,
      expiresAt: input.expiresAt,
      callbackFunction: input.callbackFunction,
      channel: input.channel,
      ...(input.notifyUrl ? { notifyUrl: input.notifyUrl } : {}),
      ...(input.payerOpenid ? { payerOpenid: input.payerOpenid } : {}),
    };
    await this.trades.add({ data: trade as unknown as Record<string, unknown> });
    return trade;
  }

  /** The user's action on the payment sheet. */
  async simulate(outTradeNo: string, outcome: 'success' | 'cancel' | 'fail'): Promise<{ ok: boolean; errMsg: string; state?: Trade['state'] }> {
    const trade = await this.trade(outTradeNo);
    if (!trade) return { ok: false, errMsg: 'requestPayment:fail no such order' };
    if (outcome === 'cancel') return { ok: false, errMsg: 'requestPayment:fail cancel', state: trade.state };
    if (outcome === 'fail') return { ok: false, errMsg: 'requestPayment:fail 支付失败', state: trade.state };
    if (trade.state === 'SUCCESS' || trade.state === 'REFUND') return { ok: false, errMsg: 'requestPayment:fail order already paid', state: trade.state };
    if (trade.state === 'CLOSED') return { ok: false, errMsg: 'requestPayment:fail order closed', state: trade.state };
    if (Date.now() > trade.expiresAt) return { ok: false, errMsg: 'requestPayment:fail order expired', state: trade.state };
    const paid = await this.trades
      .where({ outTradeNo, state: 'NOTPAY' })
      .update({ data: { state: 'SUCCESS', transactionId: transactionId(), paidAt: Date.now() } });
    if (paid.stats.updated !== 1) return { ok: false, errMsg: 'requestPayment:fail order already paid' };
    const settled = (await this.trade(outTradeNo)) as Trade;
    await this.scheduleNotifications(settled);
    return { ok: true, errMsg: 'requestPayment:ok', state: 'SUCCESS' };
  }

  /** Sends the payment result as the faults say: dropped, duplicated (some at once), delayed, tampered. */
  private async scheduleNotifications(trade: Trade): Promise<void> {
    const { pay } = this.faults();
    const copies: PaymentNotification[] = [];
    if (Math.random() >= pay.drop) {
      copies.push({ trade, tampered: false });
      if (Math.random() < pay.duplicate) for (let i = randomInt(1, 5); i > 0; i -= 1) copies.push({ trade, tampered: false });
    } else {
      await this.trades.where({ outTradeNo: trade.outTradeNo }).update({ data: { notificationDropped: true } });
    }
    if (Math.random() < pay.tamper) copies.splice(randomInt(0, copies.length + 1), 0, { trade, tampered: true });
    for (const copy of copies) {
      const delay = pickDelay(pay.delayMs);
      setTimeout(() => {
        void this.send(copy);
      }, delay);
    }
  }

  private async send(copy: PaymentNotification): Promise<void> {
    const acknowledged = await this.deliver(copy).catch(() => false);
    if (acknowledged && !copy.tampered) {
      await this.trades.where({ outTradeNo: copy.trade.outTradeNo }).update({ data: { notifiedAt: Date.now() } }).catch(() => undefined);
    }
  }

  /**
   * After a restart: WeChat Pay keeps retrying unacknowledged notifications, and refunds in
   * progress still settle.
   */
  async resume(): Promise<void> {
    const _ = this.ledger.command;
    const { data } = await this.trades.where({ state: _.in(['SUCCESS', 'REFUND']), notifiedAt: _.exists(false), notificationDropped: _.neq(true) }).limit(100).get();
    for (const trade of data as unknown as Trade[]) void this.send({ trade, tampered: false });
    const pending = await this.refunds.where({ state: 'PROCESSING' }).limit(100).get();
    for (const refund of pending.data as unknown as RefundRecord[]) void this.settleRefund(refund.outRefundNo);
  }

  /**
   * Cloud pay's server side (`wx.wxPayApi` of the CloudBase API): the request arrives in WeChat
   * Pay's snake_case (wx-server-sdk's `callCloudPayAPI` converts the function's camelCase), and the
   * answer is WeChat Pay's own API v2 answer, field names and codes as its docs define them, so
   * that the real SDK's `convertCase` and `errCode: 0` overwrite run on it as in production:
   * unifiedorder https://pay.weixin.qq.com/wiki/doc/api/jsapi_sl.php?chapter=9_1 (plus cloud pay's
   * `payment` object: https://developers.weixin.qq.com/miniprogram/dev/wxcloud/reference-sdk-api/open/pay/CloudPay.unifiedOrder.html),
   * orderquery …?chapter=9_2, closeorder …?chapter=9_3, refund …?chapter=9_4, refundquery …?chapter=9_5.
   */
  async wxPayApi(apiName: string, request: Record<string, unknown>): Promise<Record<string, unknown> | null> {
    switch (apiName) {
      case 'unifiedOrder':
        return signed(await this.unifiedOrder(request));
      case 'queryOrder':
        return signed(await this.queryOrderAnswer(request));
      case 'closeOrder':
        return signed(await this.closeOrderAnswer(request));
      case 'refund':
        return signed(await this.refundAnswer(request));
      case 'queryRefund':
        return signed(await this.queryRefundAnswer(request));
      default:
        return null;
    }
  }

  private async unifiedOrder(params: Record<string, unknown>): Promise<V2Answer> {
    const { out_trade_no: outTradeNo, total_fee: totalFee, body, nonce_str: nonceStr, function_name: functionName, sub_mch_id: subMchId } = params;
    const base = { ...header(subMchId), trade_type: 'JSAPI' };
    if (typeof functionName !== 'string' || !functionName) return communicationFail('function_name is required');
    if (typeof nonceStr !== 'string' || nonceStr.length === 0 || nonceStr.length > 32) return communicationFail('nonce_str must be 1–32 characters');
    if (typeof body !== 'string' || body.length === 0 || Buffer.byteLength(body, 'utf8') > 128) return communicationFail('body must be 1–128 bytes');
    if (typeof outTradeNo !== 'string' || !/^[0-9A-Za-z_-]{1,32}$/.test(outTradeNo)) return communicationFail('out_trade_no must be ≤ 32 of [0-9A-Za-z_-]');
    if (typeof totalFee !== 'number' || !Number.isInteger(totalFee) || totalFee < 1) return communicationFail('total_fee must be a whole number of fen');
    if (typeof params.spbill_create_ip !== 'string') return communicationFail('spbill_create_ip is required');
    const expiresAt = parseCompactBeijing(params.time_expire) ?? Date.now() + 2 * 3600_000;
    const trade = await this.prepay({ outTradeNo, amountFen: totalFee, description: body, expiresAt, callbackFunction: functionName, channel: 'cloudpay' });
    if (typeof trade === 'string') {
      const code = trade.split(':')[0] as string;
      return { ...base, ...businessFail(code === 'ORDERPAID' ? 'ORDERPAID' : 'INVALID_REQUEST') };
    }
    const timeStamp = String(Math.floor(Date.now() / 1000));
    const pkg = `prepay_id=${trade.prepayId}`;
    const paySign = createHash('md5').update(`appId=${APP_ID}&nonceStr=${nonceStr}&package=${pkg}&signType=MD5&timeStamp=${timeStamp}&key=${LOCAL_KEY}`).digest('hex').toUpperCase();
    return { ...base, result_code: 'SUCCESS', prepay_id: trade.prepayId, payment: { appId: APP_ID, timeStamp, nonceStr, package: pkg, signType: 'MD5', paySign } };
  }

  private async queryOrderAnswer(params: Record<string, unknown>): Promise<V2Answer> {
    const trade = typeof params.out_trade_no === 'string' ? await this.trade(params.out_trade_no) : null;
    if (!trade) return { ...header(params.sub_mch_id), ...businessFail('ORDERNOTEXIST') };
    return {
      ...header(params.sub_mch_id),
      result_code: 'SUCCESS',
      out_trade_no: trade.outTradeNo,
      trade_state: trade.state,
      trade_state_desc: TRADE_STATE_DESC[trade.state],
      trade_type: 'JSAPI',
      total_fee: trade.amountFen,
      fee_type: 'CNY',
      ...(trade.transactionId ? { transaction_id: trade.transactionId, cash_fee: trade.amountFen, bank_type: 'OTHERS', time_end: compactBeijing(trade.paidAt ?? Date.now()) } : {}),
    };
  }

  private async closeOrderAnswer(params: Record<string, unknown>): Promise<V2Answer> {
    const existing = typeof params.out_trade_no === 'string' ? await this.trade(params.out_trade_no) : null;
    // v2 answers ORDERCLOSED for an order already closed (closeorder error table).
    if (existing?.state === 'CLOSED') return { ...header(params.sub_mch_id), ...businessFail('ORDERCLOSED') };
    const closed = existing ? await this.closeTrade(existing.outTradeNo) : 'ORDERNOTEXIST';
    if (closed === 'closed') return { ...header(params.sub_mch_id), result_code: 'SUCCESS', result_msg: 'OK' };
    return { ...header(params.sub_mch_id), ...businessFail(closed === 'REFUSED' ? 'SYSTEMERROR' : closed) };
  }

  private async refundAnswer(params: Record<string, unknown>): Promise<V2Answer> {
    const result = await this.refundTrade({
      outTradeNo: params.out_trade_no,
      outRefundNo: params.out_refund_no,
      totalFen: params.total_fee,
      refundFen: params.refund_fee,
      channel: 'cloudpay',
      ...(typeof params.function_name === 'string' && params.function_name ? { callbackFunction: params.function_name } : {}),
    });
    if (!result.ok) return { ...header(params.sub_mch_id), ...businessFail(result.code) };
    const trade = await this.trade(result.refund.outTradeNo);
    return {
      ...header(params.sub_mch_id),
      result_code: 'SUCCESS',
      transaction_id: trade?.transactionId ?? '',
      out_trade_no: result.refund.outTradeNo,
      out_refund_no: result.refund.outRefundNo,
      refund_id: refundIdOf(result.refund.outRefundNo),
      refund_fee: result.refund.refundFen,
      total_fee: trade?.amountFen ?? 0,
      cash_fee: trade?.amountFen ?? 0,
      // Cloud pay's refund answer as WeChat's own example shows it (coupons as lists):
      // https://developers.weixin.qq.com/minigame/dev/wxcloudrun/src/development/pay/order/refund.html
      cash_refund_fee: result.refund.refundFen,
      coupon_refund_fee: 0,
      coupon_refund_count: 0,
      coupon_type_list: [],
      coupon_refund_id_list: [],
      coupon_refund_fee_list: [],
    };
  }

  /**
   * refundquery as cloud pay answers it: one JSON list per field, an entry per refund of the trade
   * (WeChat's example, https://developers.weixin.qq.com/minigame/dev/wxcloudrun/src/development/pay/order/queryrefund.html,
   * whose key names the community's captures repeat in camelCase:
   * https://developers.weixin.qq.com/community/develop/doc/000484fe0ec200394c409a2a466800). The key
   * is taken in WeChat's order of precedence, refund_id > out_refund_no > transaction_id >
   * out_trade_no (CloudPay.queryRefund). A trade queried by its own number (or transaction id) that
   * has several refunds also gets the v2 indexed fields, as WeChat says on
   * https://developers.weixin.qq.com/community/pay/doc/000c00444d406072e81fbcc1556800; whether the
   * lists then stay filled is not public, and here they do. Statuses are v2's (SUCCESS, PROCESSING:
   * https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_5). The `refundQueryEmpty` fault
   * answers with the lists left empty, as every capture on the community shows them.
   */
  private async queryRefundAnswer(params: Record<string, unknown>): Promise<V2Answer> {
    const { refunds, byTrade } = await this.refundsQueried(params);
    if (refunds.length === 0) return { ...header(params.sub_mch_id), ...businessFail('REFUNDNOTEXIST') };
    const trade = await this.trade((refunds[0] as RefundRecord).outTradeNo);
    const listed = Math.random() < this.faults().pay.refundQueryEmpty ? [] : refunds;
    const column = (value: (refund: RefundRecord) => string | number) => listed.map(value);
    const status = (refund: RefundRecord) => refund.state;
    const successTime = (refund: RefundRecord) => (refund.state === 'SUCCESS' ? beijingDateTime(refund.settledAt ?? Date.now()) : '');
    const indexed: V2Answer = {};
    if (byTrade && listed.length > 1) {
      listed.forEach((refund, n) => {
        Object.assign(indexed, {
          [`out_refund_no_${n}`]: refund.outRefundNo,
          [`refund_id_${n}`]: refundIdOf(refund.outRefundNo),
          [`refund_channel_${n}`]: 'ORIGINAL',
          [`refund_fee_${n}`]: refund.refundFen,
          [`settlement_refund_fee_${n}`]: refund.refundFen,
          [`refund_status_${n}`]: status(refund),
          [`refund_account_${n}`]: 'REFUND_SOURCE_UNSETTLED_FUNDS',
          [`refund_recv_accout_${n}`]: '支付用户零钱',
          ...(refund.state === 'SUCCESS' ? { [`refund_success_time_${n}`]: successTime(refund) } : {}),
        });
      });
    }
    return {
      ...header(params.sub_mch_id),
      result_code: 'SUCCESS',
      transaction_id: trade?.transactionId ?? '',
      out_trade_no: trade?.outTradeNo ?? (refunds[0] as RefundRecord).outTradeNo,
      total_fee: trade?.amountFen ?? 0,
      cash_fee: trade?.amountFen ?? 0,
      refund_count: refunds.length,
      out_refund_no_list: column((r) => r.outRefundNo),
      refund_id_list: column((r) => refundIdOf(r.outRefundNo)),
      refund_channel: column(() => 'ORIGINAL'),
      refund_fee_list: column((r) => r.refundFen),
      settlement_refund_fee_list: column((r) => r.refundFen),
      coupon_type_array: [],
      coupon_refund_fee_list: [],
      coupon_refund_count_list: [],
      coupon_refund_id_array: [],
      coupon_refund_fee_array: [],
      refund_status_list: column(status),
      refund_account_list: column(() => 'REFUND_SOURCE_UNSETTLED_FUNDS'),
      refund_recv_accout_list: column(() => '支付用户零钱'),
      refund_success_time_list: column(successTime),
      ...indexed,
    };
  }

  /** The refunds a refundquery names, oldest first; `byTrade` when it named the trade rather than one refund. */
  private async refundsQueried(params: Record<string, unknown>): Promise<{ refunds: RefundRecord[]; byTrade: boolean }> {
    const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
    const refundId = text(params.refund_id);
    const outRefundNo = text(params.out_refund_no);
    const transactionId = text(params.transaction_id);
    const outTradeNo = text(params.out_trade_no);
    if (refundId) return { refunds: (await this.allRefunds()).filter((r) => refundIdOf(r.outRefundNo) === refundId), byTrade: false };
    if (outRefundNo) {
      const refund = await this.refundRecord(outRefundNo);
      return { refunds: refund ? [refund] : [], byTrade: false };
    }
    const trade = transactionId ? (await this.allTrades()).find((t) => t.transactionId === transactionId) : outTradeNo ? await this.trade(outTradeNo) : null;
    if (!trade) return { refunds: [], byTrade: true };
    const refunds = await this.refundsFor(trade.outTradeNo);
    return { refunds: refunds.sort((a, b) => a.createdAt - b.createdAt), byTrade: true };
  }

  /**
   * The refund result cloud pay passes to the function the refund named. WeChat documents no such
   * event (CloudPay.refund refers to the payment callback's protocol); the one public report shows
   * plain camelCase fields, `{"appid","mchId","nonceStr","outRefundNo","outTradeNo",…}`
   * (https://developers.weixin.qq.com/community/personal/oCJUsw3wPZ3uGJE3o8Ima7tweSY8/question),
   * i.e. the v2 refund notification's outer fields with its `req_info` decrypted and flattened
   * (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_16). That is what is sent here; the
   * functions believe none of it (core/functions/refundCallback.ts).
   */
  async refundCallbackEvent(refund: RefundRecord, subMchId: string): Promise<Record<string, unknown>> {
    const trade = await this.trade(refund.outTradeNo);
    return {
      returnCode: 'SUCCESS',
      appid: APP_ID,
      mchId: MCH_ID,
      subMchId,
      nonceStr: randomBytes(8).toString('hex'),
      transactionId: trade?.transactionId ?? '',
      outTradeNo: refund.outTradeNo,
      refundId: refundIdOf(refund.outRefundNo),
      outRefundNo: refund.outRefundNo,
      totalFee: trade?.amountFen ?? refund.refundFen,
      refundFee: refund.refundFen,
      settlementRefundFee: refund.refundFen,
      refundStatus: refund.state,
      ...(refund.state === 'SUCCESS' ? { successTime: beijingDateTime(refund.settledAt ?? Date.now()) } : {}),
      refundRecvAccout: '支付用户零钱',
      refundAccount: 'REFUND_SOURCE_UNSETTLED_FUNDS',
      refundRequestSource: 'API',
    };
  }

  /** Closes an unpaid trade (or refuses, as the faults say). */
  async closeTrade(outTradeNo: string): Promise<CloseResult> {
    const trade = await this.trade(outTradeNo);
    if (!trade) return 'ORDERNOTEXIST';
    if (trade.state === 'SUCCESS' || trade.state === 'REFUND') return 'ORDERPAID';
    if (trade.state === 'NOTPAY' && Math.random() < this.faults().pay.closeRefused) return 'REFUSED';
    await this.trades.where({ outTradeNo, state: 'NOTPAY' }).update({ data: { state: 'CLOSED' } });
    return 'closed';
  }

  async refundRecord(outRefundNo: string): Promise<RefundRecord | null> {
    const { data } = await this.refunds.where({ outRefundNo }).limit(1).get();
    return (data[0] as unknown as RefundRecord | undefined) ?? null;
  }

  async refundsFor(outTradeNo: string): Promise<RefundRecord[]> {
    const { data } = await this.refunds.where({ outTradeNo }).limit(100).get();
    return data as unknown as RefundRecord[];
  }

  /**
   * A refund request, for either channel. The same refund number again is a retry and never moves
   * money twice; refunds never exceed what was paid; `refundReject` makes the provider refuse.
   */
  async refundTrade(input: { outTradeNo: unknown; outRefundNo: unknown; totalFen: unknown; refundFen: unknown; channel: Channel; notifyUrl?: string; callbackFunction?: string }): Promise<RefundResult> {
    const { outRefundNo, refundFen } = input;
    if (typeof outRefundNo !== 'string' || !/^[0-9A-Za-z_\-|*@]{1,64}$/.test(outRefundNo)) return { ok: false, code: 'PARAM_ERROR', message: 'out_refund_no must be ≤ 64 of [0-9A-Za-z_-|*@]' };
    const trade = typeof input.outTradeNo === 'string' ? await this.trade(input.outTradeNo) : null;
    if (!trade) return { ok: false, code: 'ORDERNOTEXIST', message: 'order does not exist' };
    if (trade.state !== 'SUCCESS' && trade.state !== 'REFUND') return { ok: false, code: 'TRADE_STATE_ERROR', message: `trade is ${trade.state}` };
    if (input.totalFen !== trade.amountFen) return { ok: false, code: 'INVALID_REQUEST', message: 'total differs from the order' };
    if (typeof refundFen !== 'number' || !Number.isInteger(refundFen) || refundFen < 1) return { ok: false, code: 'INVALID_REQUEST', message: 'refund must be a whole number of fen' };
    const same = await this.refundRecord(outRefundNo);
    if (same) {
      await this.refunds.where({ outRefundNo }).update({ data: { requests: this.ledger.command.inc(1) } });
      return { ok: true, refund: same };
    }
    if (Math.random() < this.faults().pay.refundReject) return { ok: false, code: 'NOTENOUGH', message: 'merchant balance is not enough (injected)' };
    const earlier = await this.refundsFor(trade.outTradeNo);
    const alreadyRefunded = earlier.reduce((sum, r) => sum + r.refundFen, 0);
    if (alreadyRefunded + refundFen > trade.amountFen) return { ok: false, code: 'INVALID_REQUEST', message: 'refund exceeds the amount paid' };
    const refund: RefundRecord = {
      _id: outRefundNo,
      outRefundNo,
      outTradeNo: trade.outTradeNo,
      refundFen,
      state: 'PROCESSING',
      createdAt: Date.now(),
      requests: 1,
      channel: input.channel,
      ...(input.notifyUrl ? { notifyUrl: input.notifyUrl } : {}),
      ...(input.callbackFunction ? { callbackFunction: input.callbackFunction } : {}),
    };
    try {
      await this.refunds.add({ data: refund as unknown as Record<string, unknown> });
    } catch {
      // Two requests with the same number at once: the other one created it.
      return { ok: true, refund: (await this.refundRecord(outRefundNo)) ?? refund };
    }
    await this.trades.where({ outTradeNo: trade.outTradeNo }).update({ data: { state: 'REFUND' } });
    // Refunds settle a moment later (pay.refundSettleMs) and are reported to the refund callback / notify_url.
    setTimeout(() => {
      void this.settleRefund(outRefundNo);
    }, this.faults().pay.refundSettleMs);
    return { ok: true, refund };
  }

  /** The refund is paid out; its notification is sent as the faults say (dropped, duplicated, delayed). */
  private async settleRefund(outRefundNo: string): Promise<void> {
    const result = await this.refunds.where({ outRefundNo, state: 'PROCESSING' }).update({ data: { state: 'SUCCESS', settledAt: Date.now() } });
    if (result.stats.updated !== 1) return;
    const refund = await this.refundRecord(outRefundNo);
    if (!refund) return;
    const { pay } = this.faults();
    if (Math.random() < pay.drop) {
      await this.refunds.where({ outRefundNo }).update({ data: { notificationDropped: true } });
      return;
    }
    const copies = Math.random() < pay.duplicate ? randomInt(2, 6) : 1;
    for (let i = 0; i < copies; i += 1) {
      setTimeout(() => {
        void this.deliverRefund(refund).catch(() => undefined);
      }, pickDelay(pay.delayMs));
    }
  }
}
