import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readEnv } from '../../core/config/env';
import { PROVIDERS } from '../../core/config/providers';
import { buildContext, type AppContext } from '../../core/context';
import { isAppError } from '../../core/errors';
import { createOrder } from '../../core/functions/createOrder';
import { generate } from '../../core/functions/generate';
import type { ClientHandler, TriggerHandler } from '../../core/functions/serve';
import type { OrderDocument } from '../../core/orders/order';
import { ORDER_EVENTS, type AuditEvent } from '../../core/orders/repository';
import { acceptPaymentEvidence, type EvidenceOutcome } from '../../core/payments/evidence';
import type { PaymentProvider } from '../../core/payments/provider';
import { hashOpenid } from '../../core/security/identity';
import { LocalStore } from '../../local/store/localDatabase';
import { LedgerPayments } from './ledgerPayments';
import { InProcessModelServer } from './modelServer';
import { VirtualClock } from './virtualClock';
import type { Json } from './json';

/** Fast local-model settings: the answer streams at once (the model server's own pace is real time). */
export const INSTANT_MODEL = { firstTokenMs: 0, tokensPerSecond: 100_000, answerTokens: 24 };

export interface InProcessOptions {
  /** Function settings, as the environment of a function would give them. */
  env?: Record<string, string>;
  /** Provider keys and base URLs (`OPENAI_BASE_URL`, …); none by default, whatever the machine has. */
  secrets?: Record<string, string>;
  payments?: PaymentProvider;
  /**
   * false: a dispatched `generate` is only recorded (`dispatched`), for tests that play the
   * generation's steps themselves. true (default): it runs here, awaited by `settled()`.
   */
  runGenerate?: boolean;
}

/** What a client-callable function answers: `{ ok: true, ... }` or its typed error. */
export type Answer = ({ ok: true } & Json) | { ok: false; error: { code: string; message: string } };

/**
 * The functions' code in this test process, without a runtime process or HTTP to one: the
 * handlers of core/functions run on a context from `buildContext` over the embedded store (a
 * temporary folder), a virtual clock, a payment provider and the local model server on loopback.
 * A paid order's `generate` is started in this process and can be awaited with `settled()`.
 */
