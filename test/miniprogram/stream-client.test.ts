import { SseParser } from '../../miniprogram/services/sse';
import { MAX_FAILED_CONNECTIONS, OrderStream, type LiveText, type StreamStop } from '../../miniprogram/services/stream';
import { TextDecoder } from 'node:util';
import { Utf8Decoder } from '../../miniprogram/services/utf8';
import { buffer, encode, FakeStreamServer } from './fakeStream';
import { VirtualTimers } from './virtualTimers';

describe('UTF-8 across chunk boundaries (no TextDecoder)', () => {
  const text = '秋天的诗：枫叶🍁落，月光🌕明。Autumn ✓';
  const bytes = encode(text);

  test('every split position of a Chinese + emoji text decodes to the same text', () => {
    for (let i = 0; i <= bytes.length; i += 1) {
      const decoder = new Utf8Decoder();
      expect(decoder.decode(buffer(bytes.slice(0, i))) + decoder.decode(buffer(bytes.slice(i))) + decoder.flush()).toBe(text);
    }
  });

  test('every pair of split positions, and one byte at a time, decode to the same text', () => {
    for (let i = 0; i <= bytes.length; i += 1) {
      for (let j = i; j <= bytes.length; j += 1) {
        const decoder = new Utf8Decoder();
        expect([bytes.slice(0, i), bytes.slice(i, j), bytes.slice(j)].map((piece) => decoder.decode(buffer(piece))).join('') + decoder.flush()).toBe(text);
      }
    }
    const decoder = new Utf8Decoder();
    expect([...bytes].map((byte) => decoder.decode(buffer(Uint8Array.of(byte)))).join('')).toBe(text);
  });

  test('malformed bytes become U+FFFD, as TextDecoder would show them', () => {
    const decoder = new Utf8Decoder();
    const bad = Uint8Array.of(0x61, 0xff, 0x62, 0xe6, 0x9c, 0x63, 0xc0, 0xaf, 0xed, 0xa0, 0x80);
    expect(decoder.decode(buffer(bad)) + decoder.flush()).toBe(new TextDecoder().decode(bad));
    expect(decoder.decode(buffer(Uint8Array.of(0xe6, 0x9c))) + decoder.flush()).toBe('\uFFFD');
  });
});

describe('the event stream parser', () => {
  test('events fed a character at a time: comments skipped, CRLF / CR / LF lines, data lines joined, ids kept', () => {
    const wire = ': heartbeat\n\nid: 4\r\ndata: {"a":1}\r\n\r\nevent: end\rdata: one\rdata: two\r\r: heartbeat\n\nid: 5\ndata\n\n';
    const parser = new SseParser();
    const events = [...wire].flatMap((char) => parser.feed(char));
    expect(events).toEqual([
      { event: 'message', data: '{"a":1}', lastEventId: '4' },
      { event: 'end', data: 'one\ntwo', lastEventId: '4' },
      { event: 'message', data: '', lastEventId: '5' },
    ]);
  });
});

describe('the live stream client', () => {
  const start: LiveText = { rev: 4, status: 'generating', output: '', outputComplete: false, error: null };

  function streamWith(server: FakeStreamServer, timers: VirtualTimers) {
    const updates: Array<{ live: LiveText; restarted: boolean }> = [];
    const stops: StreamStop[] = [];
    const stream = new OrderStream('/stream?orderId=ord_1&ticket=t', start, { onUpdate: (live, restarted) => updates.push({ live, restarted }), onStop: (reason) => stops.push(reason) }, server.open, { timers });
    stream.start();
    return { stream, updates, stops };
  }

  test('a reconnect resumes from the rev and the text the page has, after a back-off', async () => {
    const server = new FakeStreamServer();
    const timers = new VirtualTimers();
    const { updates, stops } = streamWith(server, timers);
    expect(server.last.url).toBe('http://127.0.0.1:8787/stream?orderId=ord_1&ticket=t&rev=4&chars=0');
    server.event(5, { from: 0, text: '秋风' });
    server.event(6, { from: 2, text: '起🍂', anchor: '秋风' });
    server.last.callbacks.onFail('request:fail net::ERR_CONNECTION_RESET');
    expect(timers.scheduled).toEqual([500]);
    await timers.fireNext();
    expect(server.connections).toHaveLength(2);
    expect(server.last.url).toBe('http://127.0.0.1:8787/stream?orderId=ord_1&ticket=t&rev=6&chars=5');
    expect(server.last.header['Last-Event-ID']).toBe('6');
    server.event(7, { status: 'completed', from: 5, text: '。', anchor: '秋风起🍂', outputComplete: true });
    server.end('terminal');
    expect(updates.map((update) => update.live.output)).toEqual(['秋风', '秋风起🍂', '秋风起🍂。']);
    expect(stops).toEqual(['terminal']);
  });

  test('a window that ends cleanly reconnects at once; a restart replaces the text and says so', async () => {
    const server = new FakeStreamServer();
    const timers = new VirtualTimers();
    const { updates } = streamWith(server, timers);
    server.event(5, { text: 'First model' });
    server.end('window');
    expect(timers.scheduled).toEqual([0]);
    await timers.fireNext();
    server.event(6, { from: 0, text: 'Second' });
    expect(updates.map((update) => [update.live.output, update.restarted])).toEqual([
      ['First model', false],
      ['Second', true],
    ]);
  });

  test('text that no longer fits the answer (a restart while away) is asked for again, whole', async () => {
    const server = new FakeStreamServer();
    const timers = new VirtualTimers();
    const { updates } = streamWith(server, timers);
    server.event(5, { text: 'Hello' });
    server.event(9, { from: 5, text: ' again', anchor: 'Howdy' });
    expect(server.connections[0]?.aborted).toBe(true);
    await timers.fireNext();
    expect(server.last.url).toBe('http://127.0.0.1:8787/stream?orderId=ord_1&ticket=t');
    server.event(9, { from: 0, text: 'Howdy again' });
    expect(updates.map((update) => update.live.output)).toEqual(['Hello', 'Howdy again']);
  });

  test('a refused ticket (401) or an expired one (403) stops the stream and says which', () => {
    for (const [status, reason] of [
      [401, 'refused'],
      [403, 'expired'],
    ] as const) {
      const server = new FakeStreamServer();
      const { stops } = streamWith(server, new VirtualTimers());
      server.send('{"error":"no"}');
      server.last.callbacks.onDone(status);
      expect(stops).toEqual([reason]);
    }
  });

  test(`connections that keep failing stop the stream after ${MAX_FAILED_CONNECTIONS}, backing off between them`, async () => {
    const server = new FakeStreamServer();
    const timers = new VirtualTimers();
    const { stops } = streamWith(server, timers);
    const waits: number[] = [];
    for (let i = 1; i < MAX_FAILED_CONNECTIONS; i += 1) {
      server.last.callbacks.onFail('request:fail timeout');
      waits.push(await timers.fireNext());
    }
    server.last.callbacks.onFail('request:fail timeout');
    expect(waits).toEqual([500, 1_000, 2_000]);
    expect(stops).toEqual(['failing']);
    expect(server.connections).toHaveLength(MAX_FAILED_CONNECTIONS);
  });
});

