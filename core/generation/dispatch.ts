import type { Clock } from '../clock';
import { log } from '../log';
import type { OrderReader } from '../orders/repository';
import type { WxCloud } from '../platform/wxCloud';

/** The order as the caller last saw it: `generate` has claimed it once either has changed. */
export interface DispatchedFrom {
  status: string;
  leaseId?: string;
}

/**
 * Starts `generate` for a paid order without waiting for it to finish (docs/ARCHITECTURE.md,
 * "Design choices"). A caller that knows the order's status and lease passes them, saving a read.
 */
export type DispatchGeneration = (orderId: string, known?: DispatchedFrom) => Promise<void>;

/** How long a caller waits for `generate` to be dispatched before it returns on its own. */
const DISPATCH_WAIT_MS = 800;
/**
 * When the dispatcher first looks whether `generate` has claimed the order (then after 2×, 4×, …
 * that: at 50, 150, 350 and 750 ms). In the cloud a claim takes a callFunction hop and a database
 * write (tens of milliseconds warm), so earlier looks mostly find nothing and cost a read each.
 */
const DISPATCH_FIRST_LOOK_MS = 50;

/**
 * Dispatch through `cloud.callFunction({ name: 'generate' })`. A promise left running after a
 * handler returns may be frozen with its instance, so the caller stays up until the invocation
 * has really left it: until `generate` has claimed the order (a new status or lease), it settles,
 * or DISPATCH_WAIT_MS pass. In the cloud the clock is the wall clock (a network request leaving the
 * instance takes real time).
 */
export function callFunctionDispatcher(cloud: WxCloud, orders: OrderReader, clock: Clock): DispatchGeneration {
  return async (orderId, known) => {
    let settled = false;
    let claimed = false;
    const before = known ?? (await orders.findById(orderId));
    // wx-server-sdk passes no per-call timeout to callFunction, so the SDK's request timeout (3 s,
    // core/functions/serve.ts) ends the wait for a long generation that is running fine: once
    // `generate` has claimed the order, that is expected, not a failed dispatch.
    const invocation = cloud.callFunction({ name: 'generate', data: { orderId } }).then(
      () => undefined,
      (error: unknown) => log(claimed ? 'info' : 'warn', claimed ? 'generate_answer_not_awaited' : 'generate_dispatch_failed', { orderId, error: String(error) }),
    );
    void invocation.finally(() => {
      settled = true;
    });
    const deadline = clock.now() + DISPATCH_WAIT_MS;
    // Looks soon, then less often: a warm `generate` claims within milliseconds, a cold one
    // may take the whole wait, and every look is a database read.
    for (let pause = DISPATCH_FIRST_LOOK_MS; !settled && clock.now() < deadline; pause *= 2) {
      await clock.sleep(Math.min(pause, Math.max(0, deadline - clock.now())));
      const order = await orders.findById(orderId).catch(() => null);
      if (order && (order.status !== before?.status || order.leaseId !== before?.leaseId)) {
        claimed = true;
        return;
      }
    }
  };
}
