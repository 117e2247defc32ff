import fc from 'fast-check';
import { checkWhole, piecesOf, readVerdict, stopReason, textCheck, worst, type TextCheck, type Verdict } from '../core/compliance/contentSecurity';
import { CheckedGate, pieceEnd, segmentSize, windowStart, type GateClock, type SegmentPolicy } from '../core/compliance/outputGate';
import { buildShippingRequest, ITEM_DESC_MAX_CHARS, retryDelayMs, ShippingProblem, STALE_UPLOAD_MS, uploadDue } from '../core/compliance/shipping';
import { readEnv } from '../core/config/env';
import type { ComplianceOpenApi } from '../core/platform/openapi';

/**
 * The parts of content security and shipping upload that need no platform: how an answer of
 * `security.msgSecCheck` is read, what stops text, how a streaming answer is cut into checked
 * pieces, and what is uploaded for a completed order. The same paths through the real SDK and the
 * local runtime are in compliance-e2e.test.ts.
 */

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('reading msgSecCheck answers', () => {
  // As wx-server-sdk resolves them: errcode/errmsg removed, keys camelCased, errCode 0 added
  // (wx-server-sdk index.js, src/api/openapi/namespace/generic.ts).
  test('a risky answer, as the SDK resolves it, is read with its label and trace id', () => {
    const answer = {
      result: { suggest: 'risky', label: 20001 },
      detail: [{ strategy: 'content_model', errcode: 0, suggest: 'risky', label: 20006, prob: 90 }],
      traceId: '60ae120f-371d5872-7941a05b',
      errCode: 0,
      errMsg: 'openapi.security.msgSecCheck:ok',
    };
    expect(readVerdict(answer)).toEqual({ outcome: 'risky', label: 20001, traceId: '60ae120f-371d5872-7941a05b' });
  });

  test('pass and review are read as such', () => {
    expect(readVerdict({ result: { suggest: 'pass', label: 100 }, errCode: 0 }).outcome).toBe('pass');
    expect(readVerdict({ result: { suggest: 'review', label: 21000 }, errCode: 0 }).outcome).toBe('review');
  });

  test('an answer without a known suggestion is no verdict at all (so it never lets text through)', () => {
    expect(readVerdict({ errCode: 0 }).outcome).toBe('unavailable');
    expect(readVerdict({ result: { suggest: 'maybe' }, errCode: 0 }).outcome).toBe('unavailable');
    expect(readVerdict(null).outcome).toBe('unavailable');
    expect(readVerdict({ result: { suggest: 'pass' }, errCode: -1 }).outcome).toBe('unavailable');
  });
});

describe('what stops text', () => {
  test.each([
    ['pass', 'prompt', 'output', null],
    ['pass', 'output', 'output', null],
    ['risky', 'prompt', 'none', 'refused'],
    ['risky', 'output', 'none', 'refused'],
    ['review', 'prompt', 'output', null],
    ['review', 'output', 'output', 'refused'],
    ['review', 'prompt', 'both', 'refused'],
    ['review', 'output', 'none', null],
    ['unavailable', 'prompt', 'none', 'unchecked'],
    ['unavailable', 'output', 'none', 'unchecked'],
  ] as const)('%s on a %s with CONTENT_REVIEW_BLOCKS=%s → %s', (outcome, direction, reviewBlocks, expected) => {
    const verdict: Verdict = outcome === 'unavailable' ? { outcome, reason: 'x' } : { outcome };
    expect(stopReason(verdict, direction, reviewBlocks)).toBe(expected);
  });

  test('the worst verdict of several pieces wins: risky, then unavailable, then review', () => {
    expect(worst([{ outcome: 'pass' }, { outcome: 'review' }]).outcome).toBe('review');
    expect(worst([{ outcome: 'review' }, { outcome: 'unavailable', reason: 'x' }]).outcome).toBe('unavailable');
    expect(worst([{ outcome: 'unavailable', reason: 'x' }, { outcome: 'risky' }, { outcome: 'pass' }]).outcome).toBe('risky');
    expect(worst([]).outcome).toBe('pass');
  });
});

