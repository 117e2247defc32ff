import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { estimateTokens } from '../../core/models/cost';
import type { ModelFaults, Faults } from '../pay/faults';
import { HttpError, readJsonBody } from '../http';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const WORDS_ZH = ['这是', '一个', '本地', '模型', '的', '回答', '，', '它', '按', '配置', '的', '速度', '逐字', '输出', '。'];
const WORDS_EN = ['This', ' is', ' an', ' answer', ' from', ' the', ' local', ' model', ',', ' streamed', ' at', ' the', ' configured', ' speed', '.'];

/** A deterministic answer for a prompt: the same prompt always gets the same text. */
export function localAnswerTokens(prompt: string, count: number): string[] {
  const chinese = /[\u4e00-\u9fff]/.test(prompt);
  const words = chinese ? WORDS_ZH : WORDS_EN;
  const opening = chinese ? [`关于“${[...prompt].slice(0, 12).join('')}”：`] : [`About "${prompt.slice(0, 24)}": `];
  // Markdown, as real models answer: the opening underlined as a heading (so the answer still starts
  // with it), the first sentence a paragraph, every further sentence an item of a list.
  const tokens = [...opening, '\n---\n\n'];
  for (let i = 0; tokens.length < count; i += 1) {
    if (i > 0 && i % words.length === 0) tokens.push('\n- ');
    tokens.push(words[i % words.length] as string);
  }
  // answerTokens 0: a stream that ends cleanly with nothing said (some gateways do that).
  return count <= 0 ? [] : tokens.slice(0, count);
}

export interface ModelServerStats {
  requests: number;
  byModel: Record<string, number>;
  /**
   * The last requests received (newest last, at most RECENT_REQUESTS), for tests and the curious:
   * what a model was sent. Local only (GET /api/inspect/model-requests); never part of /api/stats.
   */
  recent?: ReceivedRequest[];
}

/** One chat completion request as the model server received it. */
export interface ReceivedRequest {
  model: string;
  maxTokens: number | null;
  messages: { role: string; content: string }[];
  at: number;
}

/** How many requests the model server remembers. */
export const RECENT_REQUESTS = 20;

function remember(stats: ModelServerStats, request: ReceivedRequest): void {
  const recent = (stats.recent ??= []);
  recent.push(request);
  if (recent.length > RECENT_REQUESTS) recent.splice(0, recent.length - RECENT_REQUESTS);
}

function effectiveFaults(faults: Faults['llm'], model: string): ModelFaults {
  return { ...faults, ...(faults.byModel[model] ?? {}) };
}

/**
 * An OpenAI-compatible chat completions endpoint (`POST /v1/chat/completions`, SSE streaming or
 * not) with configurable first-token latency, speed and failures, so that everything runs locally
 * with no key and every failure path can be provoked.
 */
export function createModelHandler(getFaults: () => Faults, stats: ModelServerStats) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let body: Record<string, unknown>;
    try {
      // The runtime's own body limit (local/http.ts), as every other route: a larger body is a 413.
      body = await readJsonBody(req);
    } catch (error) {
      const status = error instanceof HttpError ? error.status : 400;
      const message = error instanceof HttpError ? error.message : 'invalid JSON';
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message, type: 'invalid_request_error' } }));
      return;
    }
    const model = typeof body.model === 'string' ? body.model : '';
    const messages = Array.isArray(body.messages) ? (body.messages as { role?: string; content?: unknown }[]) : null;
    if (!model || !messages || messages.length === 0) {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'model and messages are required', type: 'invalid_request_error' } }));
      return;
    }
    stats.requests += 1;
    stats.byModel[model] = (stats.byModel[model] ?? 0) + 1;
    const maxTokensField = typeof body.max_tokens === 'number' ? body.max_tokens : null;
    remember(stats, {
      model,
      maxTokens: maxTokensField,
      messages: messages.map((m) => ({ role: typeof m.role === 'string' ? m.role : '', content: typeof m.content === 'string' ? m.content : '' })),
      at: Date.now(),
    });
    const faults = effectiveFaults(getFaults().llm, model);
    const prompt = messages.map((m) => (typeof m.content === 'string' ? m.content : '')).join('\n');
    const userPrompt = [...messages].reverse().find((m) => m.role === 'user')?.content;
    const maxTokens = maxTokensField ?? Infinity;
    const tokens = localAnswerTokens(typeof userPrompt === 'string' ? userPrompt : '', Math.min(faults.answerTokens, maxTokens));
    // An answer longer than max_tokens is cut there and says so, as OpenAI's API does
    // (finish_reason "length": https://platform.openai.com/docs/api-reference/chat/object#chat/object-choices).
    const finishReason = faults.answerTokens > maxTokens ? 'length' : 'stop';
    const id = `chatcmpl-${randomBytes(8).toString('hex')}`;
    const created = Math.floor(Date.now() / 1000);
    const promptTokens = estimateTokens(prompt);

    if (Math.random() < faults.error) {
      const status = faults.errorStatus;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `injected error ${status}`, type: status === 429 ? 'rate_limit_error' : status >= 500 ? 'server_error' : 'invalid_request_error' } }));
      return;
    }
    const hang = Math.random() < faults.timeout;
    let closed = false;
    res.on('close', () => {
      closed = true;
    });

    if (body.stream !== true) {
      if (hang) return; // never answers; the client's timeout ends it
      await sleep(faults.firstTokenMs + (tokens.length / Math.max(faults.tokensPerSecond, 1)) * 1000);
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [{ index: 0, message: { role: 'assistant', content: tokens.join('') }, finish_reason: finishReason }],
          usage: { prompt_tokens: promptTokens, completion_tokens: tokens.length, total_tokens: promptTokens + tokens.length },
        }),
      );
      return;
    }

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    if (hang) return;
    const send = (payload: unknown) => {
      if (!closed) res.write(`data: ${JSON.stringify(payload)}\n\n`);
    };
    const chunk = (delta: Record<string, unknown>, finish: string | null) => ({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }] });
    await sleep(faults.firstTokenMs);
    const breakAt = Math.random() < faults.midStreamError ? Math.max(1, Math.floor(tokens.length / 2)) : -1;
    const truncateAt = Math.random() < faults.truncate ? Math.max(1, Math.floor(tokens.length / 2)) : -1;
    const gapMs = 1000 / Math.max(faults.tokensPerSecond, 1);
    send(chunk({ role: 'assistant', content: '' }, null));
    for (let i = 0; i < tokens.length; i += 1) {
      if (closed) return;
      if (i === breakAt) {
        send({ error: { message: 'injected mid-stream error', type: 'server_error' } });
        res.end();
        return;
      }
      if (i === truncateAt) {
        res.end();
        return;
      }
      send(chunk({ content: tokens[i] }, null));
      if (i < tokens.length - 1) await sleep(gapMs);
    }
    send(chunk({}, finishReason));
    const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    if (includeUsage && !faults.noUsage) {
      send({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: { prompt_tokens: promptTokens, completion_tokens: tokens.length, total_tokens: promptTokens + tokens.length } });
    }
    if (!closed) res.end('data: [DONE]\n\n');
  };
}
