import { randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isClientCallable } from '../core/functions/catalog';
import { FunctionHost, provideWxServerSdk } from './functionHost';
import { HttpError, readBody, readJsonBody, sendJson } from './http';
import { createPreviewHandler } from './preview/server';
import { createModelHandler, type ModelServerStats } from './model/modelServer';
import { defaultFaults, mergeFaults, type Faults } from './pay/faults';
import { PaySimulator, type PaymentNotification, type RefundRecord } from './pay/simulator';
import { createV3Api, postNotification, refundResource, signedNotification, transactionResource } from './pay/v3Api';
import { localV3Keys, v3FunctionEnv } from './pay/v3Keys';
import { localSecrets } from './secrets';
import { createLocalSdk } from './sdk';
import { LocalStore } from './store/localDatabase';
import { createSubscribeRecorder, SENT_MESSAGES } from './subscribeRecorder';

export interface RuntimeOptions {
  port: number;
  host?: string;
  dataDir: string;
  functionsDir: string;
  /** Run timer-triggered functions on their schedule (tests trigger them by hand). */
  timers: boolean;
  /** Overrides the timers' interval, for a quicker local loop. */
  timerIntervalMs?: number;
}

export interface Runtime {
  url: string;
  server: Server;
  host: FunctionHost;
  simulator: PaySimulator;
  close(): Promise<void>;
}

const DEFAULT_OPENID = 'local-user';
const NOTIFY_RETRY_MS = [500, 1_000, 2_000, 4_000];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// A 7-field cron such as "0 (every 2nd) minute …": simple every-N seconds or minutes, else once a minute.
export function cronIntervalMs(cron: string): number {
  const [second, minute] = cron.trim().split(/\s+/);
  const every = (field: string | undefined) => (field && /^\*\/\d+$/.test(field) ? Number(field.slice(2)) : null);
  const seconds = every(second);
  if (seconds) return seconds * 1000;
  const minutes = every(minute);
  if (minutes) return minutes * 60_000;
  return 60_000;
}