describe('the check call', () => {
  const api = (msgSecCheck: (request: unknown) => Promise<Record<string, unknown>>) => ({ security: { msgSecCheck } }) as unknown as ComplianceOpenApi;
  const settings = { scene: 2 as const, timeoutMs: 200 };

  test('sends version 2, the scene, the openid and the text', async () => {
    const sent: unknown[] = [];
    const check = textCheck(api(async (request) => (sent.push(request), { result: { suggest: 'pass', label: 100 }, errCode: 0 })), 'o-user', settings);
    expect((await check('hello')).outcome).toBe('pass');
    expect(sent).toEqual([{ content: 'hello', version: 2, scene: 2, openid: 'o-user' }]);
  });

  test('an error the SDK throws (e.g. 61010: the user has not opened the mini program lately) is "unavailable", with its code', async () => {
    const check = textCheck(api(async () => Promise.reject(Object.assign(new Error('fail'), { errCode: 61010, errMsg: 'openapi.security.msgSecCheck:fail user access timeout' }))), 'o', settings);
    expect(await check('hello')).toEqual({ outcome: 'unavailable', errCode: 61010, reason: 'openapi.security.msgSecCheck:fail user access timeout' });
  });

  test('no answer within the time limit is "unavailable"', async () => {
    const check = textCheck(api(() => new Promise(() => undefined)), 'o', { scene: 2, timeoutMs: 20 });
    expect(await check('hello')).toMatchObject({ outcome: 'unavailable', reason: 'no answer within 20 ms' });
  });

  test('an SDK without the API (not granted, not emulated) is "unavailable", not a crash', async () => {
    const check = textCheck({} as ComplianceOpenApi, 'o', settings);
    expect((await check('hello')).outcome).toBe('unavailable');
  });

  test('a text longer than the platform takes is checked in pieces of at most 2500 UTF-16 units, never cutting a character', async () => {
    const text = '😀'.repeat(3000);
    const pieces = piecesOf(text);
    expect(pieces.map((p) => p.length)).toEqual([2500, 2500, 1000]);
    expect(piecesOf(`a${'😀'.repeat(1300)}`).map((p) => p.length)).toEqual([2499, 102]);
    expect(pieces.join('')).toBe(text);
    const seen: string[] = [];
    const verdict = await checkWhole(async (piece) => (seen.push(piece), piece.length > 1500 ? { outcome: 'pass' } : { outcome: 'risky', label: 20001 }), text);
    expect(seen).toHaveLength(3);
    expect(verdict.outcome).toBe('risky');
  });
});

describe('cutting a streaming answer into pieces', () => {
  const policy: SegmentPolicy = { firstSegmentChars: 120, maxSegmentChars: 800, overlapChars: 40 };

  test('pieces start small and double up to the maximum', () => {
    expect([0, 1, 2, 3, 4, 9].map((n) => segmentSize(policy, n))).toEqual([120, 240, 480, 800, 800, 800]);
  });

  test('a piece waits for enough text, except the last one', () => {
    expect(pieceEnd('a'.repeat(50), 0, 120, false)).toBeNull();
    expect(pieceEnd('a'.repeat(50), 0, 120, true)).toBe(50);
    expect(pieceEnd('a'.repeat(50), 50, 120, true)).toBeNull();
  });

  test('a piece ends at a sentence or line break near its end when there is one', () => {
    const text = `${'字'.repeat(100)}。${'字'.repeat(100)}`;
    expect(pieceEnd(text, 0, 120, false)).toBe(101);
    // No break in the last 30 %: the full size.
    expect(pieceEnd('字'.repeat(300), 0, 120, false)).toBe(120);
  });

  test('never inside a surrogate pair, neither at the end nor at the start of the overlap', () => {
    const text = `${'a'.repeat(119)}😀${'b'.repeat(100)}`;
    const end = pieceEnd(text, 0, 120, false) as number;
    expect(end).toBe(119);
    expect(windowStart(text, 121, 1)).toBe(119);
  });
});

