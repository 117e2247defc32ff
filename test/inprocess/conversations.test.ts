import { TIERS, type TierConfig } from '../../core/config/tiers';
import { CONVERSATIONS, ConversationRepository } from '../../core/conversations/repository';
import type { ConversationDocument } from '../../core/conversations/conversation';
import { conversationIdFor } from '../../core/conversations/ids';
import { MAX_TURNS } from '../../core/conversations/ownership';
import { TITLE_CHARS } from '../../core/conversations/title';
import { openTurn, recordTurn } from '../../core/conversations/turns';
import { cancelOrder } from '../../core/functions/cancelOrder';
import { createOrder } from '../../core/functions/createOrder';
import { deleteConversation } from '../../core/functions/deleteConversation';
import { getConversation } from '../../core/functions/getConversation';
import { getOrder } from '../../core/functions/getOrder';
import { listConversations } from '../../core/functions/listConversations';
import { buildMessages, FRAMING_TOKENS_PER_MESSAGE, turnTokens, turnsWithinBudget } from '../../core/generation/messages';
import { estimateTokens } from '../../core/models/cost';
import { newOrderId, newOutTradeNo } from '../../core/orders/ids';
import { openOrder } from '../../core/orders/lifecycle';
import type { OrderDocument } from '../../core/orders/order';
import { hashOpenid } from '../../core/security/identity';
import { InProcess, INSTANT_MODEL, type Answer } from '../support/inProcess';
import type { Json } from '../support/json';

/**
 * Conversations in process: the real handlers, createOrder with its two conversation steps
 * (openTurn, recordTurn), generate with the local model server on loopback (which records what it
 * was sent), and the embedded store.
 */
let h: InProcess;
let users = 0;
const newUser = () => `conversation-user-${++users}`;
const quick = TIERS.find((t) => t.id === 'quick') as TierConfig;

beforeAll(async () => {
  h = await InProcess.start();
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.model.setFaults({ reset: true, llm: INSTANT_MODEL });
});

function ok(answer: Answer): Json {
  if (!answer.ok) throw new Error(`expected success, got ${JSON.stringify(answer.error)}`);
  return answer;
}

/** An order in a conversation (new without `conversationId`), paid and answered; the stored order. */
async function ask(user: string, prompt: string, conversationId?: string): Promise<OrderDocument> {
  // A user reads an answer before asking again: each question comes a while after the one before.
  await h.clock.advance(1_000);
  const created = ok(await h.call(createOrder, { tier: 'quick', prompt, ...(conversationId ? { conversationId } : {}) }, user));
  const order = (await h.order(created.order.orderId as string)) as OrderDocument;
  await h.pay(order);
  await h.settled();
  return (await h.order(order._id)) as OrderDocument;
}

/** The messages of the model request made last. */
function lastMessages(): { role: string; content: string }[] {
  const recent = h.model.stats.recent ?? [];
  const last = recent[recent.length - 1];
  if (!last) throw new Error('the model server received no request');
  return last.messages;
}

const repository = () => new ConversationRepository(h.ctx.db);
const userHash = (user: string) => hashOpenid(user, h.ctx.env.openidHashSecret);

