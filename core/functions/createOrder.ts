import { guardPrompt } from '../compliance/promptGuard';
import { openTurn, recordTurn } from '../conversations/turns';
import { AppError } from '../errors';
import { log } from '../log';
import { ActivePaymentLock } from '../orders/activePayment';
import { newOrderId, newOutTradeNo } from '../orders/ids';
import { closeUnpaid, openOrder, recordPrepay } from '../orders/lifecycle';
import { toClientOrder, type OrderDocument } from '../orders/order';
import { redact } from '../privacy/redact';
import { sealOpenid } from '../security/identity';
import { providerCall } from '../payments/retryPolicy';
import { queryPendingPayment } from '../payments/verifyPending';
import { optionalBoolean } from './input';
import type { ClientHandler } from './serve';

/** Prompts longer than this are refused before anything else is looked at. */
const ABSOLUTE_PROMPT_LIMIT = 20_000;
/** A lock whose order is still missing after this long was left by a request that failed. */
const LOCK_WITHOUT_ORDER_MS = 10_000;

export const createOrder: ClientHandler = async (ctx, input, caller) => {
  const tierId = input.tier;
  if (typeof tierId !== 'string' || tierId.length === 0 || tierId.length > 64) {
    throw new AppError('INVALID_INPUT', 'tier must be the id of a tier');
  }
  const tier = ctx.tiers.find((t) => t.id === tierId);
  if (!tier) throw new AppError('UNKNOWN_TIER', `there is no tier "${tierId.slice(0, 32)}"`);
  const prompt = input.prompt;
  if (typeof prompt !== 'string') throw new AppError('INVALID_INPUT', 'prompt must be text');
  if (prompt.trim().length === 0) throw new AppError('INVALID_INPUT', 'prompt is empty');
  const promptLength = prompt.length > ABSOLUTE_PROMPT_LIMIT ? prompt.length : [...prompt].length;
  if (promptLength > tier.promptLimit) {
    throw new AppError('PROMPT_TOO_LONG', `the prompt has ${promptLength} characters; this tier takes at most ${tier.promptLimit}`, {
      limit: tier.promptLimit,
      length: promptLength,
    });
  }
  const subscribe = optionalBoolean(input, 'subscribe') === true;
  const orderId = newOrderId();
  // The conversation this order starts or continues: checked before anything is written.
  const turn = await openTurn(ctx, caller, { conversationId: input.conversationId, orderId });

  const now = ctx.now();
  const recent = await ctx.orders.countCreatedSince(caller.userHash, now - 60_000);
  if (recent >= ctx.env.rateLimitPerMinute) {
    throw new AppError('RATE_LIMITED', 'too many orders in a minute; please wait a moment');
  }

  // Checked before any lock, order or prepay exists: a refused prompt leaves nothing behind.
  // What is checked is what would be stored and sent to a model: the redacted prompt.
  const redacted = redact(prompt);
  await guardPrompt(ctx, caller, redacted.text);

  const expiresAt = now + ctx.env.orderTtlMs;
  const lock = new ActivePaymentLock(ctx.db);
  const holder = await lock.take(caller.userHash, orderId, expiresAt, async (holderId, heldForMs) => {
    const held = await ctx.orders.findById(holderId);
    // No order behind a fresh lock: another request (a second tap) is still storing it.
    if (!held) return heldForMs > LOCK_WITHOUT_ORDER_MS;
    if (held.status !== 'pending_payment' || held.expiresAt <= ctx.now()) return true;
    // Paid, but its notification is late? Then it is no longer in the way (and starts generating).
    if (ctx.now() - held.createdAt < ctx.env.paymentGraceMs) return false;
    return (await queryPendingPayment(ctx, held, 'query_order_on_create')) === 'confirmed';
  }, ctx.now);
  if (holder !== null) {
    const pending = await ctx.orders.findById(holder);
    throw new AppError('ACTIVE_PAYMENT_EXISTS', 'you already have an order waiting for payment', {
      ...(pending ? { order: toClientOrder(pending), ...(pending.payment ? { payment: pending.payment } : {}) } : {}),
    });
  }

  const templateId = ctx.env.subscribeTemplateId;
  // The answer's content checks and the shipping upload act on the payer's behalf later, without a caller.
  const keepsPayer = ctx.env.contentSecurity.enabled || ctx.env.shipping.required;
  const order: OrderDocument = {
    _id: orderId,
    outTradeNo: newOutTradeNo(now),
    userHash: caller.userHash,
    tier: tier.id,
    amountFen: tier.priceFen,
    description: tier.paymentDescription,
    prompt: redacted.text,
    redactions: redacted.counts,
    conversationId: turn.conversationId,
    status: 'pending_payment',
    rev: 1,
    output: '',
    outputComplete: false,
    createdAt: now,
    updatedAt: now,
    expiresAt,
    attempts: 0,
    ...(subscribe && templateId
      ? { subscription: { templateId, accepted: true, openidSealed: sealOpenid(caller.openid, ctx.env.openidSealKey) } }
      : {}),
    ...(keepsPayer ? { payerOpenidSealed: sealOpenid(caller.openid, ctx.env.openidSealKey) } : {}),
  };
  await openOrder(ctx, order);
  // Before the order can be paid: a conversation deleted meanwhile closes it and answers NOT_FOUND.
  await recordTurn(ctx, order);

  try {
    const payment = await providerCall(ctx.clock, 'prepay', () => ctx.payments.createPrepay({
      outTradeNo: order.outTradeNo,
      amountFen: order.amountFen,
      description: order.description,
      expiresAt,
      payer: { openid: caller.openid, clientIp: caller.clientIp },
      attach: order._id,
    }));
    const stored = await recordPrepay(ctx, order, payment);
    return { order: toClientOrder(stored), payment };
  } catch (error) {
    log('error', 'prepay_failed', { orderId, error: error instanceof Error ? error.message : String(error) });
    await closeUnpaid(ctx, order, { reason: 'prepay_failed' });
    throw new AppError('PAYMENT_UNAVAILABLE', 'WeChat Pay is not available right now; nothing was charged, please try again');
  }
};
