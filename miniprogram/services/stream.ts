/**
 * The order page's live channel: the order's text as Server-Sent Events from the HTTP function
 * `streamOrder` (docs/STREAMING.md), read with `wx.request({ enableChunked: true })` and
 * `RequestTask.onChunkReceived` (WeChat's API docs: wx.request "enableChunked", base library 2.20.2
 * in miniprogram-api-typings; RequestTask.onChunkReceived, 2.20.1). Chunks
 * are ArrayBuffers split anywhere: services/utf8.ts decodes them, services/sse.ts parses the events.
 *
 * A connection ends by itself before the function's time limit (`end` event, reason `window`):
 * the stream reconnects at once, resuming from the `rev` and the length of text it holds. A broken
 * connection is retried with back-off; after MAX_FAILED_CONNECTIONS in a row without an event, or
 * when the ticket is refused, the stream stops and says why, and the page long-polls instead (it
 * never tells the user which channel it uses). Pure but for `wx` in `wxChunkedTransport`: tests
 * inject a transport and timers.
 */
import { appGlobals, LOCAL_RUNTIME_URL } from './config';
import { pollTimers, type Timers } from './poller';
import { SseParser } from './sse';
import type { LiveText, OrderStatus, StreamStop } from './types';
import { Utf8Decoder } from './utf8';

export type { LiveText, StreamStop };

export interface ChunkedCallbacks {
  onChunk(data: ArrayBuffer): void;
  /** The request finished: the whole body has arrived (or the server refused it) with this status. */
  onDone(statusCode: number): void;
  onFail(errMsg: string): void;
}

export interface ChunkedConnection {
  abort(): void;
}

export type OpenChunked = (url: string, header: Record<string, string>, callbacks: ChunkedCallbacks) => ChunkedConnection;

/** Longer than the stream's own window (the function's 60 s limit less 5 s), so the server ends it first. */
const REQUEST_TIMEOUT_MS = 65_000;

/** Whether this base library can read a response as it arrives (`wx.canIUse`, WeChat's API docs: wx.canIUse). */
export function chunkedRequestsAvailable(): boolean {
  try {
    return typeof wx !== 'undefined' && typeof wx.canIUse === 'function' && wx.canIUse('request.object.enableChunked') && wx.canIUse('RequestTask.onChunkReceived');
  } catch {
    return false;
  }
}

export const wxChunkedTransport: OpenChunked = (url, header, callbacks) => {
  const task = wx.request({
    url,
    method: 'GET',
    header,
    enableChunked: true,
    responseType: 'arraybuffer',
    timeout: REQUEST_TIMEOUT_MS,
    success: (result) => callbacks.onDone(result.statusCode),
    fail: (error) => callbacks.onFail(error.errMsg),
  });
  // A wx that takes the option but hands back no task that streams cannot stream here.
  if (!task || typeof task.onChunkReceived !== 'function') throw new Error('request:fail enableChunked is not supported');
  const listener: WechatMiniprogram.OnChunkReceivedCallback = (result) => callbacks.onChunk(result.data);
  task.onChunkReceived(listener);
  return {
    abort: () => {
      task.offChunkReceived(listener);
      task.abort();
    },
  };
};

let transportOverride: OpenChunked | null | undefined;

/** Replaces the transport (tests: a fake, or `null` for a base library without enableChunked); `undefined` goes back to `wx`. */
export function setChunkedTransport(transport: OpenChunked | null | undefined): void {
  transportOverride = transport;
}

/** The transport to stream with, or null where chunked requests are missing (then the page long-polls). */
export function chunkedTransport(): OpenChunked | null {
  if (transportOverride !== undefined) return transportOverride;
  return chunkedRequestsAvailable() ? wxChunkedTransport : null;
}

/** A `streamUrl` as the server gave it, made absolute: locally it is a path on the runtime. */
export function resolveStreamUrl(streamUrl: string): string {
  if (!streamUrl.startsWith('/')) return streamUrl;
  const { localRuntimeUrl } = appGlobals();
  return `${typeof localRuntimeUrl === 'string' ? localRuntimeUrl : LOCAL_RUNTIME_URL}${streamUrl}`;
}


export interface OrderStreamCallbacks {
  /** `restarted`: the answer was replaced (another model took over): what was shown is gone. */
  onUpdate(live: LiveText, restarted: boolean): void;
  onStop(reason: StreamStop): void;
}

/** Pauses before reconnecting after a broken connection (a window that ended cleanly reconnects at once). */
export const RECONNECT_BACKOFF_MS: readonly number[] = [500, 1_000, 2_000, 4_000];
export const MAX_FAILED_CONNECTIONS = 4;

interface EventData {
  rev: number;
  status: OrderStatus;
  from: number;
  text: string;
  anchor: string;
  outputComplete: boolean;
  error: { code: string; message: string } | null;
}

function eventData(text: string): EventData | null {
  try {
    const data = JSON.parse(text) as Partial<EventData> | null;
    if (!data || typeof data.rev !== 'number' || typeof data.status !== 'string' || typeof data.from !== 'number' || typeof data.text !== 'string') return null;
    return {
      rev: data.rev,
      status: data.status,
      from: data.from,
      text: data.text,
      anchor: typeof data.anchor === 'string' ? data.anchor : '',
      outputComplete: data.outputComplete === true,
      error: data.error && typeof data.error === 'object' ? data.error : null,
    };
  } catch {
    return null;
  }
}

