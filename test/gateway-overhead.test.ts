import { chunkDelays, distribution, pairedDifferences, percentile, storeDelays } from '../bench/figures';
import { runAttempt } from '../core/models/attempt';
import { routeCompletion } from '../core/models/router';
import { InProcessModelServer } from './support/modelServer';

/**
 * The arithmetic behind the gateway-overhead figures of `npm run bench` (bench/figures.ts), and the
 * optional probes of runAttempt/routeCompletion that the benchmark times our code with. Nothing
 * here is timed: the figures themselves are only printed by the benchmark.
 */

describe('overhead arithmetic', () => {
  test('percentiles are nearest-rank: p50 of 1..100 is 50, p99 is 99, p100 is the maximum', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
    expect(distribution([3, 1, 2])).toEqual({ n: 3, p50: 2, p95: 3, p99: 3, max: 3 });
  });

  test('added latency is taken pair by pair; pairs of different sizes are refused', () => {
    expect(pairedDifferences([5, 3, 10], [4, 3, 2])).toEqual([1, 0, 8]);
    expect(() => pairedDifferences([1, 2], [1])).toThrow('paired samples differ in number: 2 vs 1');
  });

  test('a chunk’s delay is when it was seen minus when the provider wrote it, chunk by chunk', () => {
    expect(chunkDelays([10, 20, 30], [10.5, 21, 30.25])).toEqual([0.5, 1, 0.25]);
    expect(() => chunkDelays([10, 20], [11])).toThrow('the provider wrote 2, 1 were seen');
  });

  test('store delay: each handed text waits for the first later write that contains it', () => {
    const handed = [
      { at: 0, length: 5 }, // written at once (first batch)
      { at: 10, length: 9 }, // waits for the batch at 250
      { at: 100, length: 14 }, // same batch
      { at: 300, length: 20 }, // the final write at 320
    ];
    const writes = [
      { at: 0, length: 5 },
      { at: 250, length: 14 },
      { at: 320, length: 20 },
    ];
    expect(storeDelays(handed, writes)).toEqual([0, 240, 150, 20]);
    expect(() => storeDelays([{ at: 400, length: 25 }], writes)).toThrow('was never written');
  });
});

describe('timing probes of an attempt (absent in production, used by the benchmark)', () => {
  let model: InProcessModelServer;
  let baseURL: string;

  beforeAll(async () => {
    model = await InProcessModelServer.start({ llm: { firstTokenMs: 0, tokensPerSecond: 1000, answerTokens: 5 } });
    baseURL = `${model.url}/v1`;
  });
  afterAll(() => model.close());

  const endpoint = () => ({ provider: 'local', model: 'probe-model', baseURL, apiKey: 'local', price: { inputFenPerMTok: 0, outputFenPerMTok: 0 } });
  const limits = { maxTokens: 100, firstTokenTimeoutMs: 10_000, timeoutMs: 10_000 };
  const messages = [{ role: 'user' as const, content: 'probe' }];

  test('the request probe fires once, before any chunk; the chunk probe fires for every chunk the stream yields', async () => {
    const events: string[] = [];
    const result = await runAttempt(endpoint(), messages, limits, () => events.push('text'), {
      onRequestStart: () => events.push('request'),
      onChunk: () => events.push('chunk'),
    });
    // The local server streams a role chunk, 5 text chunks, a finish chunk and a usage chunk.
    expect(events.filter((e) => e === 'request')).toHaveLength(1);
    expect(events[0]).toBe('request');
    expect(events.filter((e) => e === 'chunk')).toHaveLength(8);
    // Every text delta is handed on in the same step as the chunk that carried it.
    expect(events.join(' ')).toBe(['request', 'chunk', ...Array(5).fill('chunk text'), 'chunk', 'chunk'].join(' '));
    expect(result.completionTokens).toBe(5);
  });

  test('without probes an attempt behaves the same', async () => {
    const texts: string[] = [];
    const result = await runAttempt(endpoint(), messages, limits, (text) => texts.push(text));
    expect(texts).toHaveLength(5);
    expect(result.text).toBe(texts[4]);
  });

  test('the router passes its callbacks’ probes on to each attempt', async () => {
    let requests = 0;
    let chunks = 0;
    const route = await routeCompletion(
      [{ provider: 'local', model: 'probe-model' }],
      () => endpoint(),
      messages,
      { maxTokens: 100, firstTokenTimeoutMs: 10_000, attemptTimeoutMs: 10_000, totalBudgetMs: 20_000 },
      { onText: () => undefined, onRestart: () => undefined, onRequestStart: () => (requests += 1), onChunk: () => (chunks += 1) },
    );
    expect(route.ok).toBe(true);
    expect(requests).toBe(1);
    expect(chunks).toBe(8);
  });
});
