import { randomBytes, randomInt } from 'node:crypto';
import type { Collection, Database } from '../../core/platform/wxCloud';
import { KeyedLock } from './lock';
import { allOf } from '../store/allOf';

/**
 * WeChat's side of the money: cash orders (item purchases and token top-ups, paid through
 * `wx.requestVirtualPayment`; refund orders made by refund_order) and the token accounts
 * (currency_pay, cancel_currency_pay, present_currency), per openid AND env (0 live, 1 sandbox:
 * the same user has two separate accounts).
 *
 * Durability: every change is one write of one document, keyed so that a repeat cannot add a second
 * one (a token operation's `_id` is its type, env and order_id; an order's is its order id). A
 * balance is never stored: it is the sum of the user's paid top-ups and token operations, each of
 * which records how much it took from (or gave back to) the paid and the present part. A kill
 * between two writes therefore leaves no half-applied operation.
 */

export type Env = 0 | 1;
export type PayMode = 'short_series_goods' | 'short_series_coin';

/**
 * Order statuses of query_order: 0 初始化（未创建成功，不可用于支付）, 1 创建成功, 2 已支付待发货, 3 发货中,
 * 4 已发货, 5 已经退款, 6 已关闭, 7 退款失败 (8–10: 用户退款完成, 回收广告金完成, 分账回退完成 — not produced here)
 * (https://developers.weixin.qq.com/miniprogram/dev/platform-capabilities/business-capabilities/virtual-payment.html#query-order;
 * 0–7 also in WxJava `WxMaConstants.XPayOrderStatus`, silenceper `OrderStatus`).
 */
export const STATUS = { INIT: 0, CREATED: 1, PAID: 2, DELIVERING: 3, DELIVERED: 4, REFUNDED: 5, CLOSED: 6, REFUND_FAILED: 7 } as const;
export type OrderStatus = (typeof STATUS)[keyof typeof STATUS];

export interface PayOrder {
  _id: string;
  kind: 'pay';
  env: Env;
  openid: string;
  mode: PayMode;
  /** Items only. */
  productId?: string;
  /** buyQuantity: items bought, or tokens topped up. */
  quantity: number;
  /** The published unit price (goodsPrice, or the token price), in fen. */
  unitPriceFen: number;
  /** What the user pays: quantity × (activitySellingPrice ?? unit price). */
  orderFee: number;
  paidFee: number;
  /** What is left to refund. */
  leftFee: number;
  status: OrderStatus;
  platform: string;
  attach: string;
  createTime: number;
  updateTime: number;
  paidTime?: number;
  provideTime?: number;
  wxOrderId: string;
  token: string;
  /** WeChat Pay's merchant order number and transaction id, once paid (WeChatPayInfo.MchOrderNo / TransactionId). */
  channelOrderId?: string;
  wxpayOrderId?: string;
  closedReason?: string;
}

export interface RefundOrder {
  _id: string;
  kind: 'refund';
  env: Env;
  openid: string;
  payOrderId: string;
  payWxOrderId: string;
  refundFee: number;
  /** The left_fee the request claimed, kept to recognise a repeat of the same request. */
  requestedLeftFee: number;
  bizMeta: string;
  refundReason: string;
  reqFrom: string;
  status: OrderStatus;
  createTime: number;
  updateTime: number;
  /** When the refund ended (query_order's paid_time: "支付/退款时间"). */
  paidTime?: number;
  wxOrderId: string;
  wxpayRefundId?: string;
  retCode?: number;
  retMsg?: string;
}

export type CashOrder = PayOrder | RefundOrder;

export interface CoinOp {
  _id: string;
  type: 'pay' | 'cancel' | 'present';
  openid: string;
  env: Env;
  orderId: string;
  amount: number;
  /** pay: from the present part; the rest came from the paid part. */
  usedPresent: number;
  usedPaid: number;
  /** cancel: given back to each part. */
  returnedPresent: number;
  returnedPaid: number;
  /** cancel: the currency_pay order it reverses. */
  payOrderId?: string;
  payitem?: string;
  remark?: string;
  deviceType?: number;
  at: number;
}

