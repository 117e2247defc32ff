import { runChaos, type ChaosReport } from '../bench/chaos';
import { invariantCounts, NO_VIOLATIONS } from '../bench/invariants';

// A small chaos run (the full one is `npm run chaos`): the same scenario, fewer orders and harsher
// fault rates, so that every fault surely happens at least once in a short run.
jest.setTimeout(120_000);

let report: ChaosReport;

beforeAll(async () => {
  report = await runChaos({
    orders: 60,
    concurrency: 30,
    duplicate: 0.4,
    drop: 0.2,
    tamper: 0.25,
    modelFailure: 0.15,
    // A quarter of quick answers fail on the first model and the fallback always fails, so about ten
    // orders fail on every model and are refunded (with 0.8 on the fallback alone, a run once had none).
    quickTierModelErrors: { primary: 0.25, fallback: 1 },
    killGenerate: 0.15,
    // Generations that run into their time limit mid-stream: frozen, to resume during a later one.
    timeoutGenerate: 0.1,
    // CloudBase's database failing on every collection and operation: about 2,500 requests in a run.
    db: { error: 0.02, throttle: 0.01, timeout: 0.005, lostAnswer: 0.01 },
    // One kill or time-out per order keeps recovery to one lease period, and a 6-s lease (the default is 15)
    // keeps that period short.
    maxKillsPerOrder: 1,
    generationLeaseSeconds: 6,
    notifyDelayMs: [0, 1_000],
    watchLimitMs: 4_000,
    reconcileEverySeconds: 1,
    settleTimeLimitMs: 60_000,
  });
});

describe('many users paying while notifications, models, workers and the database misbehave', () => {
  test('the faults really happened', () => {
    expect(report.ordersStarted).toBe(60);
    expect(report.paidBySimulator).toBeGreaterThan(30);
    // Duplicates: more genuine copies than paid trades.
    expect(report.notifications.genuine).toBeGreaterThan(report.paidBySimulator - report.notifications.droppedTrades);
    expect(report.notifications.droppedTrades).toBeGreaterThan(0);
    expect(report.notifications.tampered).toBeGreaterThan(0);
    expect(report.forgedNotifications).toBeGreaterThan(0);
    expect(report.workerKills).toBeGreaterThan(0);
    expect(report.timedOut).toBeGreaterThan(0);
    expect(report.dbFaults.error).toBeGreaterThan(0);
    expect(report.dbFaults.throttle).toBeGreaterThan(0);
    expect(report.dbFaults.timeout).toBeGreaterThan(0);
    expect(report.dbFaults.lostAnswer).toBeGreaterThan(0);
    // Failed model calls mean more model requests than orders that were generated.
    expect(report.modelRequests).toBeGreaterThan(report.paidBySimulator);
    expect(report.finalStatuses.refunded).toBeGreaterThan(0);
  });

  test('payments lost with their notifications were still found and confirmed', () => {
    const bySource = report.confirmationsBySource;
    const byQuery = Object.entries(bySource).filter(([source]) => source.startsWith('query_order')).reduce((sum, [, n]) => sum + n, 0);
    expect(byQuery).toBeGreaterThanOrEqual(report.notifications.droppedTrades > 0 ? 1 : 0);
  });

  test('every money invariant holds: nothing generated unpaid, paid twice, refunded twice or left unfinished', () => {
    expect(report.unsettledAfterLoad).toBe(0);
    expect(invariantCounts(report.invariants)).toEqual(NO_VIOLATIONS);
    const finished = (report.finalStatuses.completed ?? 0) + (report.finalStatuses.refunded ?? 0);
    expect(finished).toBe(report.paidBySimulator);
    expect(report.passed).toBe(true);
  });
});
