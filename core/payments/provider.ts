/** The one payment interface the functions use, whatever the mode (cloud pay, API v3, simulator). */

/** What the page spreads into `wx.requestPayment`. */
export interface RequestPaymentParams {
  timeStamp: string;
  nonceStr: string;
  package: string;
  signType: 'MD5' | 'HMAC-SHA256' | 'RSA';
  paySign: string;
}

export interface PrepayRequest {
  outTradeNo: string;
  amountFen: number;
  description: string;
  expiresAt: number;
  payerOpenid: string;
  clientIp: string;
  attach?: string;
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

export interface PaymentProvider {
  readonly mode: string;
  createPrepay(request: PrepayRequest): Promise<RequestPaymentParams>;
  queryOrder(outTradeNo: string): Promise<TradeStatus>;
  /** Returns false when the provider refused to close (e.g. too soon after creation). */
  closeOrder(outTradeNo: string): Promise<boolean>;
  refund(request: RefundRequest): Promise<RefundAnswer>;
  queryRefund(outRefundNo: string): Promise<RefundState>;
}

export class PaymentUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PaymentUnavailableError';
  }
}