export interface Balance {
  balance: number;
  present_balance: number;
  sum_save: number;
  sum_present: number;
  sum_balance: number;
  sum_cost: number;
  first_save_flag: boolean;
}

export type CoinResult<T> = { ok: true; value: T } | { ok: false; code: 'REPEATED' | 'NOT_FOUND' | 'INSUFFICIENT' | 'ALREADY_CANCELLED' | 'CONFLICT' };

/** A 28-digit id like WeChat's numeric order ids. */
function numericId(prefix: string): string {
  return `${prefix}${String(Date.now()).slice(-10)}${String(randomInt(0, 1e9)).padStart(9, '0')}${String(randomInt(0, 1e9)).padStart(9, '0')}`.slice(0, 28);
}

function seconds(at: number | undefined): number {
  return at ? Math.floor(at / 1000) : 0;
}

export class XpayLedger {
  /** Per account (openid and env): a balance check and the write it allows are never interleaved. */
  private readonly accounts = new KeyedLock();
  /** Per pay order: refunds of one order are decided one at a time. */
  private readonly orderLock = new KeyedLock();

  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {}

  private get orders(): Collection {
    return this.db.collection('xpay_orders');
  }
  private get ops(): Collection {
    return this.db.collection('xpay_coin_ops');
  }

  async order(id: string): Promise<CashOrder | null> {
    const { data } = await this.orders.where({ _id: id }).limit(1).get();
    return (data[0] as unknown as CashOrder | undefined) ?? null;
  }

  async orderByWxId(wxOrderId: string): Promise<CashOrder | null> {
    const { data } = await this.orders.where({ wxOrderId }).limit(1).get();
    return (data[0] as unknown as CashOrder | undefined) ?? null;
  }

  async ordersOf(openid: string): Promise<CashOrder[]> {
    return allOf<CashOrder>(() => this.orders.where({ openid }).orderBy('createTime', 'asc'));
  }

  async opsOf(openid: string, env?: Env): Promise<CoinOp[]> {
    return allOf<CoinOp>(() => this.ops.where(env === undefined ? { openid } : { openid, env }).orderBy('at', 'asc'));
  }

  async allOrders(): Promise<CashOrder[]> {
    return allOf<CashOrder>(() => this.orders.where({}).orderBy('createTime', 'asc'));
  }

  /** Token operations made with this order_id (a currency_pay, its cancels, a present). */
  async opsByOrderId(orderId: string): Promise<CoinOp[]> {
    const direct = await allOf<CoinOp>(() => this.ops.where({ orderId }).orderBy('at', 'asc'));
    const cancels = await allOf<CoinOp>(() => this.ops.where({ payOrderId: orderId }).orderBy('at', 'asc'));
    return [...direct, ...cancels.filter((op) => !direct.some((d) => d._id === op._id))];
  }

  async refundsOf(payOrderId: string): Promise<RefundOrder[]> {
    return allOf<RefundOrder>(() => this.orders.where({ kind: 'refund', payOrderId }).orderBy('createTime', 'asc'));
  }

  /** Balances of one account, from its paid top-ups and token operations. */
  async balance(openid: string, env: Env): Promise<Balance> {
    const topups = await allOf<PayOrder>(() => this.orders.where({ kind: 'pay', openid, env, mode: 'short_series_coin', paidTime: this.db.command.exists(true) }));
    const ops = await this.opsOf(openid, env);
    // A refunded top-up keeps its tokens: the refund does not take them back (uni-pay's note:
    // "退款成功后原本用户充值的代币不会自动扣减，需要执行[currency_pay]才能扣减", https://doc.dcloud.net.cn/uniCloud/uni-pay/wxpay-virtual.html).
    const sumSave = topups.reduce((sum, order) => sum + order.quantity, 0);
    let sumPresent = 0;
    let present = 0;
    let paid = sumSave;
    let cost = 0;
    for (const op of ops) {
      if (op.type === 'present') {
        sumPresent += op.amount;
        present += op.amount;
      } else if (op.type === 'pay') {
        present -= op.usedPresent;
        paid -= op.usedPaid;
        cost += op.amount;
      } else {
        present += op.returnedPresent;
        paid += op.returnedPaid;
        cost -= op.amount;
      }
    }
    return {
      balance: present + paid,
      present_balance: present,
      sum_save: sumSave,
      sum_present: sumPresent,
      sum_balance: sumSave + sumPresent,
      sum_cost: cost,
      first_save_flag: sumSave === 0,
    };
  }

