import { answerGate } from '../compliance/answerGate';
import { verdictFacts } from '../compliance/contentSecurity';
import { messagesForOrder } from '../generation/messages';
import { heartbeatMs } from '../generation/lease';
import { OutputWriter } from '../generation/outputWriter';
import { log } from '../log';
import { resolveEndpoint } from '../models/endpoints';
import { chooseChain } from '../models/rollout';
import { routeCompletion } from '../models/router';
import { newLeaseId } from '../orders/ids';
import { beginRefund, claimGeneration, completeGeneration, renewLease } from '../orders/lifecycle';
import type { TriggerHandler } from './serve';

export const generate: TriggerHandler = async (ctx, event) => {
  const orderId = event.orderId;
  if (typeof orderId !== 'string' || orderId.length > 64) return { started: false, reason: 'bad_input' };
  const leaseId = newLeaseId();
  const order = await claimGeneration(ctx, orderId, leaseId);
  if (!order) return { started: false, reason: 'not_claimable' };
  const tier = ctx.tiers.find((t) => t.id === order.tier);
  if (!tier) throw new Error(`generate: the tier of order ${orderId} vanished`);

  // Staged rollout: a stable share of users (by user hash) get the tier's candidate chain.
  const chain = chooseChain(tier, order.userHash);
  const heartbeatEveryMs = heartbeatMs(ctx.env.generationLeaseMs);
  const writer = new OutputWriter((output) => renewLease(ctx, orderId, leaseId, output), ctx.now, heartbeatEveryMs);
  // Content security: text reaches the order's visible output only once it passed the check.
  const gate = answerGate(ctx, order, (text) => writer.update(text));
  const heartbeat = setInterval(() => writer.heartbeat(), heartbeatEveryMs);
  let route;
  let checked;
  try {
    // A follow-up carries its conversation's earlier completed turns, within the tier's budget.
    const messages = await messagesForOrder(ctx, tier, order);
    route = await routeCompletion(
      chain.models,
      (ref) => resolveEndpoint(ref, ctx.providers, ctx.env),
      messages,
      tier,
      // Restart policy (see router.ts): a model that fails after streaming is replaced by the
      // next one from the start; the shown text is dropped first, never glued to the new answer.
      {
        onText: (text) => gate.update(text),
        onRestart: () => {
          gate.reset();
          writer.reset();
        },
      },
      ctx.health,
      ctx.clock,
    );
    if (route.ok) checked = await gate.finish(route.text);
    else gate.abandon();
  } finally {
    clearInterval(heartbeat);
    await writer.close();
  }
  if (writer.leaseLost) {
    log('warn', 'generation_lost_lease', { orderId });
    return { started: true, finished: false, reason: 'lease_lost' };
  }

  const rollout = chain.rollout ? { rollout: chain.rollout } : {};
  if (route.ok && checked && !checked.ok) {
    log('warn', 'answer_withheld', { orderId, stop: checked.stop, ...verdictFacts(checked.verdict), checks: checked.checks });
    const refunding = await beginRefund(ctx, order, {
      reason: checked.stop === 'refused' ? 'content_refused' : 'content_unchecked',
      leaseId,
      verdict: verdictFacts(checked.verdict),
      checks: checked.checks,
      attempts: route.attempts,
      ...rollout,
    });
    return { started: true, finished: refunding !== null, status: 'refunding' };
  }
  if (route.ok) {
    const completed = await completeGeneration(ctx, order, leaseId, {
      text: route.text,
      truncated: route.truncated,
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
      attempts: route.attempts,
      ...(checked ? { contentChecks: checked.checks } : {}),
      ...rollout,
    });
    return { started: true, finished: completed !== null, status: completed ? 'completed' : 'lease_lost' };
  }

  log('warn', 'generation_failed', { orderId, reason: route.reason, attempts: route.attempts.length });
  const refunding = await beginRefund(ctx, order, { reason: 'generation_failed', leaseId, failure: route.reason, attempts: route.attempts, ...rollout });
  return { started: true, finished: refunding !== null, status: 'refunding' };
};
