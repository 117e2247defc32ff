import type { AppContext } from '../context';
import { buildMessages } from '../generation/messages';
import { OutputWriter } from '../generation/outputWriter';
import { log } from '../log';
import { resolveEndpoint } from '../models/endpoints';
import { chooseChain } from '../models/rollout';
import { routeCompletion } from '../models/router';
import { newLeaseId } from '../orders/ids';
import { sendResultMessage } from '../notify/subscribe';
import { requestRefund } from '../payments/refunds';
import type { TriggerHandler } from './serve';

/** How long a claim on an order lasts without renewal; renewed with every output batch. */
export const LEASE_MS = 15_000;
const HEARTBEAT_MS = 5_000;
/** A generation whose worker died is resumed (restarted cleanly) at most this many times in all. */
export const MAX_ATTEMPTS = 3;

async function claim(ctx: AppContext, orderId: string, leaseId: string): Promise<boolean> {
  const now = ctx.now();
  const _ = ctx.db.command;
  const fresh = await ctx.orders.transition({
    orderId,
    from: 'paid',
    to: 'generating',
    set: { leaseId, leaseExpiresAt: now + LEASE_MS, attempts: 1, generationStartedAt: now },
    reason: 'generation_started',
  });
  if (fresh) return true;
  // A worker that died (killed, timed out) left its lease to run out: restart cleanly.
  return ctx.orders.transition({
    orderId,
    from: 'generating',
    to: 'generating',
    when: { leaseExpiresAt: _.lt(now), attempts: _.lt(MAX_ATTEMPTS) },
    set: { leaseId, leaseExpiresAt: now + LEASE_MS, attempts: _.inc(1), output: '', generationStartedAt: now },
    reason: 'generation_resumed',
  });
}

export const generate: TriggerHandler = async (ctx, event) => {
  const orderId = event.orderId;
  if (typeof orderId !== 'string' || orderId.length > 64) return { started: false, reason: 'bad_input' };
  const leaseId = newLeaseId();
  if (!(await claim(ctx, orderId, leaseId))) return { started: false, reason: 'not_claimable' };
  const order = await ctx.orders.findById(orderId);
  const tier = order && ctx.tiers.find((t) => t.id === order.tier);
  if (!order || !tier) throw new Error(`generate: order ${orderId} or its tier vanished`);

  // Staged rollout: a stable share of users (by user hash) get the tier's candidate chain.
  const chain = chooseChain(tier, order.userHash);
  const rollout = chain.rollout ? { rollout: chain.rollout } : {};
  const writer = new OutputWriter(ctx.orders, orderId, leaseId, LEASE_MS, ctx.now);
  const heartbeat = setInterval(() => writer.heartbeat(), HEARTBEAT_MS);
  let route;
  try {
    route = await routeCompletion(
      chain.models,
      (ref) => resolveEndpoint(ref, ctx.providers, ctx.env),
      buildMessages(tier, order.prompt),
      tier,
      // Restart policy (see router.ts): a model that fails after streaming is replaced by the
      // next one from the start; the shown text is dropped first, never glued to the new answer.
      { onText: (text) => writer.update(text), onRestart: () => writer.reset() },
      ctx.health,
      ctx.now,
    );
  } finally {
    clearInterval(heartbeat);
    await writer.close();
  }
  if (writer.leaseLost) {
    log('warn', 'generation_lost_lease', { orderId });
    return { started: true, finished: false, reason: 'lease_lost' };
  }

  if (route.ok) {
    // Fee and cost are kept to 1/10000 fen so that sums over many orders stay exact to the fen.
    const feeFen = Math.round(order.amountFen * ctx.env.paymentFeeRate * 10_000) / 10_000;
    const completed = await ctx.orders.transition({
      orderId,
      from: 'generating',
      to: 'completed',
      when: { leaseId },
      set: {
        output: route.text,
        outputComplete: true,
        completedAt: ctx.now(),
        usage: {
          provider: route.provider,
          model: route.model,
          promptTokens: route.promptTokens,
          completionTokens: route.completionTokens,
          estimated: route.estimated,
          costFen: route.costFen,
          latencyMs: route.latencyMs,
          firstTokenMs: route.firstTokenMs,
        },
        paymentFeeFen: feeFen,
        ...rollout,
        marginFen: Math.round((order.amountFen - feeFen - route.costFen) * 10_000) / 10_000,
      },
      reason: 'generation_completed',
      detail: { attempts: route.attempts },
    });
    if (completed) {
      const done = await ctx.orders.findById(orderId);
      if (done) await sendResultMessage(ctx, done);
    }
    return { started: true, finished: completed, status: completed ? 'completed' : 'lease_lost' };
  }

  log('warn', 'generation_failed', { orderId, reason: route.reason, attempts: route.attempts.length });
  const refunding = await ctx.orders.transition({
    orderId,
    from: 'generating',
    to: 'refunding',
    when: { leaseId },
    set: { output: '', error: { code: 'GENERATION_FAILED', message: 'every model failed; the payment is being refunded' }, ...rollout },
    reason: 'generation_failed',
    detail: { reason: route.reason, attempts: route.attempts },
  });
  if (refunding) {
    const failed = await ctx.orders.findById(orderId);
    if (failed) await requestRefund(ctx, failed, 'AI generation failed');
  }
  return { started: true, finished: refunding, status: 'refunding' };
};
