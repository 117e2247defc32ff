import type { Clock } from '../clock';
import { PaymentUnavailableError } from './provider';

/**
 * Which provider failures are retried within the call, and which are left to reconcile: the one
 * place that says so.
 *
 * - Only a failure whose outcome is unknown (`PaymentUnavailableError`: the provider could not be
 *   reached, timed out, or said it was busy) is retried, and only for calls that are idempotent by
 *   their own identifier: a query; a prepay under the same `outTradeNo`; a refund under the same
 *   refund number; a token spend (`currency_pay`) under the same `order_id`, whose lost answer turns
 *   into "repeated operation" (done) on the retry; a token return or gift under the same id.
 * - A business answer (refused, not found, insufficient balance, a wrong signature) is never retried:
 *   asking again gets the same answer.
 * - Closing an order is never retried in the call: reconcile closes what is left open.
 * - What still fails after its retries is left to reconcile, which repeats every one of these calls
 *   with the same identifiers until the provider confirms (docs/PAYMENTS.md, "Reconciliation").
 *
 * Retries are few and short, so that a client-callable function still answers well inside the
 * mini program's ~5 s window.
 */
export type ProviderCall = 'query' | 'prepay' | 'close' | 'refund' | 'spend' | 'return' | 'present';

export const IN_CALL_RETRIES: Readonly<Record<ProviderCall, number>> = {
  query: 2,
  prepay: 1,
  close: 0,
  refund: 1,
  spend: 2,
  return: 1,
  present: 1,
};

/** The pause before the n-th retry. */
const BACKOFF_MS = [150, 450];

export function isUnknownOutcome(error: unknown): boolean {
  return error instanceof PaymentUnavailableError;
}

/** Runs one provider call under the policy above; the last failure is thrown for the caller to leave to reconcile. */
export async function providerCall<T>(clock: Clock, kind: ProviderCall, run: () => Promise<T>): Promise<T> {
  for (let retry = 0; ; retry += 1) {
    try {
      return await run();
    } catch (error) {
      if (!isUnknownOutcome(error) || retry >= IN_CALL_RETRIES[kind]) throw error;
      await clock.sleep(BACKOFF_MS[Math.min(retry, BACKOFF_MS.length - 1)] as number);
    }
  }
}