export class OrderStream {
  private live: LiveText;
  /** -1: nothing to resume from; the server sends the whole state first. */
  private resumeRev: number;
  private connection: ChunkedConnection | null = null;
  private timer: unknown = null;
  private failures = 0;
  private stopped = false;
  /** Counts connections, so that the callbacks of an abandoned one are ignored. */
  private generation = 0;
  private readonly timers: Timers;

  constructor(
    private readonly streamUrl: string,
    from: LiveText,
    private readonly callbacks: OrderStreamCallbacks,
    private readonly open: OpenChunked,
    options: { timers?: Timers } = {},
  ) {
    this.live = { ...from };
    this.resumeRev = from.rev;
    this.timers = options.timers ?? pollTimers();
  }

  start(): void {
    if (this.stopped || this.connection || this.timer !== null) return;
    this.connect();
  }

  /** Closes the connection; nothing more is reported. */
  stop(): void {
    this.finish('stopped', false);
  }

  private url(): string {
    const base = resolveStreamUrl(this.streamUrl);
    return this.resumeRev < 0 ? base : `${base}&rev=${this.resumeRev}&chars=${this.live.output.length}`;
  }

  private connect(): void {
    this.generation += 1;
    const generation = this.generation;
    const current = () => generation === this.generation && !this.stopped;
    const decoder = new Utf8Decoder();
    const parser = new SseParser();
    let endReason = '';
    let delivered = false;
    const header: Record<string, string> = { Accept: 'text/event-stream' };
    if (this.resumeRev >= 0) header['Last-Event-ID'] = String(this.resumeRev);
    const handle = (text: string) => {
      for (const event of parser.feed(text)) {
        if (!current()) return;
        if (event.event === 'end') {
          endReason = readReason(event.data);
        } else if (event.event === 'message') {
          const data = eventData(event.data);
          if (!data) continue;
          if (!this.apply(data)) {
            // The text held is not the start of the answer any more: ask for all of it again.
            this.resumeRev = -1;
            this.live = { ...this.live, output: '' };
            this.retry('useless');
            return;
          }
          delivered = true;
          this.failures = 0;
        }
      }
    };
    const callbacks: ChunkedCallbacks = {
      onChunk: (data) => {
        if (current()) handle(decoder.decode(data));
      },
      onDone: (statusCode) => {
        if (!current()) return;
        handle(decoder.flush());
        this.connection = null;
        if (statusCode === 401) return this.finish('refused');
        if (statusCode === 403) return this.finish('expired');
        if (endReason === 'terminal') return this.finish('terminal');
        if (statusCode < 400 && endReason === 'window') return this.retry('clean');
        this.retry(delivered ? 'broken' : 'useless');
      },
      onFail: () => {
        if (!current()) return;
        this.connection = null;
        this.retry(delivered ? 'broken' : 'useless');
      },
    };
    try {
      this.connection = this.open(this.url(), header, callbacks);
    } catch {
      // This base library cannot stream at all: no point in trying again.
      this.finish('failing');
    }
  }

  /** Applies one event; false when it does not fit the text held (a restart while away). */
  private apply(data: EventData): boolean {
    const held = this.live.output;
    if (data.from > held.length) return false;
    if (data.from > 0 && held.slice(data.from - data.anchor.length, data.from) !== data.anchor) return false;
    const output = held.slice(0, data.from) + data.text;
    const restarted = held.length > 0 && !output.startsWith(held);
    this.live = { rev: data.rev, status: data.status, output, outputComplete: data.outputComplete, error: data.error };
    this.resumeRev = data.rev;
    this.callbacks.onUpdate({ ...this.live }, restarted);
    return true;
  }

  /**
   * Reconnects: at once after a window that ended cleanly; after the first back-off step when a
   * connection that brought events broke; after a growing back-off when connections bring nothing,
   * until MAX_FAILED_CONNECTIONS of those in a row stop the stream.
   */
  private retry(kind: 'clean' | 'broken' | 'useless'): void {
    this.connection?.abort();
    this.connection = null;
    if (kind === 'useless') this.failures += 1;
    if (this.failures >= MAX_FAILED_CONNECTIONS) return this.finish('failing');
    const step = kind === 'clean' ? -1 : Math.max(0, this.failures - 1);
    const delay = step < 0 ? 0 : (RECONNECT_BACKOFF_MS[Math.min(step, RECONNECT_BACKOFF_MS.length - 1)] ?? 0);
    this.generation += 1;
    this.timer = this.timers.set(() => {
      this.timer = null;
      if (!this.stopped) this.connect();
    }, delay);
  }

  private finish(reason: StreamStop, report = true): void {
    if (this.stopped) return;
    this.stopped = true;
    this.generation += 1;
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = null;
    this.connection?.abort();
    this.connection = null;
    if (report) this.callbacks.onStop(reason);
  }
}

function readReason(data: string): string {
  try {
    const parsed = JSON.parse(data) as { reason?: unknown } | null;
    return typeof parsed?.reason === 'string' ? parsed.reason : '';
  } catch {
    return '';
  }
}
