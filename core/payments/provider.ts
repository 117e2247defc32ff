/**
 * The one payment interface the functions use, whatever the mode: mini program virtual payment
 * (`virtual`, the default: virtual goods must be sold through it), CloudBase cloud pay (`cloudpay`,
 * and the local `simulator` of it) and WeChat Pay API v3 (`v3`). What a provider's answers and
 * notifications mean for an order is decided in one place, ./evidence.ts; which failures are
 * retried within a call and which are left to reconcile, in ./retryPolicy.ts.
 */

/** What the page spreads into `wx.requestPayment` (cloud pay and API v3). */
export interface RequestPaymentParams {
  timeStamp: string;
  nonceStr: string;
  package: string;
  signType: 'MD5' | 'HMAC-SHA256' | 'RSA';
  paySign: string;
}

/**
 * What the page passes to `wx.requestVirtualPayment` (mini program virtual payment): `signData` is
 * the exact JSON text the signatures were computed over, and must be passed on unchanged
 * (https://developers.weixin.qq.com/miniprogram/dev/api/payment/wx.requestVirtualPayment.html).
 */
export interface VirtualPaymentParams {
  signData: string;
  mode: 'short_series_goods' | 'short_series_coin';
  paySig: string;
  signature: string;
}

/** The parameters of the payment sheet the page opens: which one tells which WeChat API to call. */
export type ClientPayment = RequestPaymentParams | VirtualPaymentParams;

/** Who pays: what some rails need to name the payer (API v3's `payer.openid`, virtual payment's user signature). */
export interface Payer {
  openid: string;
  clientIp: string;
  /** The user's current `session_key` (virtual payment signs the sheet with it); never stored raw, never sent to the page. */
  sessionKey?: string;
}

export interface PrepayRequest {
  outTradeNo: string;
  amountFen: number;
  description: string;
  expiresAt: number;
  payer: Payer;
  attach?: string;
  /** Virtual payment: the published item sold (道具直购), whose published price is `amountFen`. */
  productId?: string;
}

export type TradeState =
  | 'SUCCESS'
  | 'REFUND'
  | 'NOTPAY'
  | 'CLOSED'
  | 'REVOKED'
  | 'USERPAYING'
  | 'PAYERROR'
  | 'NOT_FOUND';

export interface TradeStatus {
  state: TradeState;
  amountFen?: number;
  transactionId?: string;
  /** The payer as the provider knows them, when its answer says (virtual payment). */
  payerOpenid?: string;
}

export interface RefundRequest {
  outTradeNo: string;
  outRefundNo: string;
  totalFen: number;
  refundFen: number;
  reason: string;
}

/**
 * `UNKNOWN`: the provider answered, but no status of this refund could be read from the answer
 * (cloud pay's queryRefund is known to answer with empty lists: core/payments/cloudPayRefundAnswer.ts).
 * It is neither a success nor a refund that does not exist: whoever asked looks again later.
 */
export type RefundState = 'SUCCESS' | 'PROCESSING' | 'CLOSED' | 'ABNORMAL' | 'NOT_FOUND' | 'UNKNOWN';

export interface RefundAnswer {
  /** The provider took the refund (it may still be processing). */
  accepted: boolean;
  state?: RefundState;
  message?: string;
}

/** Where a notification came in: each reaches its own function. */
export type NoticeChannel =
  /** CloudBase cloud pay's payment-result callback (`payCallback`, SOURCE `wx_paycallback`). */
  | 'cloudpay_payment_callback'
  /** Cloud pay's refund-result callback (`refundCallback`). */
  | 'cloudpay_refund_callback'
  /** WeChat Pay API v3's signed HTTP notification (`payNotify`, CloudBase HTTP access). */
  | 'v3_http'
  /** Virtual payment's push (消息推送, `xpayNotify`). */
  | 'xpay_push';

/** The raw notification as the function received it. */
export interface NoticeInput {
  /** The event (cloud pay, message push) or the HTTP integration request (API v3). */
  event: Record<string, unknown>;
  now: number;
}

/**
 * What a notification says, read by the provider that owns its channel. `verified`: the provider
 * checked it cryptographically (API v3's signature), so it may be believed as it is; otherwise it
 * is a hint that ./evidence.ts confirms with the provider's own query before anything moves.
 */
export type NoticeReading =
  | {
      kind: 'payment';
      outTradeNo: string;
      /** What the notice claims was paid, in fen; null when it does not say. */
      amountFen: number | null;
      transactionId?: string;
      /** The payer the notice names (virtual payment's `OpenId`): it must be the order's user. */
      payerOpenid?: string;
      verified: boolean;
      source: string;
    }
  | {
      kind: 'refund';
      outTradeNo: string;
      outRefundNo?: string;
      /** What the notice claims (only a verified notice's word is taken; a hint is checked by query). */
      state?: RefundState;
      refundFen?: number;
      verified: boolean;
      source: string;
    }
  /**
   * A token top-up paid (virtual payment's `xpay_coin_pay_notify`): a hint, confirmed with the
   * provider's query before the top-up counts (core/orders/lifecycle/topUps.ts).
   */
  | { kind: 'top_up'; outTradeNo: string; amountFen: number | null; payerOpenid?: string; verified: boolean; source: string }
  /** A user's complaint about a payment (virtual payment's `xpay_complaint_notify`): recorded, and an operator alerted. */
  | { kind: 'complaint'; outTradeNo?: string; payerOpenid?: string; detail: Record<string, unknown>; source: string }
  /** Read, and nothing to do (a failed payment's result, an event of no concern). */
  | { kind: 'ignored'; reason: string }
  /** Cannot be believed: a bad signature, a malformed body, a replay window missed. */
  | { kind: 'rejected'; status: 400 | 401; reason: string }
  /** This provider does not take notifications on this channel (another PAY_MODE is configured). */
  | { kind: 'not_mine' };

/** API v3's replay protection: a notice's (serial, nonce) is taken once (core/payments/v3/nonces.ts). */
export interface ReplayKey {
  serial: string;
  nonce: string;
  id: string;
}

export interface PaymentProvider {
  /** `virtual`, `cloudpay` or `v3` (and the tests' own ledger). */
  readonly mode: string;
  createPrepay(request: PrepayRequest): Promise<ClientPayment>;
  queryOrder(outTradeNo: string): Promise<TradeStatus>;
  /** Returns false when the provider refused to close (e.g. too soon after creation) or the order was paid. */
  closeOrder(outTradeNo: string): Promise<boolean>;
  refund(request: RefundRequest): Promise<RefundAnswer>;
  queryRefund(outRefundNo: string): Promise<RefundState>;
  /**
   * Tells the provider the goods were delivered, where it wants to be told and the notification's
   * acknowledgement did not (virtual payment's notify_provide_goods, after a payment found by query).
   */
  confirmDelivery?(outTradeNo: string): Promise<void>;
  /** Reads a notification on one of this provider's channels (`not_mine` for the others). */
  readNotice(channel: NoticeChannel, input: NoticeInput): NoticeReading & { replay?: ReplayKey };
}

/**
 * The provider could not be reached or did not answer in a usable way: the outcome of the call is
 * unknown (a payment may or may not exist, a refund may or may not have been taken). Never a
 * business answer: those are returned, not thrown.
 */
export class PaymentUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PaymentUnavailableError';
  }
}