/** A model streaming `text` in chunks while the gate's checks run (each takes a few event-loop turns). */
async function stream(gate: CheckedGate, text: string, chunks: number[]): Promise<void> {
  let at = 0;
  for (let i = 0; at < text.length; i += 1) {
    at = Math.min(text.length, at + (chunks[i % chunks.length] ?? 5));
    gate.update(text.slice(0, at));
    await tick();
  }
}

function fakeCheck(riskyWord: string | null, log: string[]): TextCheck {
  return async (content) => {
    log.push(content);
    await tick();
    await tick();
    return riskyWord && content.includes(riskyWord) ? { outcome: 'risky', label: 20001, traceId: 't' } : { outcome: 'pass', label: 100 };
  };
}

const policy: SegmentPolicy = { firstSegmentChars: 120, maxSegmentChars: 800, overlapChars: 40 };
const stopRule = (verdict: Verdict) => stopReason(verdict, 'output', 'output');
/** Text with no repeated stretch, so each checked window can be found in it. */
const words = (n: number) => Array.from({ length: n }, (_, i) => `w${String(i).padStart(4, '0')}`).join(' ');

describe('the gate between a streaming answer and the page', () => {
  test('a clean answer is shown as it grows, only ever in checked pieces, and whole at the end', async () => {
    const text = words(333);
    const checked: string[] = [];
    const shown: string[] = [];
    const gate = new CheckedGate(fakeCheck(null, checked), (t) => shown.push(t), policy, stopRule);
    await stream(gate, text, [3, 11, 7]);
    const result = await gate.finish(text);
    expect(result).toEqual({ ok: true, checks: checked.length });
    expect(shown.at(-1)).toBe(text);
    expect(shown.length).toBeGreaterThan(2);
    // Every character ever shown was inside a window that passed.
    for (const visible of shown) {
      const covered = new Array<boolean>(visible.length).fill(false);
      for (const window of checked) {
        const at = text.indexOf(window);
        expect(at).toBeGreaterThanOrEqual(0);
        for (let i = at; i < Math.min(at + window.length, visible.length); i += 1) covered[i] = true;
      }
      expect(covered.every(Boolean)).toBe(true);
    }
    // Few checks for a 2000-character answer: pieces double up to 800 characters.
    expect(text.length).toBe(1997);
    expect(checked.length).toBeLessThanOrEqual(6);
  });

  test('property: a risky phrase anywhere, however the stream is chunked, is never shown and the answer is refused', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 1500 }), fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 8 }), fc.boolean(), async (position, chunks, spaced) => {
        const risky = 'FORBIDDENPHRASE';
        // Without spaces no piece can end at a break, so only the overlap catches a phrase cut in two.
        const clean = spaced ? words(330) : words(330).replaceAll(' ', 'x');
        const text = `${clean.slice(0, position)}${risky}${clean.slice(position)}`;
        const shown: string[] = [];
        const gate = new CheckedGate(fakeCheck(risky, []), (t) => shown.push(t), policy, stopRule);
        await stream(gate, text, chunks);
        const result = await gate.finish(text);
        expect(result).toMatchObject({ ok: false, stop: 'refused', verdict: { outcome: 'risky', label: 20001 } });
        for (const visible of shown) expect(visible.includes(risky)).toBe(false);
      }),
      // Phrases cut in two by the first two boundaries (120 and 360 characters), among the random cases.
      { numRuns: 80, examples: [[110, [7], false], [350, [13, 2], false], [115, [60], true]] },
    );
  });

  test('a check that cannot be made is tried once more, then the answer is withheld (fail closed)', async () => {
    const calls: string[] = [];
    const shown: string[] = [];
    const gate = new CheckedGate(async (c) => (calls.push(c), { outcome: 'unavailable', reason: 'quota', errCode: 45009 }), (t) => shown.push(t), policy, stopRule);
    const text = words(100);
    await stream(gate, text, [20]);
    const result = await gate.finish(text);
    expect(result).toMatchObject({ ok: false, stop: 'unchecked', verdict: { errCode: 45009 }, checks: 2 });
    expect(calls).toHaveLength(2);
    expect(shown).toEqual([]);
  });

  test('61010 (the payer has not opened the mini program for two hours) is not asked again at once: it would not change', async () => {
    const calls: string[] = [];
    const gate = new CheckedGate(async (c) => (calls.push(c), { outcome: 'unavailable', reason: 'user access record timeout', errCode: 61010 }), () => undefined, policy, stopRule);
    const text = words(100);
    await stream(gate, text, [20]);
    expect(await gate.finish(text)).toMatchObject({ ok: false, stop: 'unchecked', verdict: { errCode: 61010 }, checks: 1 });
    expect(calls).toHaveLength(1);
  });

  test('one passing failure does not cost the answer', async () => {
    let failures = 1;
    const shown: string[] = [];
    const gate = new CheckedGate(
      async () => (failures-- > 0 ? { outcome: 'unavailable', reason: 'busy', errCode: -1 } : { outcome: 'pass' }),
      (t) => shown.push(t),
      policy,
      stopRule,
    );
    const text = words(50);
    await stream(gate, text, [30]);
    expect(await gate.finish(text)).toMatchObject({ ok: true });
    expect(shown.at(-1)).toBe(text);
  });

  test('a review verdict withholds the answer (CONTENT_REVIEW_BLOCKS=output)', async () => {
    const gate = new CheckedGate(async () => ({ outcome: 'review', label: 21000 }), () => undefined, policy, stopRule);
    expect(await gate.finish(words(10))).toMatchObject({ ok: false, stop: 'refused', verdict: { outcome: 'review' } });
  });

  test('when the answer restarts with another model, a verdict on the old text changes nothing', async () => {
    const risky = 'FORBIDDEN-PHRASE';
    const shown: string[] = [];
    const gate = new CheckedGate(fakeCheck(risky, []), (t) => shown.push(t), policy, stopRule);
    gate.update(`${risky} ${words(40)}`); // the first model's text, under check
    gate.reset(); // it failed; the next model starts again
    const text = words(60);
    await stream(gate, text, [9]);
    expect(await gate.finish(text)).toMatchObject({ ok: true });
    expect(shown.every((t) => !t.includes(risky))).toBe(true);
    expect(shown.at(-1)).toBe(text);
  });

  test('an empty answer needs no check', async () => {
    const calls: string[] = [];
    const gate = new CheckedGate(fakeCheck(null, calls), () => undefined, policy, stopRule);
    expect(await gate.finish('')).toEqual({ ok: true, checks: 0 });
    expect(calls).toEqual([]);
  });
});

