import { LocalRuntime } from './support/runtime';
import { orderEvents, readCollection, storedOrder } from './support/store';

/**
 * CloudBase's database failing as it does (`POST /api/faults { "db": … }`, local/cloudbase/dbFaults.ts),
 * through the real wx-server-sdk in the functions, and what the product does about each failure.
 */
let runtime: LocalRuntime;
let users = 0;
const newUser = () => `db-faults-${process.pid}-${++users}`;

beforeAll(async () => {
  runtime = await LocalRuntime.quick({ RATE_LIMIT_PER_MINUTE: '100', ORDER_TTL_SECONDS: '600' });
});
afterAll(async () => {
  await runtime.stop();
});
afterEach(async () => {
  await runtime.faults({ reset: true });
});

type DbFaultCounts = { error: number; throttle: number; timeout: number; lostAnswer: number };
const faultCounts = async () => (await runtime.get<{ dbFaults: DbFaultCounts }>('/api/stats')).dbFaults;

describe('the db fault contract', () => {
  test('rules are set per collection and operation, shown, replaced by scope, and cleared by reset', async () => {
    await runtime.faults({ db: { error: 0.5, collection: 'orders', op: 'get' } });
    await runtime.faults({ db: [{ timeout: 0.2 }, { lostAnswer: 1, collection: 'orders', op: 'get' }] });
    const shown = await runtime.get<{ db: unknown[] }>('/api/faults');
    expect(shown.db).toEqual([
      { collection: null, op: null, error: 0, throttle: 0, timeout: 0.2, lostAnswer: 0 },
      { collection: 'orders', op: 'get', error: 0, throttle: 0, timeout: 0, lostAnswer: 1 },
    ]);
    // All rates 0: the rule is gone.
    await runtime.faults({ db: { collection: 'orders', op: 'get' } });
    expect((await runtime.get<{ db: unknown[] }>('/api/faults')).db).toHaveLength(1);
    await runtime.faults({ reset: true });
    expect((await runtime.get<{ db: unknown[] }>('/api/faults')).db).toEqual([]);
  });

  test.each([
    [{ db: { error: 2 } }, 'db.error must be a number from 0 to 1'],
    [{ db: { error: 0.6, timeout: 0.6 } }, 'db rates add up to more than 1'],
    [{ db: { op: 'upsert' } }, 'db.op must be one of get, count, insert, update, remove'],
    [{ db: { collection: 'Orders!' } }, 'db.collection must be a collection name'],
    [{ db: { slow: 1 } }, 'db.slow is not a fault'],
  ])('%j is refused: %s', async (patch, message) => {
    const { status, json } = await runtime.post<{ errMsg: string }>('/api/faults', patch);
    expect({ status, errMsg: json.errMsg }).toEqual({ status: 400, errMsg: message });
  });
});

describe('what the functions see', () => {
  test.each([
    ['error', /-50[12]001/],
    ['throttle', /-501004/],
  ])('a database %s reaches the function as the SDK reports it, and the user gets a typed error', async (kind, code) => {
    const user = newUser();
    const before = await faultCounts();
    await runtime.faults({ db: { [kind]: 1, collection: 'orders', op: 'get' } });
    expect(await runtime.call('listOrders', {}, user)).toEqual({ ok: false, error: { code: 'INTERNAL', message: expect.any(String) } });
    expect((await faultCounts())[kind as keyof DbFaultCounts]).toBeGreaterThan(before[kind as keyof DbFaultCounts]);
    await runtime.untilOutputShows(code);
    expect(runtime.output).toMatch(code);
  });

  test('a database that never answers fails the call by the SDK request timeout, inside the function time limit', async () => {
    const user = newUser();
    await runtime.faults({ db: { timeout: 1, collection: 'orders', op: 'get' } });
    expect(await runtime.call('listOrders', {}, user)).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    await runtime.untilOutputShows('request timeout');
    expect(runtime.output).toContain('request timeout');
  });

  test('a write whose answer is lost happened all the same: a transition tells from the order that it was its own', async () => {
    const user = newUser();
    const created = await runtime.call('createOrder', { tier: 'quick', prompt: 'Name a tea' }, user);
    expect(created.ok).toBe(true);
    const before = await faultCounts();
    await runtime.faults({ db: { lostAnswer: 1, collection: 'orders', op: 'update' } });
    const cancelled = await runtime.call('cancelOrder', { orderId: created.order.orderId }, user);
    expect((await faultCounts()).lostAnswer).toBeGreaterThan(before.lostAnswer);
    expect(cancelled).toMatchObject({ ok: true, order: { status: 'closed' } });
    expect((await storedOrder(runtime.dataDir, created.order.orderId))?.status).toBe('closed');
    const events = (await orderEvents(runtime.dataDir, created.order.orderId)).map((e) => e.type);
    expect(events.filter((type) => type === 'cancelled_by_user')).toHaveLength(1);
  });
});