  private async op(id: string): Promise<CoinOp | null> {
    const { data } = await this.ops.where({ _id: id }).limit(1).get();
    return (data[0] as unknown as CoinOp | undefined) ?? null;
  }

  private async insertOp(op: CoinOp): Promise<boolean> {
    try {
      await this.ops.add({ data: op as unknown as Record<string, unknown> });
      return true;
    } catch {
      return false;
    }
  }

  /**
   * currency_pay: spends `amount` tokens, the present part first (`used_present_amount` tells how
   * much of it was present; which part WeChat spends first is not documented). A repeated order_id
   * is 268490004 ("之前的操作已经成功"), whatever else the repeat says.
   */
  currencyPay(input: { openid: string; env: Env; orderId: string; amount: number; payitem?: string; remark?: string; deviceType?: number }): Promise<CoinResult<{ balance: number; usedPresent: number }>> {
    return this.accounts.run(`${input.openid}:${input.env}`, async () => {
      const id = `pay:${input.env}:${input.orderId}`;
      const existing = await this.op(id);
      if (existing) return { ok: false, code: existing.openid === input.openid ? 'REPEATED' : 'CONFLICT' };
      const before = await this.balance(input.openid, input.env);
      if (input.amount > before.balance) return { ok: false, code: 'INSUFFICIENT' };
      const usedPresent = Math.min(before.present_balance, input.amount);
      const op: CoinOp = {
        _id: id,
        type: 'pay',
        openid: input.openid,
        env: input.env,
        orderId: input.orderId,
        amount: input.amount,
        usedPresent,
        usedPaid: input.amount - usedPresent,
        returnedPresent: 0,
        returnedPaid: 0,
        at: this.now(),
        ...(input.payitem !== undefined ? { payitem: input.payitem } : {}),
        ...(input.remark !== undefined ? { remark: input.remark } : {}),
        ...(input.deviceType !== undefined ? { deviceType: input.deviceType } : {}),
      };
      if (!(await this.insertOp(op))) return { ok: false, code: 'REPEATED' };
      return { ok: true, value: { balance: before.balance - input.amount, usedPresent } };
    });
  }

  /**
   * cancel_currency_pay: gives back up to what the currency_pay `pay_order_id` took, to the parts it
   * took from (paid first). Unknown pay order: "数据不存在" (268490002); already fully given back:
   * 268490005; more than is left: 268490006; a repeated refund order_id: 268490004.
   */
  cancelCurrencyPay(input: { openid: string; env: Env; payOrderId: string; orderId: string; amount: number; deviceType?: number }): Promise<CoinResult<{ orderId: string }>> {
    return this.accounts.run(`${input.openid}:${input.env}`, async () => {
      const id = `cancel:${input.env}:${input.orderId}`;
      const existing = await this.op(id);
      if (existing) return { ok: false, code: existing.openid === input.openid && existing.payOrderId === input.payOrderId ? 'REPEATED' : 'CONFLICT' };
      const pay = await this.op(`pay:${input.env}:${input.payOrderId}`);
      if (!pay || pay.openid !== input.openid) return { ok: false, code: 'NOT_FOUND' };
      const earlier = (await this.opsOf(input.openid, input.env)).filter((op) => op.type === 'cancel' && op.payOrderId === input.payOrderId);
      const returned = earlier.reduce((sum, op) => sum + op.amount, 0);
      if (returned >= pay.amount) return { ok: false, code: 'ALREADY_CANCELLED' };
      if (input.amount > pay.amount - returned) return { ok: false, code: 'INSUFFICIENT' };
      const paidBack = earlier.reduce((sum, op) => sum + op.returnedPaid, 0);
      const returnedPaid = Math.min(input.amount, pay.usedPaid - paidBack);
      const op: CoinOp = {
        _id: id,
        type: 'cancel',
        openid: input.openid,
        env: input.env,
        orderId: input.orderId,
        amount: input.amount,
        usedPresent: 0,
        usedPaid: 0,
        returnedPaid,
        returnedPresent: input.amount - returnedPaid,
        payOrderId: input.payOrderId,
        at: this.now(),
        ...(input.deviceType !== undefined ? { deviceType: input.deviceType } : {}),
      };
      if (!(await this.insertOp(op))) return { ok: false, code: 'REPEATED' };
      return { ok: true, value: { orderId: input.orderId } };
    });
  }

