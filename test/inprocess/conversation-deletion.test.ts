import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ConversationDocument } from '../../core/conversations/conversation';
import { ConversationRepository } from '../../core/conversations/repository';
import { openTurn, recordTurn } from '../../core/conversations/turns';
import { cancelOrder } from '../../core/functions/cancelOrder';
import { createOrder } from '../../core/functions/createOrder';
import { deleteConversation } from '../../core/functions/deleteConversation';
import { getConversation } from '../../core/functions/getConversation';
import { listConversations } from '../../core/functions/listConversations';
import { newOrderId, newOutTradeNo } from '../../core/orders/ids';
import { ACCOUNTING_DETAIL_KEYS, checkRefund, openOrder } from '../../core/orders/lifecycle';
import type { OrderDocument } from '../../core/orders/order';
import type { AuditEvent } from '../../core/orders/repository';
import { hashOpenid } from '../../core/security/identity';
import { readCollectionFile } from '../../local/store/readCopy';
import { InProcess, INSTANT_MODEL, type Answer } from '../support/inProcess';
import type { Json } from '../support/json';

/**
 * Deleting a conversation (the user's right under PIPL), in process: what the store holds
 * afterwards, read through the functions and from the store's own files.
 */
let h: InProcess;
let users = 0;
const newUser = () => `deleting-user-${++users}`;
const MARK = '紫色长颈鹿';

beforeAll(async () => {
  h = await InProcess.start();
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.model.setFaults({ reset: true, llm: INSTANT_MODEL });
  h.ledger.refundsSettleAtOnce = true;
});

const code = (answer: Answer) => (answer.ok ? 'ok' : answer.error.code);
const userHash = (user: string) => hashOpenid(user, h.ctx.env.openidHashSecret);
const repository = () => new ConversationRepository(h.ctx.db);

function ok(answer: Answer): Json {
  if (!answer.ok) throw new Error(`expected success, got ${JSON.stringify(answer.error)}`);
  return answer;
}

async function created(user: string, prompt: string, conversationId?: string): Promise<OrderDocument> {
  await h.clock.advance(1_000);
  const answer = ok(await h.call(createOrder, { tier: 'quick', prompt, ...(conversationId ? { conversationId } : {}) }, user));
  return (await h.order(answer.order.orderId as string)) as OrderDocument;
}

async function answered(user: string, prompt: string, conversationId?: string): Promise<OrderDocument> {
  const order = await created(user, prompt, conversationId);
  await h.pay(order);
  await h.settled();
  return (await h.order(order._id)) as OrderDocument;
}

/** Every document of the functions' store, as its files hold them now. */
async function wholeStore(): Promise<string> {
  const dir = join(h.dir, 'functions');
  const parts: string[] = [];
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.db'))) parts.push(JSON.stringify(await readCollectionFile(join(dir, file))));
  return parts.join('\n');
}

