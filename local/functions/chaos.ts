import { randomInt } from 'node:crypto';
import type { WorkerFaults } from '../pay/faults';
import type { FunctionHost } from './host';

/**
 * The worker faults: `killGenerate`, a `generate` invocation whose instance crashes mid-stream (it
 * goes away; what it had already sent still reaches CloudBase), and `timeouts`, an invocation of
 * the named function ending as at its time limit, early (the caller gets the platform's timeout
 * error; the instance is frozen with the handler pending, and may resume it during its next
 * invocation).
 */
export function installWorkerChaos(host: FunctionHost, faults: () => WorkerFaults): void {
  const killsByOrder = new Map<string, number>();
  host.onInvocationStart = (invocation, event) => {
    const { killGenerate, timeouts, killAfterMs, maxKillsPerOrder } = faults();
    const killRate = invocation.functionName === 'generate' ? killGenerate : 0;
    const roll = Math.random();
    const fault = roll < killRate ? 'kill' : roll < killRate + (timeouts[invocation.functionName] ?? 0) ? 'timeout' : null;
    if (!fault) return;
    const orderId = String((event as { orderId?: unknown } | null)?.orderId);
    const kills = killsByOrder.get(orderId) ?? 0;
    if (maxKillsPerOrder > 0 && kills >= maxKillsPerOrder) return;
    const [min, max] = killAfterMs;
    const kill = () => {
      if (fault === 'kill' ? host.stop(invocation) : host.expire(invocation)) killsByOrder.set(orderId, kills + 1);
    };
    // [0, 0]: the worker dies before it does anything (a function that cannot start at all).
    if (max === 0) queueMicrotask(kill);
    else setTimeout(kill, max > min ? randomInt(min, max + 1) : min);
  };
}