  /** present_currency: gives tokens; a repeated order_id is 268490004 (VP: retry "到返回0或者返回268490004为止"). */
  presentCurrency(input: { openid: string; env: Env; orderId: string; amount: number; deviceType?: number }): Promise<CoinResult<Balance>> {
    return this.accounts.run(`${input.openid}:${input.env}`, async () => {
      const id = `present:${input.env}:${input.orderId}`;
      const existing = await this.op(id);
      if (existing) return { ok: false, code: existing.openid === input.openid ? 'REPEATED' : 'CONFLICT' };
      const op: CoinOp = {
        _id: id,
        type: 'present',
        openid: input.openid,
        env: input.env,
        orderId: input.orderId,
        amount: input.amount,
        usedPresent: 0,
        usedPaid: 0,
        returnedPresent: 0,
        returnedPaid: 0,
        at: this.now(),
        ...(input.deviceType !== undefined ? { deviceType: input.deviceType } : {}),
      };
      if (!(await this.insertOp(op))) return { ok: false, code: 'REPEATED' };
      return { ok: true, value: await this.balance(input.openid, input.env) };
    });
  }

  /** The order `wx.requestVirtualPayment` creates (status 1); false when the outTradeNo was used before. */
  async createPayOrder(input: Omit<PayOrder, 'kind' | 'status' | 'createTime' | 'updateTime' | 'wxOrderId' | 'token' | 'paidFee' | 'leftFee'>): Promise<PayOrder | null> {
    const now = this.now();
    const order: PayOrder = {
      ...input,
      kind: 'pay',
      status: STATUS.CREATED,
      paidFee: 0,
      leftFee: 0,
      createTime: now,
      updateTime: now,
      wxOrderId: numericId('42'),
      token: randomBytes(16).toString('hex'),
    };
    try {
      await this.orders.add({ data: order as unknown as Record<string, unknown> });
      return order;
    } catch {
      return null;
    }
  }

  /** The user paid: 1 → 2, with WeChat Pay's numbers. False when the order was not awaiting payment. */
  async markPaid(outTradeNo: string): Promise<PayOrder | null> {
    const order = await this.order(outTradeNo);
    if (!order || order.kind !== 'pay') return null;
    const now = this.now();
    const paid = await this.orders.where({ _id: outTradeNo, status: STATUS.CREATED }).update({
      data: {
        status: STATUS.PAID,
        paidTime: now,
        updateTime: now,
        paidFee: order.orderFee,
        leftFee: order.orderFee,
        channelOrderId: numericId('50'),
        wxpayOrderId: `4200${String(now).slice(-10)}${String(randomInt(0, 1e9)).padStart(9, '0')}${String(randomInt(0, 1e5)).padStart(5, '0')}`,
      },
    });
    if (paid.stats.updated !== 1) return null;
    return (await this.order(outTradeNo)) as PayOrder;
  }