describe('deleteConversation', () => {
  test('erases every prompt and answer and the title; the money records keep what accounting needs', async () => {
    const user = newUser();
    const first = await answered(user, `${MARK}：第一个问题，电话13812345678`);
    h.model.setFaults({ llm: { error: 1, errorStatus: 400 } });
    const refunded = await answered(user, `${MARK}：第二个问题`, first.conversationId);
    h.model.setFaults({ reset: true, llm: INSTANT_MODEL });
    const cancelled = await created(user, `${MARK}：没付钱的问题`, first.conversationId);
    ok(await h.call(cancelOrder, { orderId: cancelled._id }, user));
    const third = await answered(user, `${MARK}：第三个问题`, first.conversationId);
    const before = await Promise.all([first, refunded, cancelled, third].map(async (o) => (await h.order(o._id)) as OrderDocument));
    expect(before.map((o) => o.status)).toEqual(['completed', 'refunded', 'closed', 'completed']);
    expect(await wholeStore()).toContain(MARK);

    expect(ok(await h.call(deleteConversation, { conversationId: first.conversationId }, user))).toEqual({ ok: true });

    expect(code(await h.call(getConversation, { conversationId: first.conversationId }, user))).toBe('NOT_FOUND');
    expect(ok(await h.call(listConversations, {}, user)).conversations).toEqual([]);
    expect(code(await h.call(createOrder, { tier: 'quick', prompt: 'again', conversationId: first.conversationId }, user))).toBe('NOT_FOUND');
    const tombstone = (await repository().findById(first.conversationId)) as ConversationDocument;
    expect(tombstone.title).toBe('');
    expect(tombstone.deletedAt).toBeDefined();

    for (const old of before) {
      const now = (await h.order(old._id)) as OrderDocument;
      expect({ prompt: now.prompt, output: now.output, redactions: now.redactions }).toEqual({ prompt: '', output: '', redactions: {} });
      expect(now.erasedAt).toBeDefined();
      // What accounting needs stays as it was.
      expect(now).toMatchObject({
        status: old.status,
        amountFen: old.amountFen,
        outTradeNo: old.outTradeNo,
        createdAt: old.createdAt,
        ...(old.transactionId ? { transactionId: old.transactionId } : {}),
        ...(old.paidAt ? { paidAt: old.paidAt } : {}),
        ...(old.refund ? { refund: old.refund } : {}),
        ...(old.usage ? { usage: old.usage, marginFen: old.marginFen } : {}),
      });
      const events = await h.events(old._id);
      expect(events.map((e) => e.type)).toContain('conversation_erased');
      for (const event of events) expect(Object.keys(event.detail ?? {}).filter((key) => !ACCOUNTING_DETAIL_KEYS.has(key))).toEqual([]);
    }
    const refundEvents = await h.events(refunded._id);
    expect(refundEvents.find((e) => e.type === 'refund_confirmed')?.detail).toEqual({ source: expect.any(String) });
    expect(await wholeStore()).not.toContain(MARK);
    expect(await wholeStore()).not.toContain(first.output.slice(0, 20));
  });

  test("is idempotent: deleting again answers ok; another user's delete is NOT_FOUND and changes nothing", async () => {
    const owner = newUser();
    const first = await answered(owner, 'Keep me for now');
    expect(code(await h.call(deleteConversation, { conversationId: first.conversationId }, newUser()))).toBe('NOT_FOUND');
    expect(((await h.order(first._id)) as OrderDocument).prompt).toBe('Keep me for now');
    ok(await h.call(deleteConversation, { conversationId: first.conversationId }, owner));
    expect(ok(await h.call(deleteConversation, { conversationId: first.conversationId }, owner))).toEqual({ ok: true });
    expect(code(await h.call(deleteConversation, { conversationId: first.conversationId }, newUser()))).toBe('NOT_FOUND');
  });

  test('a turn waiting for payment makes it INVALID_STATE and nothing changes; once cancelled, the deletion goes through', async () => {
    const user = newUser();
    const first = await answered(user, 'Answered one');
    const pending = await created(user, 'Waiting for payment', first.conversationId);
    const refused = await h.call(deleteConversation, { conversationId: first.conversationId }, user);
    expect(refused).toMatchObject({ ok: false, error: { code: 'INVALID_STATE', orderIds: [pending._id] } });
    expect(await repository().findById(first.conversationId)).toMatchObject({ title: 'Answered one', turns: 2 });
    expect(((await h.order(first._id)) as OrderDocument).output).toBe(first.output);
    ok(await h.call(cancelOrder, { orderId: pending._id }, user));
    ok(await h.call(deleteConversation, { conversationId: first.conversationId }, user));
    expect(((await h.order(pending._id)) as OrderDocument).prompt).toBe('');
  });

  test('a turn being answered makes it INVALID_STATE until it ends', async () => {
    const waiting = await InProcess.start({ runGenerate: false });
    try {
      const user = 'deleting-while-generating';
      const answer = ok(await waiting.call(createOrder, { tier: 'quick', prompt: 'Slow answer' }, user));
      const order = (await waiting.order(answer.order.orderId as string)) as OrderDocument;
      await waiting.pay(order);
      expect(((await waiting.order(order._id)) as OrderDocument).status).toBe('paid');
      const refused = await waiting.call(deleteConversation, { conversationId: order.conversationId }, user);
      expect(refused.ok ? 'ok' : refused.error.code).toBe('INVALID_STATE');
      expect(((await waiting.order(order._id)) as OrderDocument).prompt).toBe('Slow answer');
    } finally {
      await waiting.close();
    }
  });

  test('a turn whose refund is under way is erased at once, and its refund still completes', async () => {
    const user = newUser();
    h.ledger.refundsSettleAtOnce = false;
    h.model.setFaults({ llm: { error: 1, errorStatus: 400 } });
    const refunding = await answered(user, 'Refund pending');
    expect(refunding.status).toBe('refunding');
    ok(await h.call(deleteConversation, { conversationId: refunding.conversationId }, user));
    expect(((await h.order(refunding._id)) as OrderDocument).prompt).toBe('');
    h.ledger.settleRefunds();
    expect(await checkRefund(h.ctx, refunding._id)).toBe('refunded');
    expect(await h.order(refunding._id)).toMatchObject({ status: 'refunded', prompt: '', refund: { status: 'succeeded' } });
  });

  test('a turn stored while the conversation was being deleted is closed unpaid and erased when it records itself (NOT_FOUND)', async () => {
    const user = newUser();
    const first = await answered(user, 'Deleted from another phone');
    const orderId = newOrderId();
    await openTurn(h.ctx, { userHash: userHash(user) }, { conversationId: first.conversationId, orderId });
    ok(await h.call(deleteConversation, { conversationId: first.conversationId }, user));
    const now = h.ctx.now();
    const late: OrderDocument = {
      _id: orderId,
      outTradeNo: newOutTradeNo(now),
      userHash: userHash(user),
      tier: 'quick',
      amountFen: 50,
      description: 'AI快速回答',
      prompt: `${MARK} late turn`,
      redactions: {},
      conversationId: first.conversationId,
      status: 'pending_payment',
      rev: 1,
      output: '',
      outputComplete: false,
      createdAt: now,
      updatedAt: now,
      expiresAt: now + 600_000,
      attempts: 0,
    };
    await openOrder(h.ctx, late);
    await expect(recordTurn(h.ctx, late)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await h.order(orderId)).toMatchObject({ status: 'closed', providerClosed: false, prompt: '' });
    expect(await repository().findById(first.conversationId)).toMatchObject({ turns: 1 });
  });

  test('a deletion interrupted after the conversation was marked is finished by the next call', async () => {
    const user = newUser();
    const first = await answered(user, 'Half deleted');
    await repository().markDeleted((await repository().findById(first.conversationId)) as ConversationDocument, h.ctx.now());
    expect(code(await h.call(getConversation, { conversationId: first.conversationId }, user))).toBe('NOT_FOUND');
    expect(((await h.order(first._id)) as OrderDocument).prompt).toBe('Half deleted');
    ok(await h.call(deleteConversation, { conversationId: first.conversationId }, user));
    expect(((await h.order(first._id)) as OrderDocument).prompt).toBe('');
  });

  test('an audit event keeps only accounting facts once erased (attempts, reasons and verdicts go)', async () => {
    const user = newUser();
    const first = await answered(user, 'Attempts recorded');
    const completedEvent = (await h.events(first._id)).find((e) => e.type === 'generation_completed') as AuditEvent;
    expect(Object.keys(completedEvent.detail ?? {})).toContain('attempts');
    ok(await h.call(deleteConversation, { conversationId: first.conversationId }, user));
    const after = (await h.events(first._id)).find((e) => e.type === 'generation_completed') as AuditEvent;
    expect(after.detail ?? {}).toEqual({});
    expect(after).toMatchObject({ from: 'generating', to: 'completed', at: completedEvent.at });
  });
});
