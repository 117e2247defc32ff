import { getOrder, MAX_WAIT_MS } from '../../core/functions/getOrder';
import { claimGeneration, completeGeneration, renewLease } from '../../core/orders/lifecycle';
import type { OrderDocument } from '../../core/orders/order';
import { acceptPaymentEvidence } from '../../core/payments/evidence';
import { InProcess, type Answer } from '../support/inProcess';

/**
 * What the page's long-poll (`getOrder` with `waitMs`) answers and when, on the virtual clock: it
 * holds until the order changes or at most 3 s, gathers growing text with `settleMs`, and nudges
 * orders that wait on a lost notification or a `generate` that did not start.
 */
const GRACE_SECONDS = 8;
let h: InProcess;
let users = 0;
const newUser = () => `poller-${++users}`;

beforeEach(async () => {
  // Generation is played by the tests themselves (claim, batches, completion) at chosen moments.
  h = await InProcess.start({ runGenerate: false, env: { PAYMENT_GRACE_SECONDS: String(GRACE_SECONDS) } });
});
afterEach(async () => {
  await h.close();
});

/** A call of `getOrder`, run to its answer on the virtual clock; with how long it held. */
async function poll(user: string, input: Record<string, unknown>): Promise<{ answer: Extract<Answer, { ok: true }>; heldMs: number }> {
  const startedAt = h.clock.now();
  const answer = await h.clock.run(h.call(getOrder, input, user));
  if (!answer.ok) throw new Error(`getOrder failed: ${JSON.stringify(answer.error)}`);
  return { answer, heldMs: h.clock.now() - startedAt };
}

/** A paid order whose generation the test has claimed, with its first text stored. */
async function generatingOrder(user: string): Promise<{ order: OrderDocument; lease: string }> {
  const created = await h.createOrder(user, 'quick', 'Stream for me');
  await h.pay(created);
  const lease = `lease-${user}`;
  const claimed = await claimGeneration(h.ctx, created._id, lease);
  if (!claimed) throw new Error('the order could not be claimed');
  await renewLease(h.ctx, created._id, lease, 'The first words');
  return { order: (await h.order(created._id)) as OrderDocument, lease };
}

const grow = (order: OrderDocument, lease: string, text: string) => async () => {
  await renewLease(h.ctx, order._id, lease, text);
};