  /** The sheet was cancelled or failed: the order can never be paid (its outTradeNo cannot be used again: -15002). */
  async close(outTradeNo: string, reason: string): Promise<boolean> {
    const result = await this.orders.where({ _id: outTradeNo, status: STATUS.CREATED }).update({ data: { status: STATUS.CLOSED, closedReason: reason, updateTime: this.now() } });
    return result.stats.updated === 1;
  }

  /** Delivered: the push was acknowledged, or notify_provide_goods said so (2 or 3 → 4). */
  async markDelivered(outTradeNo: string): Promise<boolean> {
    const now = this.now();
    const result = await this.orders.where({ _id: outTradeNo, kind: 'pay', status: this.db.command.in([STATUS.PAID, STATUS.DELIVERING]) }).update({ data: { status: STATUS.DELIVERED, provideTime: now, updateTime: now } });
    return result.stats.updated === 1;
  }

  /**
   * refund_order: starts a refund of a paid order. `left_fee` must be what is left (268490016),
   * `refund_fee` in (0, left_fee] (268490002). The refunded amount is reserved at once, so two
   * refunds can never give back more than was paid; a failed refund releases it.
   */
  startRefund(input: { pay: PayOrder; refundOrderId: string; leftFee: number; refundFee: number; bizMeta: string; refundReason: string; reqFrom: string }): Promise<{ ok: true; refund: RefundOrder; repeated: boolean } | { ok: false; code: 'LEFT_FEE' | 'REFUND_FEE' | 'NOT_PAID' | 'IN_PROGRESS' | 'CONFLICT' }> {
    return this.orderLock.run(input.pay._id, async () => {
      const existing = await this.order(input.refundOrderId);
      if (existing) {
        if (existing.kind !== 'refund' || existing.payOrderId !== input.pay._id || existing.refundFee !== input.refundFee) return { ok: false, code: 'CONFLICT' };
        if (existing.status === STATUS.CREATED) return { ok: false, code: 'IN_PROGRESS' };
        return { ok: true, refund: existing, repeated: true };
      }
      const pay = (await this.order(input.pay._id)) as PayOrder;
      if (pay.status !== STATUS.PAID && pay.status !== STATUS.DELIVERING && pay.status !== STATUS.DELIVERED) return { ok: false, code: 'NOT_PAID' };
      if (input.leftFee !== pay.leftFee) return { ok: false, code: 'LEFT_FEE' };
      if (!(input.refundFee > 0 && input.refundFee <= pay.leftFee)) return { ok: false, code: 'REFUND_FEE' };
      const now = this.now();
      const refund: RefundOrder = {
        _id: input.refundOrderId,
        kind: 'refund',
        env: pay.env,
        openid: pay.openid,
        payOrderId: pay._id,
        payWxOrderId: pay.wxOrderId,
        refundFee: input.refundFee,
        requestedLeftFee: input.leftFee,
        bizMeta: input.bizMeta,
        refundReason: input.refundReason,
        reqFrom: input.reqFrom,
        status: STATUS.CREATED,
        createTime: now,
        updateTime: now,
        wxOrderId: numericId('43'),
      };
      // Reserve first: a kill after this leaves money reserved and no refund order, which resume() releases.
      const reserved = await this.orders.where({ _id: pay._id, leftFee: pay.leftFee }).update({ data: { leftFee: pay.leftFee - input.refundFee, updateTime: now, reservedFor: input.refundOrderId } });
      if (reserved.stats.updated !== 1) return { ok: false, code: 'LEFT_FEE' };
      try {
        await this.orders.add({ data: refund as unknown as Record<string, unknown> });
      } catch {
        await this.orders.where({ _id: pay._id }).update({ data: { leftFee: pay.leftFee, reservedFor: this.db.command.remove() } });
        return { ok: false, code: 'CONFLICT' };
      }
      await this.orders.where({ _id: pay._id }).update({ data: { reservedFor: this.db.command.remove() } });
      return { ok: true, refund, repeated: false };
    });
  }

