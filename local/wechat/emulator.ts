import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Database } from '../../core/platform/wxCloud';
import type { Caller } from '../functions/callers';
import { CLIENT, clientFailure, type ClientFailure } from './codes';
import { requestPayment, sheetOf, type PaymentRequest, type PaymentSheet, type Platform, type RequestResult } from './client';
import { coinPayEvent, goodsDeliverEvent, officialSender, refundEvent } from './events';
import { defaultXpayFaults, type XpayFaults } from './faults';
import { IdentityService } from './identity';
import { STATUS, XpayLedger, type CashOrder, type PayOrder } from './ledger';
import { PushDelivery, type PushRecord } from './pushes';
import { XpayServerApi } from './serverApi';
import { DEFAULT_TIMING, type XpayAccount, type XpayCatalogue } from './settings';

/** The wx.requestVirtualPayment parameters the server issued for an order (what the functions store with it). */
export type IssuedPayment = { signData: string; mode: string; paySig: string; signature: string };

export interface XpayEmulatorOptions {
  /** The platform store (WeChat's side: never the functions' own database). */
  db: Database;
  account: XpayAccount;
  /** The published items and token price (the product's own configuration). */
  catalogue: () => XpayCatalogue;
  /** Event → function name (message push routes). */
  pushRoutes: Record<string, string>;
  /** Invokes a cloud function as message push does (the runtime's function host). */
  invokeFunction: (name: string, event: Record<string, unknown>, caller: Caller) => Promise<unknown>;
  faults?: () => XpayFaults;
  /** The parameters the server issued for an outTradeNo never opened with request-payment (wired to the functions' store). */
  issuedPayment?: (outTradeNo: string) => Promise<IssuedPayment | null>;
  /** The runtime's own address, for download_bill's url. */
  publicUrl?: () => string;
  settings?: Partial<XpayRuntimeSettings>;
  now?: () => number;
}

/** What can be changed while running (`POST /api/xpay/settings`). */
export interface XpayRuntimeSettings {
  /** iOS virtual payment opened in the MP console; off: iOS payments fail -15001 INVALID_PLATFORM. */
  iosEnabled: boolean;
  /**
   * `getWXContext().SOURCE` of a message-push invocation. No page documents it; the default,
   * `wx_unknown` ("微信未知来源调用" in the getWXContext reference), is one a function cannot mistake
   * for a trusted platform caller, so nothing may depend on SOURCE to believe a push.
   */
  pushSource: string;
  pushRetryUnitMs: number;
  refundSettleMs: number;
  codeTtlMs: number;
  sessionIdleMs: number;
  tokenTtlMs: number;
}

export type SimulateOutcome = 'success' | 'cancel' | 'fail';

export type SimulateResult = { ok: true; errMsg: string; status: number; sheet: PaymentSheet } | (ClientFailure & { status?: number });

/**
 * WeChat's side of mini program virtual payment, played locally: the server API (`handler`), the
 * client call (`requestPayment`), the user's action on the sheet (`simulate`), message pushes
 * (`deliverPush` and its own), identity (`login`) and a read-only view for tests (`inspect*`).
 */