describe('a conversation groups turns; each turn is an order with its own payment', () => {
  test('a first question starts a conversation named after its order, titled by the question as stored (redacted, short)', async () => {
    const user = newUser();
    const prompt = '我的手机号是13812345678，请帮我写一封很长很长的关于秋天和枫叶以及远方朋友的信';
    const order = await ask(user, prompt);
    expect(order.status).toBe('completed');
    expect(order.conversationId).toBe(conversationIdFor(order._id));
    const stored = (await repository().findById(order.conversationId)) as ConversationDocument;
    expect(stored).toMatchObject({ userHash: userHash(user), turns: 1, turnIds: [order._id] });
    expect(stored.title.startsWith('我的手机号是[PHONE]，')).toBe(true);
    expect(stored.title).not.toContain('13812345678');
    expect([...stored.title]).toHaveLength(TITLE_CHARS);
    expect(stored.title.endsWith('…')).toBe(true);
    const got = ok(await h.call(getConversation, { conversationId: order.conversationId }, user));
    expect(got.conversation.turns.map((t: Json) => [t.orderId, t.conversationId, t.status])).toEqual([[order._id, order.conversationId, 'completed']]);
  });

  test('a follow-up joins the conversation: the turn count and last activity move, the title stays', async () => {
    const user = newUser();
    const first = await ask(user, 'Name a tea');
    await h.clock.advance(5_000);
    const second = await ask(user, 'And another one', first.conversationId);
    expect(second.conversationId).toBe(first.conversationId);
    const stored = (await repository().findById(first.conversationId)) as ConversationDocument;
    expect(stored).toMatchObject({ title: 'Name a tea', turns: 2, turnIds: [first._id, second._id] });
    expect(stored.updatedAt).toBeGreaterThan(stored.createdAt);
    const got = ok(await h.call(getConversation, { conversationId: first.conversationId }, user));
    expect(got.conversation.turns.map((t: Json) => t.prompt)).toEqual(['Name a tea', 'And another one']);
  });

  test("another user's conversation is NOT_FOUND everywhere and gains no turn; a malformed id is INVALID_INPUT", async () => {
    const owner = newUser();
    const stranger = newUser();
    const first = await ask(owner, 'Mine only');
    const intrusions = [
      await h.call(createOrder, { tier: 'quick', prompt: 'let me in', conversationId: first.conversationId }, stranger),
      await h.call(getConversation, { conversationId: first.conversationId }, stranger),
      await h.call(deleteConversation, { conversationId: first.conversationId }, stranger),
      await h.call(createOrder, { tier: 'quick', prompt: 'nobody', conversationId: conversationIdFor(newOrderId()) }, owner),
    ];
    expect(intrusions.map((a) => (a.ok ? 'ok' : a.error.code))).toEqual(['NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND']);
    for (const bad of ['x', 42, { $ne: null }, `${first.conversationId}x`]) {
      const answer = await h.call(createOrder, { tier: 'quick', prompt: 'bad id', conversationId: bad }, owner);
      expect(answer.ok ? 'ok' : answer.error.code).toBe('INVALID_INPUT');
      const read = await h.call(getConversation, { conversationId: bad }, owner);
      expect(read.ok ? 'ok' : read.error.code).toBe('INVALID_INPUT');
    }
    expect(await repository().findById(first.conversationId)).toMatchObject({ turns: 1 });
    expect((await h.ctx.orders.listForUser(userHash(stranger), null, 10)).length).toBe(0);
  });

  test('recording a turn twice (a lost answer, retried) counts it once; two turns recorded at once both count', async () => {
    const user = newUser();
    const first = await ask(user, 'Counting');
    const turnA = await storedTurn(user, first.conversationId);
    const turnB = await storedTurn(user, first.conversationId);
    await Promise.all([recordTurn(h.ctx, turnA), recordTurn(h.ctx, turnB)]);
    await recordTurn(h.ctx, turnA);
    await recordTurn(h.ctx, turnB);
    // The first turn's insert retried: its record is there, and it is in it already.
    await recordTurn(h.ctx, first);
    const stored = (await repository().findById(first.conversationId)) as ConversationDocument;
    expect(stored.turns).toBe(3);
    expect([...stored.turnIds].sort()).toEqual([first._id, turnA._id, turnB._id].sort());
  });

  test('a conversation whose record was never written (its recording failed) is rebuilt from its orders when looked up', async () => {
    const user = newUser();
    const first = await ask(user, 'Lost record');
    const second = await ask(user, 'Second', first.conversationId);
    await h.ctx.db.collection(CONVERSATIONS).where({ _id: first.conversationId }).remove();
    const got = ok(await h.call(getConversation, { conversationId: first.conversationId }, user));
    expect(got.conversation).toMatchObject({ title: 'Lost record' });
    expect(got.conversation.turns.map((t: Json) => t.orderId)).toEqual([first._id, second._id]);
    expect(await repository().findById(first.conversationId)).toMatchObject({ turns: 2, turnIds: [first._id, second._id] });
    const stranger = await h.call(getConversation, { conversationId: first.conversationId }, newUser());
    expect(stranger.ok ? 'ok' : stranger.error.code).toBe('NOT_FOUND');
  });

  test(`a conversation takes at most ${MAX_TURNS} questions, then a new one must be started (INVALID_STATE)`, async () => {
    const user = newUser();
    const first = await ask(user, 'Full');
    const full = (await repository().findById(first.conversationId)) as ConversationDocument;
    await h.ctx.db.collection(CONVERSATIONS).where({ _id: full._id }).update({ data: { turns: MAX_TURNS } });
    const refused = await h.call(createOrder, { tier: 'quick', prompt: 'one more', conversationId: first.conversationId }, user);
    expect(refused.ok ? 'ok' : refused.error.code).toBe('INVALID_STATE');
  });
});

