import { checkInvariants, invariantCounts, NO_VIOLATIONS } from '../bench/invariants';
import type { StoreSnapshot } from '../bench/store';
import type { OrderDocument } from '../core/orders/order';
import type { Trade } from '../local/pay/simulator';

/** The money invariants the chaos and crash runs are judged by (bench/invariants.ts), on hand-made stores. */
const order = (id: string, status: OrderDocument['status']): OrderDocument => ({ _id: id, outTradeNo: `T${id}`, status, amountFen: 50 }) as OrderDocument;
const trade = (id: string, state: string): Trade => ({ outTradeNo: `T${id}`, state, amountFen: 50 }) as unknown as Trade;

describe('a forged notification for an unpaid order', () => {
  test('is accepted when the order shows a payment the ledger does not have', () => {
    const snapshot: StoreSnapshot = {
      orders: [order('a', 'paid'), order('b', 'closed')],
      events: [{ orderId: 'b', type: 'payment_confirmed', at: 1 }],
      trades: [trade('a', 'NOTPAY'), trade('b', 'CLOSED')],
      refunds: [],
    };
    expect(checkInvariants(snapshot, ['a', 'b']).tamperedNotificationsAccepted).toEqual(['a', 'b']);
  });

  test('is not, when the order closed for its own reasons meanwhile (expired, cancelled)', () => {
    const snapshot: StoreSnapshot = {
      orders: [order('c', 'closed'), order('d', 'pending_payment')],
      events: [{ orderId: 'c', type: 'expired', at: 1 }],
      trades: [trade('c', 'CLOSED'), trade('d', 'NOTPAY')],
      refunds: [],
    };
    expect(invariantCounts(checkInvariants(snapshot, ['c', 'd']))).toEqual(NO_VIOLATIONS);
  });
});