/** Virtual time for the gate: timers run in order as time is advanced, each followed by the promises it settles. */
class VirtualClock implements GateClock {
  private at = 0;
  private timers = new Map<number, { due: number; callback: () => void }>();
  private nextId = 1;
  now = (): number => this.at;
  setTimer = (callback: () => void, ms: number): unknown => {
    const id = this.nextId++;
    this.timers.set(id, { due: this.at + ms, callback });
    return id;
  };
  clearTimer = (handle: unknown): void => {
    this.timers.delete(handle as number);
  };
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(resolve, ms));
  }
  async advanceTo(time: number): Promise<void> {
    for (;;) {
      const next = [...this.timers.entries()].filter(([, t]) => t.due <= time).sort((a, b) => a[1].due - b[1].due || a[0] - b[0])[0];
      if (!next) break;
      this.timers.delete(next[0]);
      this.at = next[1].due;
      next[1].callback();
      for (let i = 0; i < 5; i += 1) await tick();
    }
    this.at = time;
    for (let i = 0; i < 5; i += 1) await tick();
  }
}

describe('pieces cut by time: a slow model’s text does not wait for its piece to fill', () => {
  const timed: SegmentPolicy = { firstSegmentChars: 120, maxSegmentChars: 800, overlapChars: 40, pieceWaitMs: 600 };
  const CHECK_MS = 200;

  test('text that arrived is checked once it waited the piece wait, not when 120 characters are there', async () => {
    const clock = new VirtualClock();
    const checked: string[] = [];
    const shown: string[] = [];
    const check: TextCheck = async (content) => {
      checked.push(content);
      await clock.sleep(CHECK_MS);
      return { outcome: 'pass', label: 100 };
    };
    const gate = new CheckedGate(check, (t) => shown.push(t), timed, stopRule, clock);
    gate.update('你好，这是');
    await clock.advanceTo(599);
    expect(checked).toEqual([]);
    await clock.advanceTo(600);
    expect(checked).toEqual(['你好，这是']);
    await clock.advanceTo(800);
    expect(shown).toEqual(['你好，这是']);
  });

  test('at 50 characters a second no character reaches the page later than the wait plus one check after the model wrote it, and there is one check per wait', async () => {
    const clock = new VirtualClock();
    const checked: string[] = [];
    const releasedAt: number[] = [];
    const text = words(200); // 1,199 characters: 24 s at 50 a second
    const checkTimes: number[] = [];
    const check: TextCheck = async (content) => {
      checked.push(content);
      checkTimes.push(clock.now());
      await clock.sleep(CHECK_MS);
      return { outcome: 'pass', label: 100 };
    };
    const gate = new CheckedGate(check, (t) => {
      for (let i = releasedAt.length; i < t.length; i += 1) releasedAt.push(clock.now());
    }, timed, stopRule, clock);
    for (let i = 1; i <= text.length; i += 1) {
      await clock.advanceTo(i * 20);
      gate.update(text.slice(0, i));
    }
    const finished = gate.finish(text);
    await clock.advanceTo(text.length * 20 + 5_000);
    expect(await finished).toMatchObject({ ok: true });
    expect(releasedAt).toHaveLength(text.length);
    const trails = releasedAt.map((at, i) => at - (i + 1) * 20);
    expect(Math.max(...trails)).toBeLessThanOrEqual(timed.pieceWaitMs! + CHECK_MS);
    // Without the wait, pieces of 120, 240, 480… would keep text back for seconds.
    // One check per wait while the model writes (the next piece waits while this one is checked).
    expect(checked.length).toBeLessThanOrEqual(Math.ceil((text.length * 20) / timed.pieceWaitMs!) + 2);
    expect(Math.min(...checkTimes.slice(1).map((at, i) => at - (checkTimes[i] as number)))).toBeGreaterThanOrEqual(timed.pieceWaitMs! - 40);
  });

  test('a risky phrase cut by a time piece is still caught by the overlap, and never shown', async () => {
    const clock = new VirtualClock();
    const risky = 'FORBIDDENPHRASE';
    const text = `${words(30)}${risky}${words(30)}`;
    const shown: string[] = [];
    const check: TextCheck = async (content) => {
      await clock.sleep(CHECK_MS);
      return content.includes(risky) ? { outcome: 'risky', label: 20001, traceId: 't' } : { outcome: 'pass', label: 100 };
    };
    const gate = new CheckedGate(check, (t) => shown.push(t), timed, stopRule, clock);
    for (let i = 1; i <= text.length; i += 1) {
      await clock.advanceTo(i * 20);
      gate.update(text.slice(0, i));
    }
    const finished = gate.finish(text);
    await clock.advanceTo(text.length * 20 + 5_000);
    expect(await finished).toMatchObject({ ok: false, stop: 'refused' });
    expect(shown.length).toBeGreaterThan(0);
    for (const visible of shown) expect(visible.includes(risky)).toBe(false);
  });
});

