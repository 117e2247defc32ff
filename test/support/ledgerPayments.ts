import { randomBytes } from 'node:crypto';
import type {
  NoticeReading,
  PaymentProvider,
  PrepayRequest,
  RefundAnswer,
  RefundRequest,
  RefundState,
  RequestPaymentParams,
  TradeStatus,
} from '../../core/payments/provider';

interface LedgerTrade {
  outTradeNo: string;
  amountFen: number;
  state: 'NOTPAY' | 'SUCCESS' | 'CLOSED' | 'REFUND';
  transactionId?: string;
}

interface LedgerRefund {
  outRefundNo: string;
  outTradeNo: string;
  refundFen: number;
  state: 'PROCESSING' | 'SUCCESS';
  /** How many times this refund number was asked for (a retry never moves money twice). */
  requests: number;
}

/**
 * A payment provider for the in-process tests that keeps its own ledger and answers only in the
 * values of our PaymentProvider interface (core/payments/provider.ts): no platform's wire shape is
 * imitated here. The money-path tests that must prove WeChat Pay's own fields and the real SDK run
 * against the runtime process instead (see docs/VERIFICATION.md, "Test tiers").
 */
export class LedgerPayments implements PaymentProvider {
  readonly mode = 'ledger';
  readonly trades = new Map<string, LedgerTrade>();
  readonly refunds = new Map<string, LedgerRefund>();
  /** The provider refuses refund requests while this is set. */
  rejectRefunds = false;
  /** A refund stays PROCESSING until `settleRefunds()` (its notification is up to the test). */
  refundsSettleAtOnce = true;
  /** The provider refuses to close unpaid orders (as cloud pay does in an order's first minutes). */
  refuseClose = false;

  /** The tests deliver their evidence straight to core/payments/evidence.ts; no channel of WeChat's is read here. */
  readNotice(): NoticeReading {
    return { kind: 'not_mine' };
  }

  async createPrepay(request: PrepayRequest): Promise<RequestPaymentParams> {
    if (this.trades.has(request.outTradeNo)) throw new Error(`ledger: ${request.outTradeNo} was already ordered`);
    const prepayId = `wx${randomBytes(14).toString('hex')}`;
    this.trades.set(request.outTradeNo, { outTradeNo: request.outTradeNo, amountFen: request.amountFen, state: 'NOTPAY' });
    return { timeStamp: String(Math.floor(request.expiresAt / 1000)), nonceStr: randomBytes(8).toString('hex'), package: `prepay_id=${prepayId}`, signType: 'RSA', paySign: randomBytes(32).toString('base64') };
  }

  /** The user pays on the sheet: the provider now holds the money (any notification is the test's business). */
  pay(outTradeNo: string): { outTradeNo: string; amountFen: number; transactionId: string } {
    const trade = this.trades.get(outTradeNo);
    if (!trade) throw new Error(`ledger: no trade ${outTradeNo}`);
    if (trade.state !== 'NOTPAY') throw new Error(`ledger: trade ${outTradeNo} is ${trade.state}`);
    trade.state = 'SUCCESS';
    trade.transactionId = `42000${randomBytes(12).toString('hex')}`;
    return { outTradeNo, amountFen: trade.amountFen, transactionId: trade.transactionId };
  }

  async queryOrder(outTradeNo: string): Promise<TradeStatus> {
    const trade = this.trades.get(outTradeNo);
    if (!trade) return { state: 'NOT_FOUND' };
    return { state: trade.state, amountFen: trade.amountFen, ...(trade.transactionId ? { transactionId: trade.transactionId } : {}) };
  }

  async closeOrder(outTradeNo: string): Promise<boolean> {
    const trade = this.trades.get(outTradeNo);
    if (!trade || trade.state !== 'NOTPAY' || this.refuseClose) return trade?.state === 'CLOSED';
    trade.state = 'CLOSED';
    return true;
  }

  async refund(request: RefundRequest): Promise<RefundAnswer> {
    const trade = this.trades.get(request.outTradeNo);
    if (this.rejectRefunds) return { accepted: false, message: 'refunds are refused for now' };
    if (!trade || (trade.state !== 'SUCCESS' && trade.state !== 'REFUND')) return { accepted: false, message: `trade ${request.outTradeNo} is not paid` };
    const known = this.refunds.get(request.outRefundNo);
    if (known) {
      known.requests += 1;
      return { accepted: true, state: known.state };
    }
    if (request.refundFen !== trade.amountFen) return { accepted: false, message: 'refund amount differs from the payment' };
    const refund: LedgerRefund = { outRefundNo: request.outRefundNo, outTradeNo: request.outTradeNo, refundFen: request.refundFen, state: this.refundsSettleAtOnce ? 'SUCCESS' : 'PROCESSING', requests: 1 };
    this.refunds.set(request.outRefundNo, refund);
    trade.state = 'REFUND';
    return { accepted: true, state: refund.state };
  }

  async queryRefund(outRefundNo: string): Promise<RefundState> {
    return this.refunds.get(outRefundNo)?.state ?? 'NOT_FOUND';
  }

  /** The money of every processing refund reaches the user. */
  settleRefunds(): void {
    for (const refund of this.refunds.values()) refund.state = 'SUCCESS';
  }

  refundsFor(outTradeNo: string): LedgerRefund[] {
    return [...this.refunds.values()].filter((r) => r.outTradeNo === outTradeNo);
  }
}
