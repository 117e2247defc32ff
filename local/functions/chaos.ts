import { randomInt } from 'node:crypto';
import type { WorkerFaults } from '../pay/faults';
import type { FunctionHost } from './host';

/**
 * The `worker.killGenerate` fault: a `generate` invocation killed mid-stream, as a crashed or
 * frozen instance would be. Its instance goes away and its in-flight API requests are refused.
 */
export function installWorkerChaos(host: FunctionHost, faults: () => WorkerFaults): void {
  const killsByOrder = new Map<string, number>();
  host.onInvocationStart = (invocation, event) => {
    const { killGenerate, killAfterMs, maxKillsPerOrder } = faults();
    if (invocation.functionName !== 'generate' || killGenerate <= 0 || Math.random() >= killGenerate) return;
    const orderId = String((event as { orderId?: unknown } | null)?.orderId);
    const kills = killsByOrder.get(orderId) ?? 0;
    if (maxKillsPerOrder > 0 && kills >= maxKillsPerOrder) return;
    const [min, max] = killAfterMs;
    const kill = () => {
      if (host.stop(invocation)) killsByOrder.set(orderId, kills + 1);
    };
    // [0, 0]: the worker dies before it does anything (a function that cannot start at all).
    if (max === 0) queueMicrotask(kill);
    else setTimeout(kill, max > min ? randomInt(min, max + 1) : min);
  };
}
