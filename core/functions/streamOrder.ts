import { systemClock } from '../clock';
import { log } from '../log';
import { orderReader } from '../orders/repository';
import type { Database } from '../platform/wxCloud';
import { serveOrderStream, type HttpAnswer, type SseChannel } from '../streaming/orderStream';
import { readStreamSettings } from '../streaming/settings';
import { FUNCTIONS } from './catalog';

/**
 * `streamOrder`, an HTTP cloud function (函数型云函数) run by @cloudbase/functions-framework
 * (docs/STREAMING.md): it streams an order's text as Server-Sent Events. Its `main(event, context)`
 * is called by the framework with `context.httpContext` (`url`, `httpMethod`, `headers`:
 * build/middlewares/context.js) and `context.sse()` (build/function-wrapper.js); one SSE
 * connection is one invocation on an instance of its own, bounded by the function's time limit
 * (https://docs.cloudbase.net/cloud-function/develop/sse, "连接生命周期").
 */

/** What the Functions Framework passes as `context` (@cloudbase/functions-typings: BaseContext, HTTPContext, ExtendedContext). */
export interface HttpFunctionContext {
  eventID?: string;
  httpContext?: { url: string; httpMethod: string; headers: Record<string, string | string[] | undefined> };
  sse?: () => SseChannel | null;
  extendedContext?: unknown;
}

/**
 * The part of @cloudbase/node-sdk this function uses. An HTTP function reads the database with the
 * server SDK, as every CloudBase function may ("调用云开发资源":
 * https://docs.cloudbase.net/cloud-function/resource-integration/cloudbase). It is initialised per
 * invocation with the framework's `context`: @cloudbase/node-sdk (dist/cloudbase.js, `init`) then
 * signs with `context.extendedContext.tmpSecret` when the platform passes one (函数型云托管 requires
 * this: https://docs.cloudbase.net/cbrf/how-to-invoke-tcb, "不要缓存 tcbapp 实例"), and otherwise
 * with the instance's TENCENTCLOUD_SECRETID/SECRETKEY/SESSIONTOKEN (`getCredentialsOnDemand`,
 * dist/utils/tcbapirequester.js). Which of the two a CloudBase HTTP function gets is not settled by
 * the public docs; passing `context` works with either.
 */
export interface NodeSdk {
  init(config: { env: unknown; context?: unknown }): { database(): Database };
  SYMBOL_CURRENT_ENV: unknown;
}

/** The store is read at getOrder's long-poll pace (core/functions/getOrder.ts, POLL_INTERVAL_MS). */
export const STREAM_POLL_MS = 300;
/** The stream ends this long before the function's time limit, so it closes cleanly and the page reconnects. */
export const STREAM_MARGIN_MS = 5_000;
export const STREAM_WINDOW_MS = FUNCTIONS.streamOrder.timeoutSeconds * 1000 - STREAM_MARGIN_MS;

export type HttpMain = (event: unknown, context: HttpFunctionContext) => Promise<HttpAnswer | string>;

export function streamOrderFunction(sdk: unknown): HttpMain {
  const tcb = sdk as NodeSdk;
  return async (_event, context) => {
    const http = context.httpContext;
    if (!http) return { statusCode: 400, headers: { 'content-type': 'text/plain' }, body: 'streamOrder is reached over HTTP' };
    const settings = readStreamSettings(process.env);
    if (!settings.ticketSecret) {
      log('error', 'stream_unconfigured', { reason: 'STREAM_TICKET_SECRET is not set' });
      return { statusCode: 503, headers: { 'content-type': 'text/plain' }, body: 'streaming is not configured' };
    }
    const orders = orderReader(tcb.init({ env: tcb.SYMBOL_CURRENT_ENV, context }).database(), () => systemClock.now());
    const answer = await serveOrderStream(
      { ticketSecret: settings.ticketSecret, readOrder: (orderId) => orders.findById(orderId), clock: systemClock, windowMs: STREAM_WINDOW_MS, pollMs: STREAM_POLL_MS },
      { method: http.httpMethod, url: new URL(http.url), headers: http.headers },
      () => context.sse?.() ?? null,
    );
    // Streamed: the framework ignores what an SSE handler returns.
    return answer ?? '';
  };
}