/** An order stored in a conversation as createOrder stores it (openTurn, openOrder), not yet recorded. */
async function storedTurn(user: string, conversationId: string): Promise<OrderDocument> {
  const orderId = newOrderId();
  const target = await openTurn(h.ctx, { userHash: userHash(user) }, { conversationId, orderId });
  const now = h.ctx.now();
  const order: OrderDocument = {
    _id: orderId,
    outTradeNo: newOutTradeNo(now),
    userHash: userHash(user),
    tier: 'quick',
    amountFen: quick.priceFen,
    description: quick.paymentDescription,
    prompt: `turn ${orderId}`,
    redactions: {},
    conversationId: target.conversationId,
    status: 'pending_payment',
    rev: 1,
    output: '',
    outputComplete: false,
    createdAt: now,
    updatedAt: now,
    expiresAt: now + 600_000,
    attempts: 0,
  };
  await openOrder(h.ctx, order);
  return order;
}

describe("a follow-up sends the model the conversation's earlier completed turns", () => {
  test('system prompt first, then each earlier question and answer in order, then the new question', async () => {
    const user = newUser();
    const first = await ask(user, '第一个问题：猫');
    const second = await ask(user, '第二个问题：狗', first.conversationId);
    await ask(user, '第三个问题：鸟', first.conversationId);
    const messages = lastMessages();
    expect(messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user', 'assistant', 'user']);
    expect(messages.slice(1).map((m) => m.content)).toEqual(['第一个问题：猫', first.output, '第二个问题：狗', second.output, '第三个问题：鸟']);
  });

  test("another user's order that names the conversation (written there by no command, say by hand) is neither a turn of it nor sent to the model", async () => {
    const owner = newUser();
    const stranger = newUser();
    const first = await ask(owner, 'Owner asks');
    const stray = await ask(stranger, 'Stranger asks');
    await h.ctx.db.collection('orders').where({ _id: stray._id }).update({ data: { conversationId: first.conversationId } });
    await ask(owner, 'Owner follows up', first.conversationId);
    expect(lastMessages().slice(1).map((m) => m.content)).toEqual(['Owner asks', first.output, 'Owner follows up']);
    const got = ok(await h.call(getConversation, { conversationId: first.conversationId }, owner));
    expect(got.conversation.turns.map((t: Json) => t.prompt)).toEqual(['Owner asks', 'Owner follows up']);
  });

  test('earlier questions go as stored: redacted', async () => {
    const user = newUser();
    const first = await ask(user, '我的邮箱 li.lei@example.com 收不到信');
    await ask(user, '还有别的办法吗', first.conversationId);
    const sent = lastMessages().map((m) => m.content).join('\n');
    expect(sent).toContain('我的邮箱 [EMAIL] 收不到信');
    expect(sent).not.toContain('li.lei@example.com');
  });

  test('a refunded turn (every model refused it) is skipped; the conversation goes on', async () => {
    const user = newUser();
    const first = await ask(user, 'Kept question');
    h.model.setFaults({ llm: { error: 1, errorStatus: 400 } });
    const failed = await ask(user, 'Refused question', first.conversationId);
    expect(failed.status).toMatch(/^refund/);
    h.model.setFaults({ reset: true, llm: INSTANT_MODEL });
    const third = await ask(user, 'Third question', first.conversationId);
    expect(third.status).toBe('completed');
    expect(lastMessages().slice(1).map((m) => m.content)).toEqual(['Kept question', first.output, 'Third question']);
    expect(await repository().findById(first.conversationId)).toMatchObject({ turns: 3 });
  });

  test('a first question carries no context; an unanswered (unpaid) earlier turn is not sent', async () => {
    const user = newUser();
    const first = await ask(user, 'Alone');
    expect(lastMessages().map((m) => m.role)).toEqual(['system', 'user']);
    const unpaid = ok(await h.call(createOrder, { tier: 'quick', prompt: 'Never paid', conversationId: first.conversationId }, user));
    ok(await h.call(cancelOrder, { orderId: unpaid.order.orderId }, user));
    await ask(user, 'After the unpaid one', first.conversationId);
    expect(lastMessages().slice(1).map((m) => m.content)).toEqual(['Alone', first.output, 'After the unpaid one']);
  });
});

describe("the tier's context budget: oldest turns dropped first", () => {
  const turn = (prompt: string, output: string) => ({ prompt, output });
  const tier = (contextBudgetTokens: number): TierConfig => ({ ...quick, contextBudgetTokens });

  test('a turn costs its question and answer as estimateTokens counts them, plus the framing of two messages', () => {
    const t = turn('秋天的诗', 'Autumn leaves fall down');
    expect(turnTokens(t)).toBe(estimateTokens('秋天的诗') + estimateTokens('Autumn leaves fall down') + 2 * FRAMING_TOKENS_PER_MESSAGE);
  });

  test('the newest turns that fit are kept, in order; the first that does not fit ends the context', () => {
    const newestFirst = [turn('c', 'C'.repeat(40)), turn('b', 'B'.repeat(400)), turn('a', 'A')];
    const [c, b, a] = newestFirst.map(turnTokens) as [number, number, number];
    expect(turnsWithinBudget(newestFirst, c + b + a)).toEqual([newestFirst[2], newestFirst[1], newestFirst[0]]);
    expect(turnsWithinBudget(newestFirst, c + b + a - 1)).toEqual([newestFirst[1], newestFirst[0]]);
    // The small oldest turn would fit after the big one is dropped, but a gap is never left.
    expect(turnsWithinBudget(newestFirst, c + a)).toEqual([newestFirst[0]]);
    expect(turnsWithinBudget(newestFirst, c - 1)).toEqual([]);
  });

  test('a budget of 0 sends the question alone; the system prompt is always first', () => {
    const earlier = [turn('q1', 'a1')];
    expect(buildMessages(tier(0), 'new', earlier).map((m) => m.role)).toEqual(['system', 'user']);
    expect(buildMessages(tier(10_000), 'new', earlier).map((m) => [m.role, m.content]).slice(1)).toEqual([
      ['user', 'q1'],
      ['assistant', 'a1'],
      ['user', 'new'],
    ]);
  });

  test('in a running conversation, a budget that holds one turn sends only the newest', async () => {
    const small = await InProcess.start({ env: { TIER_OVERRIDES: JSON.stringify({ quick: { contextBudgetTokens: 60 } }) } });
    try {
      const user = newUser();
      const askSmall = async (prompt: string, conversationId?: string) => {
        await small.clock.advance(1_000);
        const created = ok(await small.call(createOrder, { tier: 'quick', prompt, ...(conversationId ? { conversationId } : {}) }, user));
        const order = (await small.order(created.order.orderId as string)) as OrderDocument;
        await small.pay(order);
        await small.settled();
        return (await small.order(order._id)) as OrderDocument;
      };
      const first = await askSmall('Oldest question');
      const second = await askSmall('Middle question', first.conversationId);
      // Each answer is 24 local-model tokens, well over half the budget: only one earlier turn fits.
      expect(turnTokens(first) + turnTokens(second)).toBeGreaterThan(60);
      expect(turnTokens(second)).toBeLessThanOrEqual(60);
      await askSmall('Newest question', first.conversationId);
      const recent = small.model.stats.recent ?? [];
      expect(recent[recent.length - 1]?.messages.slice(1).map((m) => m.content)).toEqual(['Middle question', second.output, 'Newest question']);
    } finally {
      await small.close();
    }
  });
});

describe('history: listConversations pages by last activity', () => {
  test('newest activity first, ties broken by id, every conversation once across pages; deleted ones are not listed', async () => {
    const user = newUser();
    const hash = userHash(user);
    const base = 1_800_000_000_000;
    // 45 conversations whose last activity falls on 15 distinct times: pages end inside ties.
    const made: ConversationDocument[] = [];
    for (let i = 0; i < 45; i += 1) {
      const id = conversationIdFor(newOrderId());
      const doc: ConversationDocument = { _id: id, userHash: hash, title: `t${i}`, turns: 1, turnIds: [`o${id.slice(1)}`], createdAt: base, updatedAt: base + Math.floor(i / 3) * 1000 };
      await repository().insert(doc);
      made.push(doc);
    }
    const gone = made[44] as ConversationDocument;
    await repository().markDeleted(gone, base);
    await repository().insert({ ...(made[0] as ConversationDocument), _id: conversationIdFor(newOrderId()), userHash: userHash(newUser()) });
    const seen: Json[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = ok(await h.call(listConversations, cursor ? { cursor } : {}, user));
      seen.push(...page.conversations);
      cursor = page.nextCursor as string | null;
      pages += 1;
    } while (cursor !== null && pages < 10);
    const expected = made
      .filter((doc) => doc._id !== gone._id)
      .sort((a, b) => b.updatedAt - a.updatedAt || (a._id < b._id ? 1 : -1))
      .map((doc) => ({ conversationId: doc._id, title: doc.title, turns: 1, updatedAt: doc.updatedAt }));
    expect(pages).toBe(3);
    expect(seen).toEqual(expected);
    const bad = await h.call(listConversations, { cursor: 'not-a-cursor' }, user);
    expect(bad.ok ? 'ok' : bad.error.code).toBe('INVALID_INPUT');
  });
});

describe('truncated: the answer stopped at the tier’s max_tokens', () => {
  test('finish_reason length marks the order and its client view; a whole answer is not marked', async () => {
    const capped = await InProcess.start({ env: { TIER_OVERRIDES: JSON.stringify({ quick: { maxTokens: 10 } }) } });
    try {
      capped.model.setFaults({ llm: { ...INSTANT_MODEL, answerTokens: 30 } });
      const cut = await capped.paidOrder('truncated-user', 'quick', 'A long story please');
      expect(cut).toMatchObject({ status: 'completed', truncated: true });
      const view = ok(await capped.call(getOrder, { orderId: cut._id }, 'truncated-user'));
      expect(view.order.truncated).toBe(true);
      capped.model.setFaults({ llm: { answerTokens: 10 } });
      const whole = await capped.paidOrder('truncated-user-2', 'quick', 'A short one');
      expect(whole.status).toBe('completed');
      expect(whole.truncated).toBeUndefined();
      const wholeView = ok(await capped.call(getOrder, { orderId: whole._id }, 'truncated-user-2'));
      expect('truncated' in wholeView.order).toBe(false);
    } finally {
      await capped.close();
    }
  });
});
