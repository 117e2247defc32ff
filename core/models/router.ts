import type { ModelRef } from '../config/tiers';
import { runAttempt, AttemptFailure, type ChatMessage, type AttemptResult } from './attempt';
import type { ModelEndpoint } from './endpoints';
import { estimateTokens, modelCostFen } from './cost';

export interface RouteBudget {
  maxTokens: number;
  firstTokenTimeoutMs: number;
  attemptTimeoutMs: number;
  totalBudgetMs: number;
}

/** Shared knowledge of which providers keep failing (see ./breaker.ts). */
export interface ProviderHealth {
  isOpen(provider: string): Promise<boolean>;
  record(provider: string, ok: boolean): Promise<void>;
}

export interface AttemptRecord {
  provider: string;
  model: string;
  outcome: 'ok' | 'skipped_unconfigured' | 'skipped_breaker' | AttemptFailure['kind'];
  ms: number;
}

export interface RouteSuccess {
  ok: true;
  text: string;
  provider: string;
  model: string;
  promptTokens: number;
  completionTokens: number;
  estimated: boolean;
  costFen: number;
  latencyMs: number;
  firstTokenMs: number | null;
  attempts: AttemptRecord[];
}

export interface RouteFailure {
  ok: false;
  reason: string;
  /** Cost of the failed attempts' tokens is not charged by providers for errors; none recorded. */
  attempts: AttemptRecord[];
}

export interface RouteCallbacks {
  /** The text of the current attempt so far. */
  onText(text: string): void;
  /**
   * A failed attempt had already shown text: the next model restarts the answer from the start,
   * so the page must drop what it showed (never two answers glued together).
   */
  onRestart(): void;
}

/**
 * Sends the prompt down a tier's chain of models until one completes cleanly. A timeout,
 * connection error, 429 or 5xx (or a stream that breaks) moves on to the next model within the
 * tier's total budget; a 4xx caused by the request ends the route at once.
 */
export async function routeCompletion(
  chain: readonly ModelRef[],
  resolve: (ref: ModelRef) => ModelEndpoint | null,
  messages: ChatMessage[],
  budget: RouteBudget,
  callbacks: RouteCallbacks,
  health?: ProviderHealth,
  now: () => number = Date.now,
): Promise<RouteFailure | RouteSuccess> {
  const startedAt = now();
  const attempts: AttemptRecord[] = [];
  let shownText = false;
  let lastReason = 'no model is configured for this tier';
  for (const ref of chain) {
    const left = budget.totalBudgetMs - (now() - startedAt);
    if (left <= 250) {
      lastReason = 'the tier’s time budget ran out';
      break;
    }
    const endpoint = resolve(ref);
    if (!endpoint) {
      attempts.push({ provider: ref.provider, model: ref.model, outcome: 'skipped_unconfigured', ms: 0 });
      continue;
    }
    if (health && (await health.isOpen(endpoint.provider))) {
      attempts.push({ provider: endpoint.provider, model: endpoint.model, outcome: 'skipped_breaker', ms: 0 });
      lastReason = `provider ${endpoint.provider} is cooling down`;
      continue;
    }
    if (shownText) {
      callbacks.onRestart();
      shownText = false;
    }
    const attemptStart = now();
    let result: AttemptResult;
    try {
      result = await runAttempt(
        endpoint,
        messages,
        {
          maxTokens: budget.maxTokens,
          firstTokenTimeoutMs: budget.firstTokenTimeoutMs,
          timeoutMs: Math.min(budget.attemptTimeoutMs, left),
        },
        (text) => {
          shownText = true;
          callbacks.onText(text);
        },
      );
    } catch (error) {
      const failure = error instanceof AttemptFailure ? error : new AttemptFailure('connection', String(error), shownText);
      attempts.push({ provider: endpoint.provider, model: endpoint.model, outcome: failure.kind, ms: now() - attemptStart });
      lastReason = `${endpoint.provider}/${endpoint.model}: ${failure.message}`;
      if (failure.kind !== 'bad_request' && health) await health.record(endpoint.provider, false);
      if (!failure.retryable) break;
      continue;
    }
    if (health) await health.record(endpoint.provider, true);
    attempts.push({ provider: endpoint.provider, model: endpoint.model, outcome: 'ok', ms: now() - attemptStart });
    const estimated = result.promptTokens === null || result.completionTokens === null;
    const promptTokens = result.promptTokens ?? estimateTokens(messages.map((m) => m.content).join('\n'));
    const completionTokens = result.completionTokens ?? estimateTokens(result.text);
    return {
      ok: true,
      text: result.text,
      provider: endpoint.provider,
      model: endpoint.model,
      promptTokens,
      completionTokens,
      estimated,
      costFen: modelCostFen(endpoint.price, promptTokens, completionTokens),
      latencyMs: now() - startedAt,
      firstTokenMs: result.firstTokenMs,
      attempts,
    };
  }
  return { ok: false, reason: lastReason, attempts };
}
