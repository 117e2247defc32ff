import type { IncomingMessage, ServerResponse } from 'node:http';
import { isClientCallable } from '../core/functions/catalog';
import { CLOUDBASE_API_PATH } from './cloudbase/server';
import { SECURITY_CHECKS, SENT_MESSAGES, SHIPPING_UPLOADS } from './cloudbase/openapiHandlers';
import type { CloudbaseDispatcher } from './cloudbase/dispatcher';
import type { DbFaultCounts } from './cloudbase/dbFaults';
import { callers, CLIENT_SOURCES } from './functions/callers';
import { clientFailure } from './functions/failure';
import type { FunctionHost } from './functions/host';
import type { HttpFunctions } from './functions/httpFunctions';
import { HttpError, readBody, readJsonBody, sendJson } from './http';
import type { ModelServerStats } from './model/modelServer';
import type { PayDelivery } from './pay/delivery';
import { mergeFaults, type Faults } from './pay/faults';
import type { PaySimulator } from './pay/simulator';
import type { Database } from '../core/platform/wxCloud';
import { describeProfile, sleep, type CloudProfile, type DelaySource } from './profile/cloudProfile';
import type { InstancePool } from './profile/instances';
import type { XpayEmulator } from './wechat/emulator';
import { simulateVirtual, wechatRoutes } from './wechat/routes';

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL, match: RegExpExecArray) => Promise<void>;

interface Route {
  method: 'GET' | 'POST' | 'ANY';
  path: RegExp;
  handler: Handler;
}

