import { systemClock, type Clock } from '../clock';
import type { ModelRef } from '../config/tiers';
import { runAttempt, AttemptFailure, type AttemptObserver, type ChatMessage, type AttemptResult } from './attempt';
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
  /** The answer stopped at the tier's `max_tokens` (finish_reason `length`). */
  truncated: boolean;
  attempts: AttemptRecord[];
}

export interface RouteFailure {
  ok: false;
  reason: string;
  /** Cost of the failed attempts' tokens is not charged by providers for errors; none recorded. */
  attempts: AttemptRecord[];
}

/** `onRequestStart` and `onChunk` (optional timing probes) are passed to every attempt. */
export interface RouteCallbacks extends AttemptObserver {
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
 *
 * Streamed-then-failed policy: RESTART. When an attempt fails after some of its text was already
 * shown, the next model starts the answer again from the beginning and `onRestart` tells the caller
 * to drop what was shown first. Continuing from the partial text was rejected: a different model
 * picks up another's half sentence badly (style, language, numbering change mid-answer), and a
 * "continue" prompt costs the partial text again as input. So the page may see an answer grow,
 * vanish and grow again, but never two answers glued together, and the stored output is always
 * exactly one model's answer.
 *
 * Breaker: a provider whose breaker is open is skipped without being called. If every model that
 * was tried failed (with a retryable failure) and budget is left, the skipped ones are tried last,
 * in chain order, rather than refunding a paying user without having asked them.
 */
export async function routeCompletion(
  chain: readonly ModelRef[],
  resolve: (ref: ModelRef) => ModelEndpoint | null,
  messages: ChatMessage[],
  budget: RouteBudget,
  callbacks: RouteCallbacks,
  health?: ProviderHealth,
  clock: Clock = systemClock,
): Promise<RouteFailure | RouteSuccess> {
  const now = () => clock.now();
  const startedAt = now();
  const attempts: AttemptRecord[] = [];
  let shownText = false;
  let lastReason = 'no model is configured for this tier';

  type Outcome = { done: RouteSuccess } | { next: true } | { stop: true };
  const attempt = async (endpoint: ModelEndpoint): Promise<Outcome> => {
    const left = budget.totalBudgetMs - (now() - startedAt);
    if (left <= 250) {
      lastReason = 'the tier’s time budget ran out';
      return { stop: true };
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
        callbacks,
        clock,
      );
    } catch (error) {
      const failure = error instanceof AttemptFailure ? error : new AttemptFailure('connection', 'attempt failed');
      attempts.push({ provider: endpoint.provider, model: endpoint.model, outcome: failure.kind, ms: now() - attemptStart });
      lastReason = `${endpoint.provider}/${endpoint.model}: ${failure.message}`;
      // A request the provider refused as malformed says nothing about the provider's health.
      if (failure.kind !== 'bad_request' && health) await health.record(endpoint.provider, false);
      return failure.retryable ? { next: true } : { stop: true };
    }
    if (health) await health.record(endpoint.provider, true);
    attempts.push({ provider: endpoint.provider, model: endpoint.model, outcome: 'ok', ms: now() - attemptStart });
    const estimated = result.promptTokens === null || result.completionTokens === null;
    const promptTokens = result.promptTokens ?? estimateTokens(messages.map((m) => m.content).join('\n'));
    const completionTokens = result.completionTokens ?? estimateTokens(result.text);
    return {
      done: {
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
        truncated: result.truncated,
        attempts,
      },
    };
  };

  const coolingDown: ModelEndpoint[] = [];
  for (const ref of chain) {
    const endpoint = resolve(ref);
    if (!endpoint) {
      attempts.push({ provider: ref.provider, model: ref.model, outcome: 'skipped_unconfigured', ms: 0 });
      continue;
    }
    if (health && (await health.isOpen(endpoint.provider))) {
      attempts.push({ provider: endpoint.provider, model: endpoint.model, outcome: 'skipped_breaker', ms: 0 });
      lastReason = `provider ${endpoint.provider} is cooling down`;
      coolingDown.push(endpoint);
      continue;
    }
    const outcome = await attempt(endpoint);
    if ('done' in outcome) return outcome.done;
    if ('stop' in outcome) return { ok: false, reason: lastReason, attempts };
  }
  // Last resort: everything callable failed; ask the providers that were cooling down after all.
  for (const endpoint of coolingDown) {
    const outcome = await attempt(endpoint);
    if ('done' in outcome) return outcome.done;
    if ('stop' in outcome) break;
  }
  return { ok: false, reason: lastReason, attempts };
}