export class XpayEmulator {
  readonly identity: IdentityService;
  readonly ledger: XpayLedger;
  readonly pushes: PushDelivery;
  readonly settings: XpayRuntimeSettings;
  private readonly api: XpayServerApi;
  private readonly faults: () => XpayFaults;
  private readonly now: () => number;
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly options: XpayEmulatorOptions) {
    this.now = options.now ?? Date.now;
    this.faults = options.faults ?? defaultXpayFaults;
    this.settings = { iosEnabled: true, pushSource: 'wx_unknown', ...DEFAULT_TIMING, ...options.settings };
    const account = () => options.account;
    this.identity = new IdentityService({
      db: options.db,
      account,
      faults: this.faults,
      codeTtlMs: this.settings.codeTtlMs,
      sessionIdleMs: this.settings.sessionIdleMs,
      tokenTtlMs: this.settings.tokenTtlMs,
      now: this.now,
    });
    this.ledger = new XpayLedger(options.db, this.now);
    this.pushes = new PushDelivery({
      db: options.db,
      invoke: (name, event) => options.invokeFunction(name, event, this.pushCaller()),
      routes: () => options.pushRoutes,
      faults: this.faults,
      retryUnitMs: () => this.settings.pushRetryUnitMs,
      onAcknowledged: (record) => this.acknowledged(record),
      now: this.now,
    });
    this.api = new XpayServerApi({
      account,
      catalogue: options.catalogue,
      identity: this.identity,
      ledger: this.ledger,
      faults: this.faults,
      refundStarted: (id) => this.scheduleRefund(id, this.settings.refundSettleMs),
      billUrl: (key) => `${options.publicUrl?.() ?? ''}/api/inspect/xpay/bills/${key}`,
    });
  }

  get account(): XpayAccount {
    return this.options.account;
  }

  /**
   * Who a message push invocation is from: OPENID is the message's FromUserName (the getWXContext of a
   * push is the sender's — the 云函数接收消息推送 example replies to `wxContext.OPENID`:
   * https://developers.weixin.qq.com/miniprogram/dev/wxcloudservice/wxcloud/guide/functions/openapi.md),
   * which for virtual payment is WeChat's official openid, not the buyer (event.OpenId).
   */
  private pushCaller(): Caller {
    return { source: this.settings.pushSource, openid: officialSender(this.options.account), appid: this.options.account.appId };
  }

  /** WeChat's server API paths (`/cgi-bin/stable_token`, `/sns/jscode2session`, `/xpay/*`); false for any other path. */
  handler(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    return this.api.handle(req, res, url);
  }

  /** wx.login: a code for /sns/jscode2session (5 minutes, once), and a new session key for the user. */
  login(openid: string): Promise<{ code: string }> {
    return this.identity.login(openid);
  }

  /** wx.requestVirtualPayment by `openid`, up to the open sheet (the order is created, status 1). */
  requestPayment(openid: string, request: PaymentRequest): Promise<RequestResult> {
    return requestPayment(
      {
        account: () => this.options.account,
        catalogue: this.options.catalogue,
        iosEnabled: () => this.settings.iosEnabled,
        identity: this.identity,
        ledger: this.ledger,
        faults: this.faults,
      },
      openid,
      request,
    );
  }

  /** Whether this outTradeNo is a virtual payment: an order WeChat has, or one the server issued parameters for. */
  async owns(outTradeNo: string): Promise<boolean> {
    if (await this.ledger.order(outTradeNo)) return true;
    return (await this.options.issuedPayment?.(outTradeNo)) != null;
  }

  /**
   * The user's action on the sheet: pay, cancel (-2) or fail (-1). An order never opened is opened
   * first with the parameters the server issued, by the user whose session key made their signature.
   */
  async simulate(outTradeNo: string, outcome: SimulateOutcome, platform?: Platform): Promise<SimulateResult> {
    let order = await this.ledger.order(outTradeNo);
    if (!order) {
      const issued = await this.options.issuedPayment?.(outTradeNo);
      if (!issued) return { ok: false, errCode: CLIENT.PAY_FAILED, errMsg: 'requestVirtualPayment:fail no such order' };
      const payer = await this.identity.signerOf(issued.signData, issued.signature);
      if (!payer) return clientFailure(CLIENT.SIGNATURE_INVALID);
      const opened = await this.requestPayment(payer, { ...issued, ...(platform ? { platform } : {}) });
      if (!opened.ok) return opened;
      if (opened.sheet.outTradeNo !== outTradeNo) return clientFailure(CLIENT.INVALID_PARAM, 'the issued signData is for another outTradeNo');
      order = await this.ledger.order(outTradeNo);
    }
    if (!order || order.kind !== 'pay') return { ok: false, errCode: CLIENT.PAY_FAILED, errMsg: 'requestVirtualPayment:fail no such order' };
    if (order.status !== STATUS.CREATED) {
      const closed = order.status === STATUS.CLOSED;
      return { ok: false, errCode: closed ? CLIENT.DUPLICATE_OUT_TRADE_NO : CLIENT.PAY_FAILED, errMsg: `requestVirtualPayment:fail order ${closed ? 'closed' : 'already paid'}`, status: order.status };
    }
    if (outcome !== 'success') {
      await this.ledger.close(outTradeNo, outcome === 'cancel' ? 'cancelled on the sheet' : 'payment failed');
      return { ...clientFailure(outcome === 'cancel' ? CLIENT.CANCELLED : CLIENT.PAY_FAILED), status: STATUS.CLOSED };
    }
    const paid = await this.ledger.markPaid(outTradeNo);
    if (!paid) return { ok: false, errCode: CLIENT.PAY_FAILED, errMsg: 'requestVirtualPayment:fail order already paid' };
    await this.pushes.push(paid.mode === 'short_series_coin' ? coinPayEvent(this.options.account, paid, this.now()) : goodsDeliverEvent(this.options.account, paid, this.now()));
    return { ok: true, errMsg: 'requestVirtualPayment:ok', status: STATUS.PAID, sheet: sheetOf(paid) };
  }

  /** A push as WeChat sends it, POSTed by another implementation of WeChat's side: the routed function's reply. */
  deliverPush(event: Record<string, unknown>): ReturnType<PushDelivery['external']> {
    return this.pushes.external(event);
  }

  /** A paid order's push was acknowledged: the item or the tokens count as delivered (2 → 4). */
  private async acknowledged(record: PushRecord): Promise<void> {
    const outTradeNo = record.event.OutTradeNo;
    if (typeof outTradeNo === 'string' && (record.eventName === 'xpay_goods_deliver_notify' || record.eventName === 'xpay_coin_pay_notify')) await this.ledger.markDelivered(outTradeNo);
  }

  private scheduleRefund(refundOrderId: string, delayMs: number): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.settleRefund(refundOrderId);
    }, delayMs);
    this.timers.add(timer);
  }

  /** A refund ends as the faults say, then WeChat pushes xpay_refund_notify. */
  private async settleRefund(refundOrderId: string): Promise<void> {
    if (this.closed) return;
    const failed = Math.random() < this.faults().refundFail;
    const refund = await this.ledger.settleRefund(refundOrderId, failed ? { ok: false, retCode: -1, retMsg: '退款失败（模拟）' } : { ok: true });
    if (!refund) return;
    const pay = (await this.ledger.order(refund.payOrderId)) as PayOrder;
    await this.pushes.push(refundEvent(this.options.account, refund, pay, this.now()));
  }

  /** After a restart: refunds still under way end, and pushes still unacknowledged are sent again. */
  async resume(): Promise<void> {
    await this.ledger.releaseOrphanReservations();
    for (const refund of await this.ledger.pendingRefunds()) this.scheduleRefund(refund._id, this.settings.refundSettleMs);
    await this.pushes.resume();
  }

  /** Read-only: a user's login state, balances per env, orders, token operations and pushes. */
  async inspectUser(openid: string): Promise<Record<string, unknown>> {
    const orders = await this.ledger.ordersOf(openid);
    return {
      openid,
      session: await this.identity.sessionSummary(openid),
      balances: { 0: await this.ledger.balance(openid, 0), 1: await this.ledger.balance(openid, 1) },
      orders: orders.map((order) => ({ ...order, view: XpayLedger.orderView(order) })),
      coinOps: await this.ledger.opsOf(openid),
    };
  }

  /** Read-only: a cash order (with query_order's view, its refunds and pushes) or a token operation's order id. */
  async inspectOrder(orderId: string): Promise<Record<string, unknown> | null> {
    const order = await this.ledger.order(orderId);
    const pushes = (await this.pushes.all()).filter((push) => [push.event.OutTradeNo, push.event.MchOrderId, push.event.MchRefundId].includes(orderId));
    if (order) {
      const refunds = order.kind === 'pay' ? await this.ledger.refundsOf(order._id) : [];
      return { order, view: XpayLedger.orderView(order), refunds, pushes };
    }
    const ops = await this.ledger.opsByOrderId(orderId);
    return ops.length > 0 ? { coinOps: ops, pushes } : null;
  }

  /** download_bill's file: the cash orders created in the range, one CSV line each (the real bill's columns are not published). */
  async bill(key: string): Promise<string | null> {
    const match = /^(\d{8})-(\d{8})$/.exec(key);
    if (!match) return null;
    const day = (at: number) => new Date(at + 8 * 3600_000).toISOString().slice(0, 10).replace(/-/g, '');
    const rows = (await this.ledger.allOrders()).filter((o: CashOrder) => day(o.createTime) >= (match[1] as string) && day(o.createTime) <= (match[2] as string));
    const lines = rows.map((o) => {
      const view = XpayLedger.orderView(o);
      return [view.order_id, view.wx_order_id, view.order_type, view.status, view.env_type, view.order_fee, view.paid_fee, view.refund_fee, view.paid_time].join(',');
    });
    return ['order_id,wx_order_id,order_type,status,env_type,order_fee,paid_fee,refund_fee,paid_time', ...lines].join('\n');
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.pushes.close();
  }
}
