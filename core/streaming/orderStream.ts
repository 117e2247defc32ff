import type { Clock } from '../clock';
import type { OrderDocument } from '../orders/order';
import { isTerminal } from '../orders/states';
import { eventFor, type PageView, type StreamEndReason } from './events';
import { checkTicketClaims, checkTicketSignature } from './ticket';

/**
 * The part of the Functions Framework's SSE object the stream uses (`context.sse()`:
 * @cloudbase/functions-framework build/function-sse.js; typings in @cloudbase/functions-typings
 * `sse.IServerSentEvent`; https://docs.cloudbase.net/cloud-function/function-calls/sse). `send`
 * writes `id:`/`event:`/`data:` lines (an object `data` as its JSON), `end` writes a last event
 * and closes, `closed` turns true once the client went away. The framework itself writes a
 * `: heartbeat` comment every 3 s (`KEEPALIVE_INTERVAL_MS`), which keeps proxies from closing an
 * idle connection.
 */
export interface SseChannel {
  readonly closed: boolean;
  send(event: { id?: string; event?: string; data: unknown }): boolean;
  end(event: { event?: string; data: unknown }): void;
}

/** An HTTP answer as the framework sends a returned `{ statusCode, headers, body }` (unified-responder.js). */
export interface HttpAnswer {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export interface StreamRequest {
  method: string;
  url: URL;
  headers: Record<string, string | string[] | undefined>;
}

export interface OrderStreamDeps {
  ticketSecret: string;
  readOrder(orderId: string): Promise<OrderDocument | null>;
  clock: Clock;
  /** The connection is ended cleanly this long after it began: before the function's time limit. */
  windowMs: number;
  /** How often the store is read while the order is open: the same pace as getOrder's long-poll. */
  pollMs: number;
}

/** A store read that fails this many times in a row ends the stream; the page reconnects later. */
const MAX_READ_FAILURES = 3;

function answer(statusCode: number, message: string): HttpAnswer {
  return { statusCode, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }, body: JSON.stringify({ error: message }) };
}

function header(request: StreamRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function wholeNumber(text: string | null | undefined): number | undefined {
  return text !== null && text !== undefined && /^\d{1,15}$/.test(text) ? Number(text) : undefined;
}

/** Where the page resumes: `rev` (query, or the SSE `Last-Event-ID` header) and the length of text it holds (`chars`). */
function resumePoint(request: StreamRequest): { rev: number; view: PageView } {
  const rev = wholeNumber(request.url.searchParams.get('rev')) ?? wholeNumber(header(request, 'last-event-id'));
  const chars = wholeNumber(request.url.searchParams.get('chars'));
  if (rev === undefined) return { rev: -1, view: null };
  return { rev, view: chars === undefined ? null : { chars } };
}

/**
 * Serves one connection of `GET <STREAM_BASE_URL>?orderId=…&ticket=…[&rev=…&chars=…]`: checks the
 * ticket (401/403, ./ticket.ts), then sends an event (./events.ts) whenever the order's `rev` moves
 * past what the page has, and ends with an `end` event once the order is final (`terminal`), the
 * window is over (`window`: the page reconnects), the order is gone, or the store cannot be read.
 * It only reads: generation never depends on a viewer, and a viewer that goes away changes nothing.
 * Returns the HTTP answer for a refused request; undefined once it streamed.
 */
export async function serveOrderStream(deps: OrderStreamDeps, request: StreamRequest, openSse: () => SseChannel | null): Promise<HttpAnswer | undefined> {
  if (request.method !== 'GET') return answer(405, 'use GET');
  const orderId = request.url.searchParams.get('orderId') ?? '';
  const ticket = request.url.searchParams.get('ticket') ?? '';
  if (!orderId || !ticket) return answer(400, 'orderId and ticket are required');
  const startedAt = deps.clock.now();
  const claims = checkTicketClaims(ticket, orderId, startedAt);
  if (!claims.ok) return answer(claims.status, claims.reason);
  const found = await deps.readOrder(orderId).catch(() => undefined);
  if (found === undefined) return answer(503, 'the order cannot be read now; try again');
  const signed = checkTicketSignature(deps.ticketSecret, ticket, claims.claims, found?.userHash ?? null);
  if (!signed.ok) return answer(signed.status, signed.reason);
  if (found === null) return answer(401, 'the ticket does not verify');
  let order: OrderDocument = found;

  const sse = openSse();
  if (!sse) return answer(500, 'this function cannot stream');
  let { rev: sentRev, view } = resumePoint(request);
  let failures = 0;
  const end = (reason: StreamEndReason) => {
    if (!sse.closed) sse.end({ event: 'end', data: { reason } });
  };
  for (;;) {
    if (sse.closed) return undefined;
    if (order.rev > sentRev) {
      const next = eventFor(order, view);
      sse.send({ id: String(order.rev), data: next.data });
      view = next.view;
      sentRev = order.rev;
    }
    if (isTerminal(order.status)) return void end('terminal');
    if (deps.clock.now() - startedAt + deps.pollMs >= deps.windowMs) return void end('window');
    await deps.clock.sleep(deps.pollMs);
    if (sse.closed) return undefined;
    try {
      const read = await deps.readOrder(orderId);
      if (!read) return void end('gone');
      order = read;
      failures = 0;
    } catch {
      failures += 1;
      if (failures >= MAX_READ_FAILURES) return void end('unavailable');
    }
  }
}
