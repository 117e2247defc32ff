import { createHmac } from 'node:crypto';
import type { OrderDocument } from '../core/orders/order';
import { eventFor, type StreamEventData } from '../core/streaming/events';
import { serveOrderStream, type OrderStreamDeps, type SseChannel, type StreamRequest } from '../core/streaming/orderStream';
import { readStreamSettings } from '../core/streaming/settings';
import { checkTicketClaims, issueStreamTicket, STREAM_TICKET_TTL_MS } from '../core/streaming/ticket';
import { hashOpenid } from '../core/security/identity';
import { VirtualClock } from './support/virtualClock';

const SECRET = 'a'.repeat(64);
const OPENID = 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o';
const HASH_SECRET = 'h'.repeat(64);
const USER_HASH = hashOpenid(OPENID, HASH_SECRET);
const NOW = Date.UTC(2026, 11, 1, 12);

function stored(patch: Partial<OrderDocument> = {}): OrderDocument {
  return {
    _id: 'ord_A',
    outTradeNo: 'AI2026120112000000000000000000A',
    userHash: USER_HASH,
    tier: 'quick',
    amountFen: 50,
    description: 'AI快速回答',
    prompt: '秋天',
    redactions: {},
    conversationId: 'cA',
    status: 'generating',
    rev: 4,
    output: '',
    outputComplete: false,
    createdAt: NOW - 10_000,
    updatedAt: NOW,
    expiresAt: NOW + 1_800_000,
    attempts: 1,
    ...patch,
  };
}

/** The framework's SSE object as the function sees it, recording what it sends. */
class RecordingSse implements SseChannel {
  closed = false;
  events: Array<{ id?: string; event?: string; data: unknown }> = [];
  send(event: { id?: string; event?: string; data: unknown }): boolean {
    this.events.push(event);
    return true;
  }
  end(event: { event?: string; data: unknown }): void {
    this.events.push(event);
    this.closed = true;
  }
  get data(): StreamEventData[] {
    return this.events.filter((event) => event.event === undefined).map((event) => event.data as StreamEventData);
  }
  get ending(): unknown {
    return this.events.find((event) => event.event === 'end')?.data;
  }
}

function request(query: Record<string, string>, headers: Record<string, string> = {}): StreamRequest {
  const url = new URL('https://env.ap-shanghai.app.tcloudbase.com/stream');
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  return { method: 'GET', url, headers };
}

/** A store whose order changes as `script` says at given times, read as the stream reads it. */
function scripted(clock: VirtualClock, script: Array<[number, Partial<OrderDocument>]>, base = stored()): OrderStreamDeps & { reads: number } {
  const deps = {
    reads: 0,
    ticketSecret: SECRET,
    clock,
    windowMs: 55_000,
    pollMs: 300,
    readOrder: async (orderId: string) => {
      deps.reads += 1;
      if (orderId !== base._id) return null;
      let current = base;
      for (const [at, patch] of script) if (clock.now() >= at) current = { ...current, ...patch };
      return current;
    },
  };
  return deps;
}

describe('stream tickets', () => {
  const ticket = issueStreamTicket(SECRET, { orderId: 'ord_A', userHash: USER_HASH, now: NOW });

  test('a ticket carries neither the openid nor the user hash, only the order and its expiry', () => {
    const decoded = Buffer.from(ticket.split('.')[0] as string, 'base64url').toString('utf8');
    expect(JSON.parse(decoded)).toEqual({ o: 'ord_A', e: NOW + STREAM_TICKET_TTL_MS });
    for (const secret of [OPENID, USER_HASH]) {
      expect(ticket).not.toContain(secret);
      expect(decoded).not.toContain(secret);
      expect(Buffer.from(ticket.split('.')[1] as string, 'base64url').toString('latin1')).not.toContain(secret);
    }
  });

  test('a forged ticket gets 401: a signature made with another key, or claims edited after signing', async () => {
    const clock = new VirtualClock(NOW);
    const forgedKey = issueStreamTicket('b'.repeat(64), { orderId: 'ord_A', userHash: USER_HASH, now: NOW });
    const [, mac] = ticket.split('.');
    const longer = `${Buffer.from(JSON.stringify({ o: 'ord_A', e: NOW + 365 * 86_400_000 })).toString('base64url')}.${mac}`;
    const selfMade = `${Buffer.from(JSON.stringify({ o: 'ord_A', e: NOW + 60_000 })).toString('base64url')}.${createHmac('sha256', 'guess').update('ord_A').digest('base64url')}`;
    for (const forged of [forgedKey, longer, selfMade, 'not-a-ticket', `${ticket}.extra`]) {
      const sse = new RecordingSse();
      const answer = await serveOrderStream(scripted(clock, []), request({ orderId: 'ord_A', ticket: forged }), () => sse);
      expect(answer?.statusCode).toBe(401);
      expect(sse.events).toEqual([]);
    }
  });

  test('a genuine ticket for another user’s order gets 401: it verifies only against its owner', async () => {
    const clock = new VirtualClock(NOW);
    const someoneElse = issueStreamTicket(SECRET, { orderId: 'ord_A', userHash: hashOpenid('another-user', HASH_SECRET), now: NOW });
    const answer = await serveOrderStream(scripted(clock, []), request({ orderId: 'ord_A', ticket: someoneElse }), () => new RecordingSse());
    expect(answer?.statusCode).toBe(401);
  });

  test('an expired ticket, or one presented for another order, gets 403 without a database read', async () => {
    const late = scripted(new VirtualClock(NOW + STREAM_TICKET_TTL_MS), []);
    expect((await serveOrderStream(late, request({ orderId: 'ord_A', ticket }), () => new RecordingSse()))?.statusCode).toBe(403);
    const elsewhere = scripted(new VirtualClock(NOW + 1_000), []);
    expect((await serveOrderStream(elsewhere, request({ orderId: 'ord_B', ticket }), () => new RecordingSse()))?.statusCode).toBe(403);
    expect(late.reads + elsewhere.reads).toBe(0);
    expect(checkTicketClaims(ticket, 'ord_A', NOW + STREAM_TICKET_TTL_MS - 1)).toMatchObject({ ok: true });
  });

  test('a short STREAM_TICKET_SECRET or a STREAM_BASE_URL with a query is refused at start-up', () => {
    expect(() => readStreamSettings({ STREAM_TICKET_SECRET: 'short' })).toThrow('STREAM_TICKET_SECRET is too short');
    expect(() => readStreamSettings({ STREAM_BASE_URL: 'https://x.example/stream?a=1' })).toThrow('STREAM_BASE_URL must be');
    expect(readStreamSettings({})).toEqual({ ticketSecret: null, baseUrl: null });
  });
});