describe('long-polling getOrder', () => {
  test('returns as soon as the order changes', async () => {
    const user = newUser();
    const order = await h.createOrder(user, 'quick', 'Wake me');
    const paid = h.ledger.pay(order.outTradeNo);
    h.clock.at(1_000, async () => {
      await acceptPaymentEvidence(h.ctx, { ...paid, verified: true, source: 'in_process_notification' });
    });
    const { answer, heldMs } = await poll(user, { orderId: order._id, waitMs: 3000, knownRev: order.rev });
    expect(answer.order.status).toBe('paid');
    expect(answer.order.rev).toBeGreaterThan(order.rev);
    // It came back with the change (at the next look after it), not at the end of the wait.
    expect(heldMs).toBeGreaterThanOrEqual(1_000);
    expect(heldMs).toBeLessThan(MAX_WAIT_MS);
  });

  test('an order that does not change is answered after the wait, never held past 3 s whatever waitMs says', async () => {
    const user = newUser();
    const order = await h.createOrder(user, 'quick', 'Nothing happens');
    const { answer, heldMs } = await poll(user, { orderId: order._id, waitMs: 60_000 });
    expect(answer.order.status).toBe('pending_payment');
    expect(heldMs).toBe(MAX_WAIT_MS);
  });

  test('a finished order is answered at once', async () => {
    const user = newUser();
    const { order, lease } = await generatingOrder(user);
    const done = await completeGeneration(h.ctx, order, lease, {
      text: 'The whole answer',
      truncated: false,
      usage: { provider: 'dashscope', model: 'qwen-turbo', promptTokens: 10, completionTokens: 4, estimated: false, costFen: 0.01, latencyMs: 100, firstTokenMs: 10 },
      attempts: [],
    });
    const { answer, heldMs } = await poll(user, { orderId: order._id, waitMs: 3000, knownRev: done?.rev });
    expect(answer.order.status).toBe('completed');
    expect(heldMs).toBe(0);
  });

  test('without settleMs every new batch of text ends the wait', async () => {
    const user = newUser();
    const { order, lease } = await generatingOrder(user);
    h.clock.at(400, grow(order, lease, 'The first words and more'));
    h.clock.at(800, grow(order, lease, 'The first words and more, and more'));
    const { answer, heldMs } = await poll(user, { orderId: order._id, waitMs: 3000, knownRev: order.rev });
    expect(answer.order.output).toBe('The first words and more');
    expect(heldMs).toBeLessThan(800);
  });

  test('with settleMs, text that keeps growing is gathered into one answer at the end of the settle time', async () => {
    const user = newUser();
    const { order, lease } = await generatingOrder(user);
    h.clock.at(400, grow(order, lease, 'The first words and more'));
    h.clock.at(800, grow(order, lease, 'The first words and more, and more'));
    const { answer, heldMs } = await poll(user, {
      orderId: order._id,
      waitMs: 3000,
      settleMs: 2000,
      knownRev: order.rev,
      knownStatus: 'generating',
      knownChars: order.output.length,
    });
    expect(answer.order.output).toBe('The first words and more, and more');
    expect(heldMs).toBe(2000);
  });

  test('with settleMs, a new status still comes at once', async () => {
    const user = newUser();
    const { order, lease } = await generatingOrder(user);
    h.clock.at(300, async () => {
      await completeGeneration(h.ctx, order, lease, {
        text: 'The first words, all of them',
        truncated: false,
        usage: { provider: 'dashscope', model: 'qwen-turbo', promptTokens: 10, completionTokens: 6, estimated: false, costFen: 0.01, latencyMs: 300, firstTokenMs: 10 },
        attempts: [],
      });
    });
    const { answer, heldMs } = await poll(user, { orderId: order._id, waitMs: 3000, settleMs: 3000, knownRev: order.rev, knownStatus: 'generating', knownChars: order.output.length });
    expect(answer.order).toMatchObject({ status: 'completed', outputComplete: true });
    expect(heldMs).toBeLessThan(3000);
  });

  test('with settleMs, the first text of the answer comes at once ("writing…" turns into words)', async () => {
    const user = newUser();
    const created = await h.createOrder(user, 'quick', 'First words');
    await h.pay(created);
    await claimGeneration(h.ctx, created._id, 'lease-first');
    const claimed = (await h.order(created._id)) as OrderDocument;
    h.clock.at(300, grow(claimed, 'lease-first', 'Hello'));
    const { answer, heldMs } = await poll(user, { orderId: created._id, waitMs: 3000, settleMs: 3000, knownRev: claimed.rev, knownStatus: 'generating', knownChars: 0 });
    expect(answer.order.output).toBe('Hello');
    expect(heldMs).toBeLessThan(3000);
  });
});

describe('the page nudges an order that waits on something lost', () => {
  test('a payment whose notification is lost is found by the page itself after the grace period', async () => {
    const user = newUser();
    const order = await h.createOrder(user, 'quick', 'Paid, but nobody told us');
    h.ledger.pay(order.outTradeNo); // the notification never arrives
    // As the page asks: a long-poll that shows "confirming payment" meanwhile.
    const early = await poll(user, { orderId: order._id, waitMs: 3000 });
    expect(early.answer.order.status).toBe('pending_payment');
    expect((await h.events(order._id)).map((e) => e.type)).not.toContain('payment_confirmed');

    await h.clock.advance(GRACE_SECONDS * 1000);
    const late = await poll(user, { orderId: order._id, waitMs: 3000 });
    expect(late.answer.order.status).toBe('paid');
    expect((await h.events(order._id)).find((e) => e.type === 'payment_confirmed')?.detail).toEqual({ source: 'query_order_by_page' });
    expect(h.dispatched).toEqual([order._id]);
  });

  test('a paid order that generate has not picked up is dispatched again, no sooner than 5 s after payment', async () => {
    const user = newUser();
    const order = await h.createOrder(user, 'quick', 'Start me');
    await h.pay(order);
    expect(h.dispatched).toEqual([order._id]);
    await poll(user, { orderId: order._id });
    expect(h.dispatched).toHaveLength(1);
    await h.clock.advance(5_000);
    await poll(user, { orderId: order._id });
    expect(h.dispatched).toEqual([order._id, order._id]);
  });

  test('another user’s order is NOT_FOUND, and asks nothing of the provider', async () => {
    const order = await h.createOrder(newUser(), 'quick', 'Mine alone');
    await h.clock.advance(GRACE_SECONDS * 1000);
    const answer = await h.call(getOrder, { orderId: order._id }, newUser());
    expect(answer).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect((await h.order(order._id))?.lastPaymentQueryAt).toBeUndefined();
  });
});
