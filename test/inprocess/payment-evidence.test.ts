import { getOrder } from '../../core/functions/getOrder';
import { reconcile } from '../../core/functions/reconcile';
import type { OrderDocument } from '../../core/orders/order';
import { CloudPayProvider } from '../../core/payments/cloudPay';
import { acceptPaymentEvidence } from '../../core/payments/evidence';
import { PaymentUnavailableError, type RefundRequest } from '../../core/payments/provider';
import { IN_CALL_RETRIES } from '../../core/payments/retryPolicy';
import type { CloudPayApi } from '../../core/platform/wxCloud';
import { InProcess } from '../support/inProcess';
import { LedgerPayments } from '../support/ledgerPayments';

/**
 * The one path for payment evidence (core/payments/evidence.ts) and the one retry policy
 * (core/payments/retryPolicy.ts), in process against the ledger provider: what is believed, what is
 * refused and recorded once, and which provider failures are retried within the call.
 */

/** The ledger, with provider calls that fail with an unknown outcome as often as a test says. */
class FlakyLedger extends LedgerPayments {
  failQueries = 0;
  failRefunds = 0;
  queries = 0;
  refundCalls: string[] = [];
  override async queryOrder(outTradeNo: string) {
    this.queries += 1;
    if (this.failQueries > 0) {
      this.failQueries -= 1;
      throw new PaymentUnavailableError('query timed out (test)');
    }
    return super.queryOrder(outTradeNo);
  }
  override async refund(request: RefundRequest) {
    this.refundCalls.push(request.outRefundNo);
    const answer = await super.refund(request);
    if (this.failRefunds > 0) {
      // Taken by the provider, but its answer is lost on the way back.
      this.failRefunds -= 1;
      throw new PaymentUnavailableError('refund answer lost (test)');
    }
    return answer;
  }
}

let h: InProcess;
let ledger: FlakyLedger;
let users = 0;
const newUser = () => `evidence-${++users}`;
beforeEach(async () => {
  ledger = new FlakyLedger();
  h = await InProcess.start({ payments: ledger, env: { PAYMENT_GRACE_SECONDS: '0', RECONCILE_NOTIFICATION_GRACE_SECONDS: '0' } });
});
afterEach(() => h.close());

const eventTypes = async (orderId: string) => (await h.events(orderId)).map((e) => e.type);
const stored = async (orderId: string) => (await h.order(orderId)) as OrderDocument;

test('a page’s payment query that meets an unknown outcome asks again within the same call, and the payment is confirmed', async () => {
  const user = newUser();
  const order = await h.createOrder(user, 'quick', 'lost notification');
  ledger.pay(order.outTradeNo);
  ledger.failQueries = 1;
  // The retry's pause is on the virtual clock: `run` moves it on whenever the call waits on it alone.
  const answer = await h.clock.run(h.call(getOrder, { orderId: order._id }, user));
  expect(answer.ok).toBe(true);
  expect(ledger.queries).toBe(2);
  expect((await h.events(order._id)).find((e) => e.type === 'payment_confirmed')?.detail).toEqual({ source: 'query_order_by_page' });
  await h.settled();
});

test('when every retry meets an unknown outcome the call gives up without changing the order, and reconcile confirms it later', async () => {
  const user = newUser();
  const order = await h.createOrder(user, 'quick', 'provider down');
  ledger.pay(order.outTradeNo);
  ledger.failQueries = IN_CALL_RETRIES.query + 1;
  await h.clock.run(h.call(getOrder, { orderId: order._id }, user));
  expect(ledger.queries).toBe(IN_CALL_RETRIES.query + 1);
  expect((await stored(order._id)).status).toBe('pending_payment');
  await h.clock.advance(1_000);
  expect((await h.trigger<{ recoveredPayments: number }>(reconcile)).recoveredPayments).toBe(1);
  await h.settled();
  expect((await stored(order._id)).status).toBe('completed');
});

test('a business answer is not retried: an order the provider does not know is asked about once', async () => {
  const user = newUser();
  const order = await h.createOrder(user, 'quick', 'never paid');
  ledger.trades.delete(order.outTradeNo);
  await h.call(getOrder, { orderId: order._id }, user);
  expect(ledger.queries).toBe(1);
  expect((await stored(order._id)).status).toBe('pending_payment');
});