describe('the order stream', () => {
  const ticket = issueStreamTicket(SECRET, { orderId: 'ord_A', userHash: USER_HASH, now: NOW });

  async function run(script: Array<[number, Partial<OrderDocument>]>, query: Record<string, string> = {}, headers: Record<string, string> = {}) {
    const clock = new VirtualClock(NOW);
    const sse = new RecordingSse();
    const deps = scripted(clock, script);
    const done = serveOrderStream(deps, request({ orderId: 'ord_A', ticket, ...query }, headers), () => sse);
    await clock.run(done);
    return { sse, deps, answer: await done, clock };
  }

  test('sends the state at once, then what each write added, and ends once the order is terminal', async () => {
    const { sse, answer } = await run([
      [NOW + 1_000, { rev: 5, output: '秋风' }],
      [NOW + 2_000, { rev: 6, output: '秋风起，🍂落' }],
      [NOW + 3_000, { rev: 7, status: 'completed', output: '秋风起，🍂落满山。', outputComplete: true }],
    ]);
    expect(answer).toBeUndefined();
    expect(sse.data.map((event) => [event.rev, event.status, event.from, event.text])).toEqual([
      [4, 'generating', 0, ''],
      [5, 'generating', 0, '秋风'],
      [6, 'generating', 2, '起，🍂落'],
      [7, 'completed', 7, '满山。'],
    ]);
    expect(sse.events.filter((event) => event.event === undefined).map((event) => event.id)).toEqual(['4', '5', '6', '7']);
    expect(sse.ending).toEqual({ reason: 'terminal' });
  });

  test('a restart on another model is an event from 0 with the new text, so the page drops what it showed', async () => {
    const { sse } = await run([
      [NOW + 1_000, { rev: 5, output: 'First model writes' }],
      [NOW + 2_000, { rev: 6, output: '' }],
      [NOW + 3_000, { rev: 7, output: 'Second' }],
      [NOW + 4_000, { rev: 8, status: 'completed', output: 'Second model', outputComplete: true }],
    ]);
    expect(sse.data.slice(1).map((event) => [event.from, event.text])).toEqual([
      [0, 'First model writes'],
      [0, ''],
      [0, 'Second'],
      [6, ' model'],
    ]);
  });

  test('a reconnect resumes after the page’s rev: nothing it has is sent again, and the join is anchored', async () => {
    const { sse } = await run(
      [
        [NOW, { rev: 6, output: 'The answer so far' }],
        [NOW + 1_000, { rev: 7, output: 'The answer so far, and more' }],
        [NOW + 2_000, { rev: 8, status: 'completed', outputComplete: true, output: 'The answer so far, and more.' }],
      ],
      { rev: '6', chars: '17' },
    );
    expect(sse.data.map((event) => [event.rev, event.from, event.anchor, event.text])).toEqual([
      [7, 17, 'The answer so far'.slice(-16), ', and more'],
      [8, 27, 'The answer so far, and more'.slice(11, 27), '.'],
    ]);
  });

  test('Last-Event-ID alone resumes after that rev and sends the whole text (its length is not known)', async () => {
    const { sse } = await run([[NOW + 1_000, { rev: 7, status: 'completed', outputComplete: true, output: 'All of it' }]], {}, { 'last-event-id': '6' });
    expect(sse.data.map((event) => [event.rev, event.from, event.text])).toEqual([[7, 0, 'All of it']]);
  });

  test('the connection ends cleanly before the function’s time limit, for the page to reconnect', async () => {
    const { sse, clock } = await run([]);
    expect(sse.ending).toEqual({ reason: 'window' });
    expect(clock.now() - NOW).toBeLessThanOrEqual(55_000);
  });

  test('a viewer that goes away ends the reading: the stream stops at the next look', async () => {
    const clock = new VirtualClock(NOW);
    const sse = new RecordingSse();
    const deps = scripted(clock, []);
    const done = serveOrderStream(deps, request({ orderId: 'ord_A', ticket }), () => sse);
    await clock.advance(1_000);
    sse.closed = true;
    const readsThen = deps.reads;
    await clock.run(done);
    expect(deps.reads).toBeLessThanOrEqual(readsThen + 1);
  });

  test('an event never splits a character made of two UTF-16 units', () => {
    const order = stored({ output: 'a🍂b' });
    expect(eventFor(order, { chars: 2 }).data).toMatchObject({ from: 1, text: '🍂b' });
  });
});