export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const hostName = options.host ?? '127.0.0.1';
  mkdirSync(options.dataDir, { recursive: true });
  const secrets = localSecrets(options.dataDir);
  const v3Keys = localV3Keys(options.dataDir);
  const baseUrl = () => `http://${hostName}:${(server.address() as { port: number }).port}`;
  let faults: Faults = defaultFaults();
  const modelStats: ModelServerStats = { requests: 0, byModel: {} };

  const store = new LocalStore(join(options.dataDir, 'functions'));
  const platformStore = new LocalStore(join(options.dataDir, 'platform'));
  const platformDb = platformStore.database();
  let host: FunctionHost;

  /** WeChat Pay's retry loop: a notification not acknowledged is sent again, re-signed each time. */
  const withRetries = async (attempt: () => Promise<boolean>): Promise<boolean> => {
    for (let tries = 0; ; tries += 1) {
      if (await attempt().catch(() => false)) return true;
      const wait = NOTIFY_RETRY_MS[tries];
      if (wait === undefined) return false;
      await sleep(wait);
    }
  };

  const deliverPayment = async (notification: PaymentNotification): Promise<boolean> => {
    const { trade, tampered } = notification;
    if (trade.channel === 'v3' && trade.notifyUrl) {
      const notifyUrl = trade.notifyUrl;
      const tamper = tampered ? (resource: Record<string, unknown>) => ({ ...resource, amount: { total: trade.amountFen + 1, payer_total: trade.amountFen + 1, currency: 'CNY', payer_currency: 'CNY' } }) : undefined;
      return withRetries(() => postNotification(notifyUrl, signedNotification(v3Keys, 'TRANSACTION.SUCCESS', '支付成功', transactionResource(v3Keys, trade), tamper)));
    }
    const event = {
      returnCode: 'SUCCESS',
      resultCode: 'SUCCESS',
      outTradeNo: trade.outTradeNo,
      transactionId: trade.transactionId,
      totalFee: tampered ? trade.amountFen + 1 : trade.amountFen,
      cashFee: tampered ? trade.amountFen + 1 : trade.amountFen,
      subMchId: process.env.WXPAY_SUB_MCH_ID ?? '',
      tradeType: 'JSAPI',
      bankType: 'OTHERS',
      feeType: 'CNY',
      timeEnd: new Date(trade.paidAt ?? Date.now()).toISOString().replace(/\D/g, '').slice(0, 14),
    };
    for (let attempt = 0; ; attempt += 1) {
      try {
        const answer = (await host.invoke(trade.callbackFunction, event)) as { errcode?: number } | undefined;
        if (answer?.errcode === 0) return true;
      } catch {
        // Not acknowledged: WeChat Pay calls again later.
      }
      const wait = NOTIFY_RETRY_MS[attempt];
      if (wait === undefined) return false;
      await sleep(wait);
    }
  };
  const deliverRefund = async (refund: RefundRecord): Promise<void> => {
    if (refund.channel === 'v3') {
      const notifyUrl = refund.notifyUrl;
      if (!notifyUrl) return;
      const trade = await simulator.trade(refund.outTradeNo);
      await withRetries(() => postNotification(notifyUrl, signedNotification(v3Keys, `REFUND.${refund.state}`, '退款成功', refundResource(v3Keys, refund, trade))));
      return;
    }
    await host.invoke('refundCallback', { returnCode: 'SUCCESS', outTradeNo: refund.outTradeNo, outRefundNo: refund.outRefundNo, refundStatus: refund.state, refundFee: refund.refundFen });
  };

  // Copies the simulator sent (for chaos and benchmark reports).
  const notificationCounts = { genuine: 0, tampered: 0 };
  const countedDelivery = (notification: PaymentNotification): Promise<boolean> => {
    notificationCounts[notification.tampered ? 'tampered' : 'genuine'] += 1;
    return deliverPayment(notification);
  };
  const simulator = new PaySimulator(platformDb, () => faults, countedDelivery, deliverRefund);
  const subscribe = createSubscribeRecorder(platformDb, () => ['pages/index/index', 'pages/order/order', 'pages/history/history']);
  const sdk = createLocalSdk({ store, host: () => host, cloudPay: simulator.cloudPay, subscribeMessage: subscribe });
  provideWxServerSdk(sdk);

  const modelHandler = createModelHandler(() => faults, modelStats);
  const v3Api = createV3Api(simulator, () => v3Keys);
  const functionsDb = store.database();
  const previewHandler = createPreviewHandler({ root: join(options.functionsDir, '..'), simulator });

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      if (!res.headersSent) sendJson(res, status, { errMsg: error instanceof Error ? error.message : String(error) });
      else res.end();
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (path === '/' || path.startsWith('/preview/')) return previewHandler(req, res);
    if (path === '/healthz') return sendJson(res, 200, { ok: true, functions: host.names() });
    if (method === 'POST' && path === '/v1/chat/completions') return modelHandler(req, res);
    if (method === 'GET' && path === '/v1/models') {
      return sendJson(res, 200, { object: 'list', data: [{ id: 'local', object: 'model', owned_by: 'local' }] });
    }
    const fn = /^\/api\/functions\/([A-Za-z0-9_]+)$/.exec(path);
    if (fn && method === 'POST') {
      const name = fn[1] as string;
      if (!isClientCallable(name) || !host.has(name)) return sendJson(res, 404, { errMsg: `no client-callable function ${name}` });
      const body = await readJsonBody(req);
      const header = req.headers['x-wx-openid'];
      const openid = typeof header === 'string' && header.length > 0 ? header.slice(0, 128) : DEFAULT_OPENID;
      try {
        const result = await host.invoke(name, body.data ?? {}, { openid });
        return sendJson(res, 200, { result });
      } catch (error) {
        return sendJson(res, 500, { errMsg: error instanceof Error ? error.message : String(error) });
      }
    }
    const trigger = /^\/api\/triggers\/([A-Za-z0-9_]+)$/.exec(path);
    if (trigger && method === 'POST') {
      const name = trigger[1] as string;
      if (isClientCallable(name) || !host.has(name)) return sendJson(res, 404, { errMsg: `no triggered function ${name}` });
      const body = await readJsonBody(req);
      try {
        return sendJson(res, 200, { result: await host.invoke(name, body.data ?? {}) });
      } catch (error) {
        return sendJson(res, 500, { errMsg: error instanceof Error ? error.message : String(error) });
      }
    }
    if (path.startsWith('/v3/') && (await v3Api(req, res, url))) return;
    if (path === '/api/notify/wechatpay' && method === 'POST') {
      // CloudBase HTTP access hands the function the raw body, base64-encoded: signatures are over those bytes.
      const raw = await readBody(req);
      const answer = (await host.invoke('payNotify', {
        httpMethod: 'POST',
        path,
        headers: req.headers,
        body: raw.toString('base64'),
        isBase64Encoded: true,
      })) as { statusCode?: number; headers?: Record<string, string>; body?: string };
      res.writeHead(answer.statusCode ?? 502, answer.headers ?? {});
      res.end(answer.body ?? '');
      return;
    }
    const inspect = /^\/api\/inspect\/orders\/([A-Za-z0-9_-]{1,64})$/.exec(path);
    if (inspect && method === 'GET') {
      // Local-runtime only, read-only: the stored order, its audit events and WeChat's side of it.
      const outTradeNo = inspect[1] as string;
      const { data: orders } = await functionsDb.collection('orders').where({ outTradeNo }).limit(1).get();
      const order = orders[0];
      if (!order) return sendJson(res, 404, { errMsg: `no order ${outTradeNo}` });
      const { data: events } = await functionsDb.collection('order_events').where({ orderId: order._id }).orderBy('at', 'asc').limit(100).get();
      return sendJson(res, 200, { order, events, trade: await simulator.trade(outTradeNo), refunds: await simulator.refundsFor(outTradeNo) });
    }
    if (path === '/api/pay/simulate' && method === 'POST') {
      const body = await readJsonBody(req);
      const { outTradeNo, outcome } = body;
      if (typeof outTradeNo !== 'string' || (outcome !== 'success' && outcome !== 'cancel' && outcome !== 'fail')) {
        throw new HttpError(400, 'body must be { outTradeNo, outcome: "success" | "cancel" | "fail" }');
      }
      return sendJson(res, 200, await simulator.simulate(outTradeNo, outcome));
    }
    if (path === '/api/faults' && (method === 'GET' || method === 'POST')) {
      if (method === 'POST') {
        try {
          faults = mergeFaults(faults, await readJsonBody(req));
        } catch (error) {
          if (error instanceof HttpError) throw error;
          throw new HttpError(400, error instanceof Error ? error.message : String(error));
        }
      }
      return sendJson(res, 200, faults);
    }
    if (path === '/api/messages' && method === 'GET') {
      const { data } = await platformDb.collection(SENT_MESSAGES).orderBy('sentAt', 'desc').limit(50).get();
      return sendJson(res, 200, { messages: data });
    }
    if (path === '/api/stats' && method === 'GET') {
      return sendJson(res, 200, { invocations: host.invocationCount, byFunction: Object.fromEntries(host.countsByFunction), killed: host.killedCount, notifications: notificationCounts, model: modelStats });
    }
    return sendJson(res, 404, { errMsg: `no route ${method} ${path}` });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, hostName, () => resolve());
  });

  // The functions' environment, with local defaults for everything the cloud would configure.
  const defaults: Record<string, string> = {
    PAY_MODE: 'simulator',
    LOCAL_MODEL_URL: `${baseUrl()}/v1`,
    CLOUD_ENV_ID: 'local',
    WXPAY_SUB_MCH_ID: '1900000109',
    MINIPROGRAM_STATE: 'developer',
    SUBSCRIBE_TEMPLATE_ID: 'local-result-template',
    ...v3FunctionEnv(v3Keys, baseUrl()),
    ...secrets,
  };
  for (const [key, value] of Object.entries(defaults)) process.env[key] ??= value;

  host = new FunctionHost(options.functionsDir);
  host.load();
  // Chaos: a `generate` worker killed mid-stream, as a crashed or frozen instance would be.
  const killsByOrder = new Map<string, number>();
  host.onInvocationStart = (invocation, event) => {
    const { killGenerate, killAfterMs, maxKillsPerOrder } = faults.worker;
    if (invocation.functionName !== 'generate' || killGenerate <= 0 || Math.random() >= killGenerate) return;
    const orderId = String((event as { orderId?: unknown } | null)?.orderId);
    const kills = killsByOrder.get(orderId) ?? 0;
    if (maxKillsPerOrder > 0 && kills >= maxKillsPerOrder) return;
    const [min, max] = killAfterMs;
    const kill = () => {
      if (host.stop(invocation)) killsByOrder.set(orderId, kills + 1);
    };
    // [0, 0]: the worker dies before it does anything (a function that cannot start at all).
    if (max === 0) kill();
    else setTimeout(kill, max > min ? randomInt(min, max + 1) : min);
  };
  await simulator.resume();

  const timers: NodeJS.Timeout[] = [];
  if (options.timers) {
    for (const name of host.names()) {
      for (const trigger of host.configs.get(name)?.triggers ?? []) {
        if (trigger.type !== 'timer') continue;
        const every = options.timerIntervalMs ?? cronIntervalMs(trigger.config);
        timers.push(setInterval(() => void host.invoke(name, {}).catch(() => undefined), every));
      }
    }
  }

  return {
    url: baseUrl(),
    server,
    host,
    simulator,
    async close() {
      for (const timer of timers) clearInterval(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
      await platformStore.close();
    },
  };
}