test('a refund whose answer was lost is asked again within the call under the same number, and money moves once', async () => {
  const user = newUser();
  h.model.setFaults({ llm: { error: 1 } });
  const order = await h.createOrder(user, 'quick', 'every model fails');
  ledger.failRefunds = 1;
  await h.pay(order);
  await h.clock.run(h.settled());
  const refunded = await stored(order._id);
  expect(refunded.status).toBe('refunded');
  expect(ledger.refundCalls).toEqual([`R${order.outTradeNo}`, `R${order.outTradeNo}`]);
  expect(ledger.refundsFor(order.outTradeNo)).toHaveLength(1);
  expect(ledger.refundsFor(order.outTradeNo)[0]?.refundFen).toBe(order.amountFen);
});

test('evidence of another amount is never believed, and is recorded once however often it comes', async () => {
  const user = newUser();
  const order = await h.createOrder(user, 'quick', 'underpaid');
  const paid = ledger.pay(order.outTradeNo);
  for (let copy = 0; copy < 3; copy += 1) {
    expect(await acceptPaymentEvidence(h.ctx, { outTradeNo: order.outTradeNo, amountFen: paid.amountFen + 1, verified: true, source: 'signed_notice' })).toBe('amount_mismatch');
  }
  // A hint whose amount the provider contradicts is refused the same way (its own source, its own record).
  expect(await acceptPaymentEvidence(h.ctx, { outTradeNo: order.outTradeNo, amountFen: 1, verified: false, source: 'hint' })).toBe('amount_mismatch');
  expect((await stored(order._id)).status).toBe('pending_payment');
  const types = await eventTypes(order._id);
  expect(types.filter((t) => t === 'amount_mismatch')).toHaveLength(2);
  expect(types).not.toContain('payment_confirmed');
  // The right evidence still goes through afterwards.
  expect(await acceptPaymentEvidence(h.ctx, { outTradeNo: order.outTradeNo, amountFen: null, verified: false, source: 'query' })).toBe('confirmed');
  await h.settled();
});

test('evidence that names another payer is never believed', async () => {
  const user = newUser();
  const order = await h.createOrder(user, 'quick', 'someone else paid?');
  ledger.pay(order.outTradeNo);
  expect(await acceptPaymentEvidence(h.ctx, { outTradeNo: order.outTradeNo, amountFen: order.amountFen, payerOpenid: 'somebody-else', verified: true, source: 'push' })).toBe('payer_mismatch');
  expect(await eventTypes(order._id)).toContain('payer_mismatch');
  expect(await acceptPaymentEvidence(h.ctx, { outTradeNo: order.outTradeNo, amountFen: order.amountFen, payerOpenid: user, verified: true, source: 'push' })).toBe('confirmed');
  await h.settled();
});

test('a duplicate of evidence for a paid order is acknowledged without asking the provider', async () => {
  const user = newUser();
  const order = await h.createOrder(user, 'quick', 'twice');
  await h.pay(order);
  await h.settled();
  const before = ledger.queries;
  expect(await acceptPaymentEvidence(h.ctx, { outTradeNo: order.outTradeNo, amountFen: order.amountFen, verified: false, source: 'duplicate_callback' })).toBe('duplicate');
  expect(ledger.queries).toBe(before);
});

test('each provider reads only its own notification channels', () => {
  const cloudPay = new CloudPayProvider({} as CloudPayApi, { subMchId: '1900000109', envId: 'env', payCallbackFunction: 'payCallback', refundCallbackFunction: 'refundCallback' });
  const input = { event: { returnCode: 'SUCCESS', resultCode: 'SUCCESS', outTradeNo: 'A'.repeat(32), totalFee: 50 }, now: 0 };
  expect(cloudPay.readNotice('v3_http', input)).toEqual({ kind: 'not_mine' });
  expect(cloudPay.readNotice('xpay_push', input)).toEqual({ kind: 'not_mine' });
  expect(cloudPay.readNotice('cloudpay_payment_callback', input)).toMatchObject({ kind: 'payment', verified: false, amountFen: 50 });
});