export class InProcess {
  readonly clock = new VirtualClock();
  /** The orders whose `generate` was dispatched, in order (each dispatch once). */
  readonly dispatched: string[] = [];
  readonly ctx: AppContext;
  private readonly running = new Set<Promise<void>>();
  private readonly failures: unknown[] = [];
  private readonly savedSecrets: Record<string, string | undefined> = {};
  /** The functions' log lines (core/log.ts), kept here as the runtime keeps its functions' output. */
  readonly logs: string[] = [];
  private readonly consoleSpies = (['log', 'warn', 'error'] as const).map((method) =>
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => void this.logs.push(args.map(String).join(' '))),
  );

  private constructor(
    readonly dir: string,
    readonly store: LocalStore,
    readonly model: InProcessModelServer,
    readonly payments: PaymentProvider,
    options: InProcessOptions,
  ) {
    this.useSecrets(options.secrets ?? {});
    const env = readEnv({
      PAY_MODE: 'simulator',
      OPENID_HASH_SECRET: 'in-process-hash-secret',
      OPENID_SEAL_KEY: Buffer.alloc(32, 7).toString('base64'),
      LOCAL_MODEL_URL: `${model.url}/v1`,
      RATE_LIMIT_PER_MINUTE: '1000',
      // msgSecCheck is a cloud call, which only the real SDK makes: content security is proven end to
      // end through it (test/compliance-e2e.test.ts); this tier is for routing, policy and recovery.
      CONTENT_SECURITY: 'off',
      ...options.env,
    });
    this.ctx = buildContext({
      db: store.database(),
      env,
      payments,
      clock: this.clock,
      // As an invocation the platform runs on its own: started here, awaited by `settled()`.
      dispatch: () => async (orderId) => {
        this.dispatched.push(orderId);
        if (options.runGenerate === false) return;
        const run = generate(this.ctx, { orderId }).then(
          () => undefined,
          (error: unknown) => void this.failures.push(error),
        );
        this.running.add(run);
        void run.finally(() => this.running.delete(run));
      },
    });
  }

  static async start(options: InProcessOptions = {}): Promise<InProcess> {
    const dir = mkdtempSync(join(tmpdir(), 'in-process-'));
    const model = await InProcessModelServer.start({ llm: INSTANT_MODEL });
    // The layout of the runtime's DATA_DIR, so that tools reading a data folder (npm run report) read this one.
    return new InProcess(dir, new LocalStore(join(dir, 'functions')), model, options.payments ?? new LedgerPayments(), options);
  }

  /** Only the given provider settings are seen by the endpoint resolver (it reads process.env). */
  private useSecrets(secrets: Record<string, string>): void {
    const names = new Set([...PROVIDERS.flatMap((p) => [p.apiKeyEnv, p.baseURLEnv]), ...Object.keys(secrets)]);
    for (const name of names) {
      this.savedSecrets[name] = process.env[name];
      if (secrets[name] !== undefined) process.env[name] = secrets[name];
      else delete process.env[name];
    }
  }

  get ledger(): LedgerPayments {
    if (!(this.payments instanceof LedgerPayments)) throw new Error('this harness was started with another payment provider');
    return this.payments;
  }

  /** A client-callable function as `openid` calls it (the caller is derived as serve.ts does). */
  async call(handler: ClientHandler, input: Record<string, unknown>, openid: string): Promise<Answer> {
    const caller = { openid, userHash: hashOpenid(openid, this.ctx.env.openidHashSecret), clientIp: '127.0.0.1' };
    try {
      return { ok: true, ...(await handler(this.ctx, input, caller)) };
    } catch (error) {
      if (isAppError(error)) return { ok: false, error: error.toBody() };
      throw error;
    }
  }

  trigger<T = Json>(handler: TriggerHandler, event: Record<string, unknown> = {}): Promise<T> {
    return handler(this.ctx, event) as Promise<T>;
  }

  /** `createOrder` as `openid`; throws unless it succeeds. */
  async createOrder(openid: string, tier: string, prompt: string): Promise<OrderDocument> {
    const created = await this.call(createOrder, { tier, prompt }, openid);
    if (!created.ok) throw new Error(`createOrder failed: ${JSON.stringify(created.error)}`);
    return (await this.order(created.order.orderId as string)) as OrderDocument;
  }

  /** The user pays (the ledger holds the money) and the notification arrives. */
  async pay(order: OrderDocument): Promise<EvidenceOutcome> {
    const paid = this.ledger.pay(order.outTradeNo);
    return acceptPaymentEvidence(this.ctx, { ...paid, verified: true, source: 'in_process_notification' });
  }

  /** Creates, pays and waits for the answer; returns the order as stored at the end. */
  async paidOrder(openid: string, tier: string, prompt: string): Promise<OrderDocument> {
    const order = await this.createOrder(openid, tier, prompt);
    await this.pay(order);
    await this.settled();
    return (await this.order(order._id)) as OrderDocument;
  }

  /** Waits until every generation started so far has returned; rethrows what one of them threw. */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
    if (this.failures.length > 0) throw this.failures.shift();
  }

  /** Waits (in real time, for the store and the model server) until `condition` holds. */
  async until(condition: () => boolean | Promise<boolean>, what = 'the condition'): Promise<void> {
    for (let round = 0; round < 5_000; round += 1) {
      if (await condition()) return;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    throw new Error(`in-process: ${what} never came true`);
  }

  /** The event that ended an order's generation. */
  async endingEvent(orderId: string): Promise<AuditEvent> {
    const ending = (await this.events(orderId)).find((e) => e.type === 'generation_completed' || e.type === 'generation_failed');
    if (!ending) throw new Error(`order ${orderId} has no generation_completed or generation_failed event`);
    return ending;
  }

  order(orderId: string): Promise<OrderDocument | null> {
    return this.ctx.orders.findById(orderId);
  }

  async events(orderId: string): Promise<AuditEvent[]> {
    const { data } = await this.ctx.db.collection(ORDER_EVENTS).where({ orderId }).orderBy('at', 'asc').limit(100).get();
    return data as unknown as AuditEvent[];
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.running]);
    await this.model.close();
    await this.store.close();
    for (const spy of this.consoleSpies) spy.mockRestore();
    rmSync(this.dir, { recursive: true, force: true });
    for (const [name, value] of Object.entries(this.savedSecrets)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}