describe('the active-payment lock', () => {
  test('a lock whose insert answer was lost is the order’s own: the user gets the order, not ACTIVE_PAYMENT_EXISTS', async () => {
    const user = newUser();
    await runtime.faults({ db: { lostAnswer: 1, collection: 'active_payments', op: 'insert' } });
    const created = await runtime.call('createOrder', { tier: 'quick', prompt: 'Name a green tea' }, user);
    expect(created).toMatchObject({ ok: true, order: { status: 'pending_payment' } });
    const locks = await readCollection(runtime.dataDir, 'functions', 'active_payments');
    expect(locks.filter((lock) => lock.orderId === created.order.orderId)).toHaveLength(1);
    // The lock is really held by that order: a second order waits for it, with the first one shown.
    await runtime.faults({ reset: true });
    const second = await runtime.call('createOrder', { tier: 'quick', prompt: 'Another' }, user);
    expect(second).toMatchObject({ ok: false, error: { code: 'ACTIVE_PAYMENT_EXISTS', order: { orderId: created.order.orderId } } });
  });

  test('a lock insert that failed is an error to try again, not a lock held by nobody', async () => {
    const user = newUser();
    await runtime.faults({ db: { error: 1, collection: 'active_payments', op: 'insert' } });
    const failed = await runtime.call('createOrder', { tier: 'quick', prompt: 'Name a black tea' }, user);
    expect(failed).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    await runtime.faults({ reset: true });
    const retried = await runtime.call('createOrder', { tier: 'quick', prompt: 'Name a black tea' }, user);
    expect(retried).toMatchObject({ ok: true, order: { status: 'pending_payment' } });
    expect(await orderEvents(runtime.dataDir, retried.order.orderId)).toEqual([expect.objectContaining({ type: 'created' })]);
  });
});

describe('storing a new order', () => {
  test('an order whose insert answer was lost is the user’s order: created once, with one created event', async () => {
    const user = newUser();
    await runtime.faults({ db: { lostAnswer: 1, collection: 'orders', op: 'insert' } });
    const created = await runtime.call('createOrder', { tier: 'quick', prompt: 'Name an oolong' }, user);
    expect(created).toMatchObject({ ok: true, order: { status: 'pending_payment' } });
    const stored = (await readCollection(runtime.dataDir, 'functions', 'orders')).filter((order) => order._id === created.order.orderId);
    expect(stored).toHaveLength(1);
    expect((await orderEvents(runtime.dataDir, created.order.orderId)).filter((event) => event.type === 'created')).toHaveLength(1);
  });

  test('an order insert that failed leaves no lock behind: the user can ask again at once', async () => {
    const user = newUser();
    await runtime.faults({ db: { error: 1, collection: 'orders', op: 'insert' } });
    const failed = await runtime.call('createOrder', { tier: 'quick', prompt: 'Name a white tea' }, user);
    expect(failed).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    await runtime.faults({ reset: true });
    const retried = await runtime.call('createOrder', { tier: 'quick', prompt: 'Name a white tea' }, user);
    expect(retried).toMatchObject({ ok: true, order: { status: 'pending_payment' } });
  });
});