describe('the shipping upload of a completed order (发货信息管理)', () => {
  const order = { transactionId: '4200001234202601011234567890', outTradeNo: 'A20260101120000abcdefghijklmnop', description: 'AI 快速回答' };
  const at = Date.UTC(2026, 0, 1, 4, 5, 6);

  test('a virtual good, delivered at once, named by the WeChat Pay transaction id', () => {
    expect(buildShippingRequest(order, { mchId: '1900000109', payerOpenid: 'o-payer', at })).toEqual({
      order_key: { order_number_type: 2, transaction_id: order.transactionId },
      logistics_type: 3,
      delivery_mode: 1,
      shipping_list: [{ item_desc: 'AI 快速回答' }],
      upload_time: '2026-01-01T12:05:06+08:00',
      payer: { openid: 'o-payer' },
    });
  });

  test('without a transaction id, by merchant id and out_trade_no', () => {
    const { order_key } = buildShippingRequest({ ...order, transactionId: undefined }, { mchId: '1900000109', payerOpenid: 'o', at });
    expect(order_key).toEqual({ order_number_type: 1, mchid: '1900000109', out_trade_no: order.outTradeNo });
  });

  test('with neither, or without a payer, it is a problem of our own data (named), not a call', () => {
    expect(() => buildShippingRequest({ ...order, transactionId: undefined }, { mchId: '', payerOpenid: 'o', at })).toThrow(ShippingProblem);
    expect(() => buildShippingRequest(order, { mchId: '', payerOpenid: '', at })).toThrow('payer openid');
  });

  test('item_desc stays within 120 characters', () => {
    const long = buildShippingRequest({ ...order, description: '答'.repeat(200) }, { mchId: '', payerOpenid: 'o', at });
    expect([...(long.shipping_list[0]?.item_desc ?? '')]).toHaveLength(ITEM_DESC_MAX_CHARS);
  });

  test('retries wait longer each time, up to an hour; an attempt left half-way is taken again after a minute', () => {
    expect([1, 2, 3, 4, 10].map((n) => retryDelayMs(n, 60_000))).toEqual([60_000, 120_000, 240_000, 480_000, 3_600_000]);
    const now = 10_000_000;
    expect(uploadDue({ status: 'pending', attempts: 0 }, now, 60_000)).toBe(true);
    expect(uploadDue({ status: 'failed', attempts: 2, lastAttemptAt: now - 119_000 }, now, 60_000)).toBe(false);
    expect(uploadDue({ status: 'failed', attempts: 2, lastAttemptAt: now - 120_000 }, now, 60_000)).toBe(true);
    expect(uploadDue({ status: 'uploading', attempts: 1, lastAttemptAt: now - STALE_UPLOAD_MS + 1 }, now, 60_000)).toBe(false);
    expect(uploadDue({ status: 'uploading', attempts: 1, lastAttemptAt: now - STALE_UPLOAD_MS }, now, 60_000)).toBe(true);
    expect(uploadDue({ status: 'uploaded', attempts: 1 }, now, 60_000)).toBe(false);
    expect(uploadDue({ status: 'gave_up', attempts: 8 }, now, 60_000)).toBe(false);
  });
});

