import { createHash, randomBytes, randomInt } from 'node:crypto';
import type { CloudPayApi, Collection, Database } from '../../core/platform/wxCloud';
import type { Faults } from './faults';

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
const OK = { returnCode: 'SUCCESS', returnMsg: 'OK', resultCode: 'SUCCESS' } as const;
const fail = (errCode: string, errCodeDes: string) => ({ returnCode: 'SUCCESS', returnMsg: 'OK', resultCode: 'FAIL', errCode, errCodeDes });

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

  async allTrades(): Promise<Trade[]> {
    const out: Trade[] = [];
    for (let skip = 0; ; skip += 100) {
      const { data } = await this.trades.orderBy('createdAt', 'asc').skip(skip).limit(100).get();
      out.push(...(data as unknown as Trade[]));
      if (data.length < 100) return out;
    }
  }

  async allRefunds(): Promise<RefundRecord[]> {
    const out: RefundRecord[] = [];
    for (let skip = 0; ; skip += 100) {
      const { data } = await this.refunds.orderBy('createdAt', 'asc').skip(skip).limit(100).get();
      out.push(...(data as unknown as RefundRecord[]));
      if (data.length < 100) return out;
    }
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

  readonly cloudPay: CloudPayApi = {
    unifiedOrder: async (params) => {
      const outTradeNo = params.outTradeNo;
      const totalFee = params.totalFee;
      const body = params.body;
      const nonceStr = params.nonceStr;
      if (typeof params.functionName !== 'string' || !params.functionName) return { returnCode: 'FAIL', returnMsg: 'functionName is required' };
      if (typeof nonceStr !== 'string' || nonceStr.length === 0 || nonceStr.length > 32) return { returnCode: 'FAIL', returnMsg: 'nonceStr must be 1–32 characters' };
      if (typeof body !== 'string' || body.length === 0 || Buffer.byteLength(body, 'utf8') > 128) return { returnCode: 'FAIL', returnMsg: 'body must be 1–128 bytes' };
      if (typeof outTradeNo !== 'string' || !/^[0-9A-Za-z_-]{1,32}$/.test(outTradeNo)) return { returnCode: 'FAIL', returnMsg: 'outTradeNo must be ≤ 32 of [0-9A-Za-z_-]' };
      if (typeof totalFee !== 'number' || !Number.isInteger(totalFee) || totalFee < 1) return { returnCode: 'FAIL', returnMsg: 'totalFee must be a whole number of fen' };
      if (typeof params.spbillCreateIp !== 'string') return { returnCode: 'FAIL', returnMsg: 'spbillCreateIp is required' };
      const expiresAt = parseCompactBeijing(params.timeExpire) ?? Date.now() + 2 * 3600_000;
      const trade = await this.prepay({ outTradeNo, amountFen: totalFee, description: body, expiresAt, callbackFunction: params.functionName, channel: 'cloudpay' });
      if (typeof trade === 'string') return fail(trade.split(':')[0] as string, trade);
      const timeStamp = String(Math.floor(Date.now() / 1000));
      const pkg = `prepay_id=${trade.prepayId}`;
      const paySign = createHash('md5').update(`appId=${APP_ID}&nonceStr=${nonceStr}&package=${pkg}&signType=MD5&timeStamp=${timeStamp}&key=local`).digest('hex').toUpperCase();
      return { ...OK, prepayId: trade.prepayId, payment: { appId: APP_ID, timeStamp, nonceStr, package: pkg, signType: 'MD5', paySign } };
    },
    queryOrder: async (params) => {
      const trade = typeof params.out_trade_no === 'string' ? await this.trade(params.out_trade_no) : null;
      if (!trade) return fail('ORDERNOTEXIST', 'order does not exist');
      return { ...OK, outTradeNo: trade.outTradeNo, tradeState: trade.state, totalFee: trade.amountFen, ...(trade.transactionId ? { transactionId: trade.transactionId } : {}) };
    },
    closeOrder: async (params) => {
      const closed = typeof params.out_trade_no === 'string' ? await this.closeTrade(params.out_trade_no) : 'ORDERNOTEXIST';
      if (closed === 'closed') return { ...OK };
      if (closed === 'REFUSED') return fail('SYSTEMERROR', 'an order cannot be closed in its first 5 minutes (injected)');
      return fail(closed, closed === 'ORDERPAID' ? 'order is paid' : 'order does not exist');
    },
    refund: async (params) => {
      const result = await this.refundTrade({
        outTradeNo: params.out_trade_no,
        outRefundNo: params.out_refund_no,
        totalFen: params.total_fee,
        refundFen: params.refund_fee,
        channel: 'cloudpay',
      });
      if (!result.ok) return result.code === 'PARAM_ERROR' ? { returnCode: 'FAIL', returnMsg: result.message } : fail(result.code, result.message);
      return { ...OK, outRefundNo: result.refund.outRefundNo, refundFee: result.refund.refundFen };
    },
    queryRefund: async (params) => {
      const outRefundNo = params.out_refund_no;
      const { data } = await this.refunds.where({ outRefundNo }).limit(1).get();
      const refund = data[0] as unknown as RefundRecord | undefined;
      if (!refund) return fail('REFUNDNOTEXIST', 'refund does not exist');
      return { ...OK, outTradeNo: refund.outTradeNo, outRefundNo0: refund.outRefundNo, refundStatus0: refund.state, refundFee0: refund.refundFen };
    },
  };

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
  async refundTrade(input: { outTradeNo: unknown; outRefundNo: unknown; totalFen: unknown; refundFen: unknown; channel: Channel; notifyUrl?: string }): Promise<RefundResult> {
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
    if (Math.random() < this.faults().pay.refundReject) return { ok: false, code: 'NOT_ENOUGH', message: 'merchant balance is not enough (injected)' };
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
    };
    try {
      await this.refunds.add({ data: refund as unknown as Record<string, unknown> });
    } catch {
      // Two requests with the same number at once: the other one created it.
      return { ok: true, refund: (await this.refundRecord(outRefundNo)) ?? refund };
    }
    await this.trades.where({ outTradeNo: trade.outTradeNo }).update({ data: { state: 'REFUND' } });
    // Refunds settle a moment later and are reported to the refund callback / notify_url.
    setTimeout(() => {
      void this.settleRefund(outRefundNo);
    }, 50);
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
