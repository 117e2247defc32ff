import { existsSync, readdirSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { SseParser, type SseEvent } from '../miniprogram/services/sse';
import { Utf8Decoder } from '../miniprogram/services/utf8';
import { LocalRuntime } from './support/runtime';
import type { Json } from './support/json';

// streamOrder on the local runtime: the HTTP function, run by @cloudbase/functions-framework behind
// GET /stream, reading the emulated CloudBase with its own per-connection credentials.
let runtime: LocalRuntime;

beforeAll(async () => {
  // Small checked pieces, so that a short answer still reaches the store in several writes.
  runtime = await LocalRuntime.quick({ CONTENT_CHECK_FIRST_SEGMENT_CHARS: '20', CONTENT_CHECK_SEGMENT_CHARS: '40' });
  await runtime.faults({ llm: { firstTokenMs: 200, tokensPerSecond: 60, answerTokens: 150 } });
});
afterAll(async () => {
  await runtime?.stop();
});

interface Streamed {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  events: SseEvent[];
  body: string;
}

/** Reads a stream to its end as the page does: bytes decoded across chunks, then parsed as SSE. */
function read(path: string): Promise<Streamed> {
  return new Promise((resolve, reject) => {
    get(`${runtime.url}${path}`, { headers: { accept: 'text/event-stream' } }, (res) => {
      const decoder = new Utf8Decoder();
      const parser = new SseParser();
      const events: SseEvent[] = [];
      let body = '';
      res.on('data', (chunk: Buffer) => {
        const text = decoder.decode(chunk);
        body += text;
        events.push(...parser.feed(text));
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, events, body }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

async function newOrder(user: string): Promise<{ orderId: string; outTradeNo: string; streamUrl: string }> {
  const created = await runtime.call<Json>('createOrder', { tier: 'quick', prompt: '写一首关于秋天的短诗' }, user);
  const order = created.order as { orderId: string; outTradeNo: string };
  const seen = await runtime.call<Json>('getOrder', { orderId: order.orderId }, user);
  return { ...order, streamUrl: (seen.order as { streamUrl: string }).streamUrl };
}

describe('the live stream on the local runtime', () => {
  test('getOrder hands out a stream path on the runtime; the stream carries the answer until the order completes, then ends', async () => {
    const { orderId, outTradeNo, streamUrl } = await newOrder('stream-user');
    expect(streamUrl).toMatch(/^\/stream\?orderId=[A-Za-z0-9]+&ticket=[\w-]+\.[\w-]+$/);
    expect(streamUrl).not.toContain('stream-user');
    await runtime.pay(outTradeNo);
    const streamed = await read(streamUrl);
    expect(streamed.status).toBe(200);
    expect(streamed.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const data = streamed.events.filter((event) => event.event === 'message').map((event) => JSON.parse(event.data) as { rev: number; status: string; from: number; text: string });
    let text = '';
    for (const event of data) text = text.slice(0, event.from) + event.text;
    const final = (await runtime.call<Json>('getOrder', { orderId }, 'stream-user')).order as { output: string; status: string; rev: number; streamUrl?: string };
    expect(final.status).toBe('completed');
    expect(data[data.length - 1]).toMatchObject({ status: 'completed', rev: final.rev });
    expect(text).toBe(final.output);
    // The answer arrived in several events as it was written, not in one at the end.
    expect(data.filter((event) => event.text.length > 0).length).toBeGreaterThan(1);
    expect(streamed.events[streamed.events.length - 1]).toMatchObject({ event: 'end', data: '{"reason":"terminal"}' });
    // A final order needs no stream.
    expect(final.streamUrl).toBeUndefined();

    // Reconnecting with the rev the page has sends nothing again: the order is final, the stream just ends.
    const again = await read(`${streamUrl}&rev=${final.rev}&chars=${final.output.length}`);
    expect(again.events.map((event) => event.event)).toEqual(['end']);
  });

  test('a forged ticket gets 401, a ticket for another order 403, and neither reads the answer', async () => {
    const mine = await newOrder('stream-owner');
    const other = await newOrder('stream-other');
    const ticketOf = (url: string) => new URL(url, runtime.url).searchParams.get('ticket') as string;
    const [claims] = ticketOf(mine.streamUrl).split('.');
    const forged = await read(`/stream?orderId=${mine.orderId}&ticket=${claims}.${'A'.repeat(43)}`);
    expect(forged.status).toBe(401);
    const elsewhere = await read(`/stream?orderId=${mine.orderId}&ticket=${encodeURIComponent(ticketOf(other.streamUrl))}`);
    expect(elsewhere.status).toBe(403);
    expect(forged.body + elsewhere.body).not.toContain('data:');
  });

  test('it really runs on @cloudbase/functions-framework, and each connection is an invocation with its database reads', async () => {
    const { orderId, outTradeNo, streamUrl } = await newOrder('stream-counted');
    await runtime.post('/api/usage', {});
    await runtime.pay(outTradeNo);
    const streamed = await read(streamUrl);
    // The framework's SSE response names its request (build/function-sse.js), and it keeps its access log where the runtime told it.
    expect(streamed.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const logs = join(runtime.dataDir, 'functions-framework', 'streamOrder');
    expect(existsSync(logs) && readdirSync(logs).length).toBeGreaterThan(0);
    const stats = await runtime.get<{ byFunction: Record<string, number> }>('/api/stats');
    expect(stats.byFunction.streamOrder).toBeGreaterThanOrEqual(1);
    const usage = await runtime.get<{ invocations: Array<{ functionName: string; source: string; dbReads: number; keys: { eventOrderId?: string } }> }>('/api/usage');
    const mine = usage.invocations.filter((record) => record.functionName === 'streamOrder' && record.keys.eventOrderId === orderId);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ source: 'wx_http' });
    expect(mine[0]?.dbReads).toBeGreaterThan(1);
  });
});
