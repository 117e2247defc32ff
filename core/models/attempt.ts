import OpenAI from 'openai';
import { systemClock, type Clock } from '../clock';
import type { ModelEndpoint } from './endpoints';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface AttemptLimits {
  maxTokens: number;
  firstTokenTimeoutMs: number;
  /** The attempt's own deadline (already cut to what is left of the tier's total budget). */
  timeoutMs: number;
}

export interface AttemptResult {
  text: string;
  promptTokens: number | null;
  completionTokens: number | null;
  firstTokenMs: number | null;
  latencyMs: number;
  /**
   * The model stopped because it reached `max_tokens` (`finish_reason: "length"`), not because it
   * had finished: the answer is cut off. The values of `finish_reason` are OpenAI's chat
   * completions reference (https://platform.openai.com/docs/api-reference/chat/object#chat/object-choices):
   * `stop`, `length`, `tool_calls`, `content_filter`, `function_call`; the OpenAI-compatible
   * providers this project calls answer the same (e.g. DeepSeek's
   * https://api-docs.deepseek.com/api/create-chat-completion lists `stop`, `length`,
   * `content_filter`, `tool_calls`, `insufficient_system_resource`).
   */
  truncated: boolean;
}

/**
 * Optional timing probes (the gateway-overhead benchmark uses them to tell our code's time from the
 * SDK's). Absent in production: each probe point is one optional call that does nothing.
 */
export interface AttemptObserver {
  /** Just before the `openai` client is asked to send the request. */
  onRequestStart?(): void;
  /** As soon as the `openai` client's stream yields a chunk, before we look at it. */
  onChunk?(): void;
}

export type AttemptFailureKind = 'timeout' | 'connection' | 'rate_limited' | 'server_error' | 'bad_request' | 'auth' | 'broken_stream';

export class AttemptFailure extends Error {
  constructor(
    readonly kind: AttemptFailureKind,
    message: string,
  ) {
    super(message);
    this.name = 'AttemptFailure';
  }

  /** A 4xx caused by the request itself would fail the same way anywhere: do not fail over. */
  get retryable(): boolean {
    return this.kind !== 'bad_request';
  }
}

/**
 * Failure messages end up in logs and audit events, and a provider's error text may echo part of
 * the request: only its machine-readable type or code is kept, never its free text.
 */
function providerCode(error: { type?: unknown; code?: unknown } | null | undefined): string {
  const code = error?.code ?? error?.type;
  return typeof code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(code) ? code : 'unspecified';
}

const clients = new Map<string, OpenAI>();

/** One `openai` client per endpoint and key, reused across invocations of a warm function. */
function clientFor(endpoint: ModelEndpoint): OpenAI {
  const key = `${endpoint.baseURL}\u0000${endpoint.apiKey}`;
  let client = clients.get(key);
  if (!client) {
    // Retries belong to the router, which knows the tier's budget.
    client = new OpenAI({ baseURL: endpoint.baseURL, apiKey: endpoint.apiKey, maxRetries: 0 });
    clients.set(key, client);
  }
  return client;
}

function classify(error: unknown, timedOut: 'first_token' | 'attempt' | null): AttemptFailure {
  if (error instanceof AttemptFailure) return error;
  if (timedOut) return new AttemptFailure('timeout', `no ${timedOut === 'first_token' ? 'first token' : 'completion'} in time`);
  if (error instanceof OpenAI.APIConnectionTimeoutError) return new AttemptFailure('timeout', 'request timed out');
  if (error instanceof OpenAI.APIConnectionError) return new AttemptFailure('connection', error.message);
  if (error instanceof OpenAI.APIError && typeof error.status === 'number') {
    const status = error.status;
    if (status === 429) return new AttemptFailure('rate_limited', `HTTP 429`);
    if (status >= 500) return new AttemptFailure('server_error', `HTTP ${status}`);
    if (status === 408) return new AttemptFailure('timeout', `HTTP 408`);
    // The provider's account or our configuration of it (key, balance, model name): another
    // provider may well answer the same request.
    if (status === 401 || status === 402 || status === 403 || status === 404) return new AttemptFailure('auth', `HTTP ${status}`);
    return new AttemptFailure('bad_request', `HTTP ${status}`);
  }
  if (error instanceof OpenAI.APIError) return new AttemptFailure('broken_stream', `error event mid-stream: ${providerCode(error)}`);
  // Whatever else went wrong is a failure of the transport (the SDK's own messages carry no content).
  return new AttemptFailure('connection', error instanceof Error ? `${error.name}: connection failed` : 'connection failed');
}

/**
 * One streamed completion from one model. It succeeds only if the stream ends cleanly with a
 * `finish_reason`; an error event mid-stream, a stream cut short, or a missed deadline is a failure.
 * The deadlines run on `clock`, which also times the attempt.
 */
export async function runAttempt(
  endpoint: ModelEndpoint,
  messages: ChatMessage[],
  limits: AttemptLimits,
  onDelta: (textSoFar: string) => void,
  observer?: AttemptObserver,
  clock: Clock = systemClock,
): Promise<AttemptResult> {
  const startedAt = clock.now();
  const abort = new AbortController();
  let timedOut: 'first_token' | 'attempt' | null = null;
  const cancelFirstTokenTimer = clock.after(Math.min(limits.firstTokenTimeoutMs, limits.timeoutMs), () => {
    timedOut = 'first_token';
    abort.abort();
  });
  const cancelAttemptTimer = clock.after(limits.timeoutMs, () => {
    timedOut = 'attempt';
    abort.abort();
  });
  let text = '';
  let firstTokenMs: number | null = null;
  let finishReason: string | null = null;
  let promptTokens: number | null = null;
  let completionTokens: number | null = null;
  try {
    observer?.onRequestStart?.();
    const stream = await clientFor(endpoint).chat.completions.create(
      {
        model: endpoint.model,
        messages,
        max_tokens: limits.maxTokens,
        stream: true,
        stream_options: { include_usage: true },
      },
      { signal: abort.signal, timeout: limits.timeoutMs },
    );
    for await (const chunk of stream) {
      observer?.onChunk?.();
      const streamedError = (chunk as unknown as { error?: { type?: unknown; code?: unknown } }).error;
      if (streamedError) throw new AttemptFailure('broken_stream', `error event mid-stream: ${providerCode(streamedError)}`);
      const choice = chunk.choices?.[0];
      const delta = choice?.delta?.content;
      if (delta) {
        if (firstTokenMs === null) {
          firstTokenMs = clock.now() - startedAt;
          cancelFirstTokenTimer();
        }
        text += delta;
        onDelta(text);
      }
      if (choice?.finish_reason) finishReason = choice.finish_reason;
      if (chunk.usage) {
        promptTokens = chunk.usage.prompt_tokens;
        completionTokens = chunk.usage.completion_tokens;
      }
    }
    if (timedOut) throw classify(null, timedOut);
    if (!finishReason) throw new AttemptFailure('broken_stream', 'stream ended without finish_reason');
    // A clean end with nothing said is no answer: the next model tries, or the order is refunded.
    if (!text.trim()) throw new AttemptFailure('broken_stream', 'the stream ended with an empty answer');
    if (finishReason === 'content_filter') throw new AttemptFailure('bad_request', 'content filtered by the provider');
    return { text, promptTokens, completionTokens, firstTokenMs, latencyMs: clock.now() - startedAt, truncated: finishReason === 'length' };
  } catch (error) {
    throw classify(error, timedOut);
  } finally {
    cancelFirstTokenTimer();
    cancelAttemptTimer();
  }
}