describe('settings', () => {
  const base = { PAY_MODE: 'cloudpay', OPENID_HASH_SECRET: 'x', OPENID_SEAL_KEY: Buffer.alloc(32, 1).toString('base64') };

  test('content security is on by default, shipping upload off; both need nothing else', () => {
    const env = readEnv(base);
    expect(env.contentSecurity).toEqual({ enabled: true, scene: 2, reviewBlocks: 'output', timeoutMs: 2000, firstSegmentChars: 40, maxSegmentChars: 800, overlapChars: 40, pieceWaitMs: 600 });
    expect(env.shipping).toMatchObject({ required: false, retryBaseMs: 60_000 });
  });

  test('the merchant id for shipping follows the pay mode', () => {
    expect(readEnv({ ...base, SHIPPING_INFO_REQUIRED: '1', PAY_MODE: 'cloudpay', WXPAY_SUB_MCH_ID: '1900000001' }).shipping).toMatchObject({ required: true, mchId: '1900000001' });
  });

  test('nonsense is refused with the variable named', () => {
    expect(() => readEnv({ ...base, CONTENT_SECURITY: 'maybe' })).toThrow('CONTENT_SECURITY must be on or off');
    expect(() => readEnv({ ...base, CONTENT_SECURITY_SCENE: '5' })).toThrow('CONTENT_SECURITY_SCENE must be a whole number from 1 to 4');
    expect(() => readEnv({ ...base, CONTENT_REVIEW_BLOCKS: 'some' })).toThrow('CONTENT_REVIEW_BLOCKS must be output, both or none');
    expect(() => readEnv({ ...base, CONTENT_CHECK_SEGMENT_CHARS: '3000' })).toThrow('CONTENT_CHECK_SEGMENT_CHARS must be a whole number from 20 to 2400');
    expect(() => readEnv({ ...base, SHIPPING_INFO_REQUIRED: 'sure' })).toThrow('SHIPPING_INFO_REQUIRED must be on or off');
  });
});
