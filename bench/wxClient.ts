import { drawLogNormal, seededRandom, type LogNormal, type Random } from '../local/profile/random';
import type { LiveText, StreamStop } from '../miniprogram/services/types';

export type { LiveText, StreamStop };

/**
 * The `wx` the mini program's live-text code runs on in `npm run bench`: `wx.request` with
 * `enableChunked` backed by Node's fetch, handing the body to `RequestTask.onChunkReceived`
 * listeners as ArrayBuffers cut anywhere, even inside a UTF-8 sequence, as WeChat does
 * (https://developers.weixin.qq.com/miniprogram/dev/api/network/request/RequestTask.onChunkReceived.html),
 * the same behaviour as the browser preview's `wx.request` (local/preview/browser/wx.ts). With it,
 * the page's own stream code (miniprogram/services/stream.ts: `chunkedTransport`,
 * `wxChunkedTransport`, `OrderStream`, with services/utf8.ts and services/sse.ts) runs unchanged.
 *
 * The phone's network on the HTTP access path. The runtime's cloud profile delays the mini
 * program's `wx.cloud.callFunction` (local/routes.ts) but not a `wx.request` to an HTTP function,
 * so this `wx.request` adds the same client round trip (the profile's `client` distribution, drawn
 * once per connection): half before the request reaches the runtime, half on every piece of the
 * answer on its way back (one connection keeps one delay, so pieces keep their order).
 */

type ChunkListener = (result: { data: ArrayBuffer }) => void;

interface RequestSuccess {
  errMsg: string;
  data: ArrayBuffer;
  statusCode: number;
  header: Record<string, string>;
  cookies: string[];
}

interface RequestOptions {
  url: string;
  method?: string;
  header?: Record<string, string>;
  timeout?: number;
  enableChunked?: boolean;
  responseType?: string;
  success?: (result: RequestSuccess) => void;
  fail?: (error: { errMsg: string }) => void;
}

interface BenchRequestTask {
  abort(): void;
  onChunkReceived(listener: ChunkListener): void;
  offChunkReceived(listener?: ChunkListener): void;
}

/**
 * The bytes of one network read cut into one to four pieces at random points (as the preview's
 * `cutAnywhere` does), so the page's UTF-8 decoder meets split sequences as it does on a phone.
 */