export interface RouteParts {
  host: FunctionHost;
  /** The HTTP functions (streamOrder), on @cloudbase/functions-framework. */
  httpFunctions: HttpFunctions;
  simulator: PaySimulator;
  delivery: PayDelivery;
  dispatcher: CloudbaseDispatcher;
  functionsDb: Database;
  platformDb: Database;
  faults: { get(): Faults; set(next: Faults): void };
  modelStats: ModelServerStats;
  /** The `db` faults that happened, by kind. */
  dbFaultCounts: DbFaultCounts;
  cloudbaseApi: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  preview: (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;
  model: (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;
  v3Api: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;
  /** The cloud latency profile, when one is on (local/profile). */
  profile: { profile: CloudProfile | null; delays: DelaySource | null; pool: InstancePool | null };
  /** WeChat's side of mini program virtual payment (local/wechat). */
  wechat: XpayEmulator;
}

const DEFAULT_OPENID = 'local-user';
const SOURCE_PATTERN = /^[a-z_]{1,32}(,[a-z_]{1,32}){0,7}$/;

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * `200 { result }`, or, when the function did not answer, `500 { errCode, errMsg }` in the words a
 * mini program's `wx.cloud.callFunction` rejects with (-504003 for a time limit, -504002 otherwise;
 * local/functions/failure.ts).
 */
async function invokeAndAnswer(res: ServerResponse, run: () => Promise<unknown>): Promise<void> {
  try {
    sendJson(res, 200, { result: await run() });
  } catch (error) {
    sendJson(res, 500, clientFailure(error));
  }
}

/** The runtime's HTTP routes, one table. */
export function createRoutes(parts: RouteParts): Route[] {
  const { host, simulator } = parts;
  return [
    ...wechatRoutes(parts.wechat),
    { method: 'ANY', path: /^\/(preview\/.*)?$/, handler: async (req, res) => parts.preview(req, res) },
    { method: 'GET', path: /^\/healthz$/, handler: async (_req, res) => sendJson(res, 200, { ok: true, functions: host.names(), functionsNode: await host.nodeVersions() }) },
    { method: 'POST', path: new RegExp(`^${CLOUDBASE_API_PATH}$`), handler: async (req, res) => parts.cloudbaseApi(req, res) },
    { method: 'POST', path: /^\/v1\/chat\/completions$/, handler: async (req, res) => parts.model(req, res) },
    { method: 'GET', path: /^\/v1\/models$/, handler: async (_req, res) => sendJson(res, 200, { object: 'list', data: [{ id: 'local', object: 'model', owned_by: 'local' }] }) },
    {
      // Every function, as any mini program can call any function by name. X-WX-OPENID names the
      // caller, X-WX-SOURCE its source chain (getWXContext().SOURCE; default wx_client).
      method: 'POST',
      path: /^\/api\/functions\/([A-Za-z0-9_]+)$/,
      handler: async (req, res, _url, match) => {
        const name = match[1] as string;
        if (!host.has(name)) return sendJson(res, 404, { errMsg: `no function ${name}` });
        const body = await readJsonBody(req);
        const source = header(req, 'x-wx-source') ?? 'wx_client';
        if (!SOURCE_PATTERN.test(source)) throw new HttpError(400, 'X-WX-SOURCE must be a SOURCE chain such as wx_client or wx_client,scf');
        const lastHop = source.split(',').pop() as string;
        const fromClient = (CLIENT_SOURCES as readonly string[]).includes(lastHop);
        const openid = header(req, 'x-wx-openid')?.slice(0, 128) ?? DEFAULT_OPENID;
        const caller = fromClient ? callers.client(openid, source) : { source };
        // The cloud profile: the mini program's wx.cloud.callFunction crosses the phone's network
        // and WeChat's gateway both ways (half the drawn round trip each way).
        const network = fromClient ? (parts.profile.delays?.draw('client') ?? 0) : 0;
        return invokeAndAnswer(res, async () => {
          await sleep(network / 2);
          const result = await host.invoke(name, body.data ?? {}, caller);
          await sleep(network / 2);
          return result;
        });
      },
    },
    {
      // A trigger fired now, with the source it has on the platform: a timer (reconcile), a pay callback, …
      method: 'POST',
      path: /^\/api\/triggers\/([A-Za-z0-9_]+)$/,
      handler: async (req, res, _url, match) => {
        const name = match[1] as string;
        if (isClientCallable(name) || !host.has(name)) return sendJson(res, 404, { errMsg: `no triggered function ${name}` });
        const body = await readJsonBody(req);
        const caller = name === 'payCallback' || name === 'refundCallback' ? callers.payCallback() : name === 'generate' ? callers.function('wx_trigger,scf') : callers.timer();
        return invokeAndAnswer(res, () => host.invoke(name, body.data ?? {}, caller));
      },
    },
    {
      method: 'ANY',
      path: /^\/v3\//,
      handler: async (req, res, url) => {
        if (!(await parts.v3Api(req, res, url))) sendJson(res, 404, { errMsg: 'no such WeChat Pay API' });
      },
    },
    {
      // streamOrder's HTTP access path (its STREAM_BASE_URL here): each request is one invocation of
      // the HTTP function, run by @cloudbase/functions-framework (local/functions/httpFunctions.ts).
      method: 'GET',
      path: /^\/stream$/,
      handler: async (req, res, url) => parts.httpFunctions.forward('streamOrder', req, res, url),
    },
    {
      // payNotify's HTTP access (CloudBase HTTP access service: SOURCE wx_http). The function gets
      // the raw body, base64-encoded: signatures are over those bytes.
      method: 'POST',
      path: /^\/api\/notify\/wechatpay$/,
      handler: async (req, res, url) => {
        const raw = await readBody(req);
        const answer = (await host.invoke('payNotify', { httpMethod: 'POST', path: url.pathname, headers: req.headers, body: raw.toString('base64'), isBase64Encoded: true }, callers.http())) as {
          statusCode?: number;
          headers?: Record<string, string>;
          body?: string;
        };
        res.writeHead(answer.statusCode ?? 502, answer.headers ?? {});
        res.end(answer.body ?? '');
      },
    },
    {
      // Local-runtime only, read-only: the stored order, its audit events and WeChat's side of it.
      method: 'GET',
      path: /^\/api\/inspect\/orders\/([A-Za-z0-9_-]{1,64})$/,
      handler: async (_req, res, _url, match) => {
        const outTradeNo = match[1] as string;
        const { data: orders } = await parts.functionsDb.collection('orders').where({ outTradeNo }).limit(1).get();
        const order = orders[0];
        if (!order) return sendJson(res, 404, { errMsg: `no order ${outTradeNo}` });
        const { data: events } = await parts.functionsDb.collection('order_events').where({ orderId: order._id }).orderBy('at', 'asc').limit(100).get();
        sendJson(res, 200, { order, events, trade: await simulator.trade(outTradeNo), refunds: await simulator.refundsFor(outTradeNo) });
      },
    },
    {
      // Local-runtime only, read-only: the last chat completion requests the local model server
      // received (model, max_tokens, messages), newest last: what a follow-up sent as context.
      method: 'GET',
      path: /^\/api\/inspect\/model-requests$/,
      handler: async (_req, res) => sendJson(res, 200, { requests: parts.modelStats.recent ?? [] }),
    },
    {
      // What the emulated cloud calls received: content checks and shipping uploads.
      method: 'GET',
      path: /^\/api\/inspect\/(security-checks|shipping)$/,
      handler: async (_req, res, _url, match) => {
        const collection = match[1] === 'shipping' ? SHIPPING_UPLOADS : SECURITY_CHECKS;
        const order = match[1] === 'shipping' ? 'uploadedAt' : 'checkedAt';
        const { data } = await parts.platformDb.collection(collection).orderBy(order, 'desc').limit(50).get();
        sendJson(res, 200, { records: data });
      },
    },
    {
      method: 'POST',
      path: /^\/api\/pay\/simulate$/,
      handler: async (req, res) => {
        const { outTradeNo, outcome, platform } = await readJsonBody(req);
        if (typeof outTradeNo !== 'string' || (outcome !== 'success' && outcome !== 'cancel' && outcome !== 'fail')) {
          throw new HttpError(400, 'body must be { outTradeNo, outcome: "success" | "cancel" | "fail", platform? }');
        }
        // A virtual payment (an order WeChat's emulator has, or one the server issued parameters for); else cloud pay / API v3.
        const virtual = await simulateVirtual(parts.wechat, outTradeNo, outcome, platform);
        sendJson(res, 200, virtual ?? (await simulator.simulate(outTradeNo, outcome)));
      },
    },
    {
      method: 'ANY',
      path: /^\/api\/faults$/,
      handler: async (req, res) => {
        if (req.method === 'POST') {
          const patch = await readJsonBody(req);
          try {
            parts.faults.set(mergeFaults(parts.faults.get(), patch));
          } catch (error) {
            throw new HttpError(400, error instanceof Error ? error.message : String(error));
          }
        } else if (req.method !== 'GET') throw new HttpError(405, 'GET or POST');
        sendJson(res, 200, parts.faults.get());
      },
    },
    {
      method: 'GET',
      path: /^\/api\/messages$/,
      handler: async (_req, res) => {
        const { data } = await parts.platformDb.collection(SENT_MESSAGES).orderBy('sentAt', 'desc').limit(50).get();
        sendJson(res, 200, { messages: data });
      },
    },
    {
      method: 'GET',
      path: /^\/api\/stats$/,
      handler: async (_req, res) =>
        sendJson(res, 200, {
          invocations: host.invocationCount,
          byFunction: Object.fromEntries(host.countsByFunction),
          killed: host.killedCount,
          functions: { timedOut: host.timedOutCount, lateSettled: host.lateSettledCount, instances: host.instanceCounts() },
          notifications: parts.delivery.counts,
          model: { requests: parts.modelStats.requests, byModel: parts.modelStats.byModel },
          cloudbase: parts.dispatcher.totals,
          dbFaults: parts.dbFaultCounts,
        }),
    },
    {
      // Per invocation: database operations, calls, wall and CPU time, memory, GBs, cold start and
      // the order it belongs to (local/functions/usage.ts). POST clears the list.
      method: 'ANY',
      path: /^\/api\/usage$/,
      handler: async (req, res) => {
        if (req.method === 'POST') host.usage.clear();
        else if (req.method !== 'GET') throw new HttpError(405, 'GET or POST');
        sendJson(res, 200, { invocations: host.usage.list() });
      },
    },
    {
      // The latency profile in force, each bundle's measured load time and the modelled instances.
      method: 'GET',
      path: /^\/api\/profile$/,
      handler: async (_req, res) =>
        sendJson(res, 200, {
          profile: parts.profile.profile,
          description: describeProfile(parts.profile.profile),
          bundleLoadMs: Object.fromEntries(host.loadMs),
          instances: parts.profile.pool?.counts() ?? {},
          coldStarts: Object.fromEntries(parts.profile.pool?.coldStarts ?? []),
        }),
    },
    {
      // Every idle modelled instance recycled, as after the keep-warm window: the next calls start cold.
      method: 'POST',
      path: /^\/api\/profile\/recycle$/,
      handler: async (_req, res) => sendJson(res, 200, { recycled: parts.profile.pool?.recycleIdle() ?? 0 }),
    },
    {
      // One instance of a function started and kept warm (provisioned concurrency, a warm-up call).
      method: 'POST',
      path: /^\/api\/profile\/warm$/,
      handler: async (req, res) => {
        const { name } = await readJsonBody(req);
        if (typeof name !== 'string' || !host.has(name)) throw new HttpError(400, 'body must be { name } of a function');
        parts.profile.pool?.keepWarm(name);
        sendJson(res, 200, { warm: name });
      },
    },
  ];
}

/** Finds the route for a request; 404 / 405 when there is none. */
export async function route(routes: Route[], req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const method = req.method ?? 'GET';
  let pathMatched = false;
  for (const candidate of routes) {
    const match = candidate.path.exec(url.pathname);
    if (!match) continue;
    pathMatched = true;
    if (candidate.method !== 'ANY' && candidate.method !== method) continue;
    return candidate.handler(req, res, url, match);
  }
  sendJson(res, pathMatched ? 405 : 404, { errMsg: `no route ${method} ${url.pathname}` });
}