  /** The refund ends: succeeded (refund order 5; the paid order 5 once nothing is left) or failed (refund order 7; the amount is refundable again). */
  async settleRefund(refundOrderId: string, outcome: { ok: true } | { ok: false; retCode: number; retMsg: string }): Promise<RefundOrder | null> {
    const refund = await this.order(refundOrderId);
    if (!refund || refund.kind !== 'refund') return null;
    return this.orderLock.run(refund.payOrderId, async () => {
      const now = this.now();
      const ended = await this.orders.where({ _id: refundOrderId, status: STATUS.CREATED }).update({
        data: outcome.ok
          ? { status: STATUS.REFUNDED, paidTime: now, updateTime: now, retCode: 0, retMsg: '', wxpayRefundId: numericId('50') }
          : { status: STATUS.REFUND_FAILED, updateTime: now, retCode: outcome.retCode, retMsg: outcome.retMsg },
      });
      if (ended.stats.updated !== 1) return null;
      const pay = (await this.order(refund.payOrderId)) as PayOrder;
      if (outcome.ok) {
        if (pay.leftFee === 0) await this.orders.where({ _id: pay._id }).update({ data: { status: STATUS.REFUNDED, updateTime: now } });
      } else {
        await this.orders.where({ _id: pay._id }).update({ data: { leftFee: this.db.command.inc(refund.refundFee), updateTime: now } });
      }
      return (await this.order(refundOrderId)) as RefundOrder;
    });
  }

  /** After a restart: a refund reserved but never written (killed in between) gives its amount back. */
  async releaseOrphanReservations(): Promise<void> {
    const { data } = await this.orders.where({ kind: 'pay', reservedFor: this.db.command.exists(true) }).limit(100).get();
    for (const pay of data as unknown as (PayOrder & { reservedFor: string })[]) {
      if (await this.order(pay.reservedFor)) {
        await this.orders.where({ _id: pay._id }).update({ data: { reservedFor: this.db.command.remove() } });
        continue;
      }
      const refunds = await this.refundsOf(pay._id);
      const held = refunds.filter((r) => r.status !== STATUS.REFUND_FAILED).reduce((sum, r) => sum + r.refundFee, 0);
      await this.orders.where({ _id: pay._id }).update({ data: { leftFee: pay.paidFee - held, reservedFor: this.db.command.remove() } });
    }
  }

  async pendingRefunds(): Promise<RefundOrder[]> {
    return allOf<RefundOrder>(() => this.orders.where({ kind: 'refund', status: STATUS.CREATED }).orderBy('createTime', 'asc'));
  }

  /** query_order's `order` object for a cash order (field names of the VP page's query_order table). */
  static orderView(order: CashOrder): Record<string, unknown> {
    const common = {
      order_id: order._id,
      create_time: seconds(order.createTime),
      update_time: seconds(order.updateTime),
      status: order.status,
      biz_type: 0,
      env_type: order.env === 0 ? 1 : 2,
      wx_order_id: order.wxOrderId,
      sett_time: 0,
      sett_state: 0,
    };
    if (order.kind === 'refund') {
      return {
        ...common,
        order_type: 1,
        order_fee: order.refundFee,
        coupon_fee: 0,
        paid_fee: 0,
        refund_fee: order.refundFee,
        paid_time: seconds(order.paidTime),
        provide_time: 0,
        biz_meta: order.bizMeta,
        token: '',
        left_fee: 0,
        channel_order_id: '',
        wxpay_order_id: order.wxpayRefundId ?? '',
      };
    }
    return {
      ...common,
      order_type: 0,
      order_fee: order.orderFee,
      coupon_fee: 0,
      paid_fee: order.paidFee,
      refund_fee: 0,
      paid_time: seconds(order.paidTime),
      provide_time: seconds(order.provideTime),
      biz_meta: order.attach,
      token: order.token,
      left_fee: order.leftFee,
      channel_order_id: order.channelOrderId ?? '',
      wxpay_order_id: order.wxpayOrderId ?? '',
    };
  }
}