function cutAnywhere(bytes: Uint8Array, random: Random): ArrayBuffer[] {
  const cuts = new Set<number>();
  const pieces = Math.min(bytes.length, 1 + Math.floor(random() * 4));
  while (cuts.size < pieces - 1) cuts.add(1 + Math.floor(random() * (bytes.length - 1)));
  const bounds = [0, ...[...cuts].sort((a, b) => a - b), bytes.length];
  return bounds.slice(1).map((end, i) => bytes.slice(bounds[i], end).buffer);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface BenchWxOptions {
  /** The local runtime's URL: the page resolves the `/stream` path of a streamUrl against it. */
  runtimeUrl: string;
  /** The phone ↔ CloudBase round trip (the profile's `client`), or null for none. */
  clientNetwork: LogNormal | null;
  seed: number;
}

export interface BenchWx {
  /** Connections opened so far. */
  readonly connections: number;
  uninstall(): void;
}

/** Installs `wx` (request, canIUse) and `getApp` on this process's global object, for the mini program's code. */
export function installBenchWx(options: BenchWxOptions): BenchWx {
  const network = seededRandom(options.seed * 7919 + 101);
  const cuts = seededRandom(options.seed * 7919 + 202);
  let connections = 0;

  function request(req: RequestOptions): BenchRequestTask {
    if (!req.enableChunked || (req.method ?? 'GET').toUpperCase() !== 'GET') {
      // The bench calls the functions through the runtime's own route; only the stream uses wx.request.
      throw new Error("the bench's wx.request serves the live stream only (GET with enableChunked)");
    }
    connections += 1;
    const controller = new AbortController();
    const listeners = new Set<ChunkListener>();
    const roundTrip = options.clientNetwork ? drawLogNormal(options.clientNetwork, network) : 0;
    const pending = new Set<NodeJS.Timeout>();
    let settled = false;
    const fail = (errMsg: string) => {
      if (settled) return;
      settled = true;
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
      req.fail?.({ errMsg });
    };
    /** Runs `deliver` once the bytes that arrived now have crossed the phone's network. */
    const later = (deliver: () => void) => {
      const timer = setTimeout(() => {
        pending.delete(timer);
        if (!settled) deliver();
      }, roundTrip / 2);
      pending.add(timer);
    };
    const timeout = setTimeout(() => controller.abort('timeout'), req.timeout ?? 60_000);
    void (async () => {
      try {
        await sleep(roundTrip / 2);
        if (controller.signal.aborted) throw new Error('aborted');
        const response = await fetch(req.url, { method: 'GET', headers: req.header ?? {}, signal: controller.signal });
        const header: Record<string, string> = {};
        response.headers.forEach((value, key) => (header[key] = value));
        if (response.body) {
          const reader = response.body.getReader();
          for (;;) {
            const { done, value } = (await reader.read()) as { done: boolean; value: Uint8Array };
            if (done) break;
            for (const piece of cutAnywhere(value, cuts)) later(() => listeners.forEach((listener) => listener({ data: piece })));
          }
        }
        later(() => {
          settled = true;
          req.success?.({ errMsg: 'request:ok', data: new ArrayBuffer(0), statusCode: response.status, header, cookies: [] });
        });
      } catch (error) {
        // WeChat fails an aborted request with `request:fail abort` (the preview does the same).
        const reason: unknown = controller.signal.reason;
        fail(controller.signal.aborted ? `request:fail ${reason === 'timeout' ? 'timeout' : 'abort'}` : `request:fail ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        clearTimeout(timeout);
      }
    })();
    return {
      abort: () => {
        controller.abort('abort');
        fail('request:fail abort');
      },
      onChunkReceived: (listener) => void listeners.add(listener),
      offChunkReceived: (listener) => (listener ? void listeners.delete(listener) : listeners.clear()),
    };
  }

  const wx = {
    request,
    // Both features the page checks before streaming (services/stream.ts chunkedRequestsAvailable).
    canIUse: (schema: string) => schema === 'request.object.enableChunked' || schema === 'RequestTask.onChunkReceived',
  };
  const getApp = () => ({ globalData: { localRuntimeUrl: options.runtimeUrl } });
  const global = globalThis as { wx?: unknown; getApp?: unknown };
  global.wx = wx;
  global.getApp = getApp;
  return {
    get connections() {
      return connections;
    },
    uninstall() {
      delete global.wx;
      delete global.getApp;
    },
  };
}

// ── the page's stream code, at a typed boundary ──


/** A transport as services/stream.ts `chunkedTransport()` returns it; only handed back to OrderStream. */
export type ChunkedTransport = { readonly kind: 'services/stream.ts OpenChunked' };

export interface OrderStreamHandle {
  start(): void;
  stop(): void;
}

/** What the bench uses of services/stream.ts. */
export interface StreamModule {
  OrderStream: new (
    streamUrl: string,
    from: LiveText,
    callbacks: { onUpdate(live: LiveText, restarted: boolean): void; onStop(reason: StreamStop): void },
    open: ChunkedTransport,
  ) => OrderStreamHandle;
  chunkedTransport(): ChunkedTransport | null;
}

/**
 * services/stream.ts itself, as the page runs it. It is loaded with `require` rather than imported:
 * it is written against WeChat's global typings (`wx`, `getApp`), which the root TypeScript program
 * keeps out on purpose (they redeclare `require`, `setTimeout` and `console` for the server code;
 * see test/miniprogram/tsconfig.json). esbuild bundles it all the same; the shape is checked here.
 */
export function loadStreamModule(): StreamModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above: typed at this boundary instead
  const loaded = require('../miniprogram/services/stream') as Partial<StreamModule>;
  if (typeof loaded.OrderStream !== 'function' || typeof loaded.chunkedTransport !== 'function') {
    throw new Error('miniprogram/services/stream.ts no longer exports OrderStream and chunkedTransport as the bench expects (bench/wxClient.ts)');
  }
  return loaded as StreamModule;
}
