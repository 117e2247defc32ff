import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { PROVIDERS } from '../../core/config/providers';
import { TIERS } from '../../core/config/tiers';
import { buildMessages } from '../../core/generation/messages';
import { estimateTokens } from '../../core/models/cost';
import type { OrderDocument } from '../../core/orders/order';
import { ORDERS } from '../../core/orders/repository';
import { reportFor } from '../../scripts/report';
import { InProcess } from '../support/inProcess';

/**
 * What each order records about money: model, provider, tokens, model cost, payment fee (0.6% by
 * default) and margin, to the fen; and `npm run report`'s sums of them per tier (the report reads
 * the in-process store's folder, laid out as the runtime's DATA_DIR).
 */
let h: InProcess;
let users = 0;
const newUser = () => `cost-${++users}`;

function price(provider: string, model: string) {
  const found = PROVIDERS.find((p) => p.name === provider)?.models[model];
  if (!found) throw new Error(`no price for ${provider}/${model}`);
  return found;
}

/** The local model server counts a prompt's tokens over all messages joined by newlines. */
function promptTokensOf(tierId: string, prompt: string): number {
  const tier = TIERS.find((t) => t.id === tierId);
  if (!tier) throw new Error(`no tier ${tierId}`);
  return estimateTokens(buildMessages(tier, prompt).map((m) => m.content).join('\n'));
}

async function completedOrder(tier: string, prompt: string): Promise<OrderDocument> {
  const done = await h.paidOrder(newUser(), tier, prompt);
  expect(done.status).toBe('completed');
  return done;
}

beforeAll(async () => {
  h = await InProcess.start();
});
afterAll(async () => {
  await h.close();
});

describe('each order records what it cost', () => {
  test('quick on qwen-turbo: tokens, cost, 0.6% fee and margin, to the fen', async () => {
    h.model.setFaults({ llm: { answerTokens: 37 } });
    const prompt = 'What is the capital of France?';
    const order = await completedOrder('quick', prompt);
    const promptTokens = promptTokensOf('quick', prompt);
    // qwen-turbo: 30 fen per million input tokens, 60 per million output tokens.
    const { inputFenPerMTok, outputFenPerMTok } = price('dashscope', 'qwen-turbo');
    const costFen = (promptTokens * inputFenPerMTok + 37 * outputFenPerMTok) / 1_000_000;
    expect(order.usage).toMatchObject({ provider: 'dashscope', model: 'qwen-turbo', promptTokens, completionTokens: 37, estimated: false });
    expect(order.usage?.costFen).toBeCloseTo(costFen, 4);
    expect(order.amountFen).toBe(50);
    expect(order.paymentFeeFen).toBeCloseTo(0.3, 4);
    expect(order.marginFen).toBeCloseTo(50 - 0.3 - costFen, 4);
  });

  test('expert on qwen-max with a long answer: a cost of whole fen, still exact', async () => {
    h.model.setFaults({ llm: { answerTokens: 1500 } });
    const prompt = '请写一篇关于长江经济带发展的详细分析';
    const order = await completedOrder('expert', prompt);
    const promptTokens = promptTokensOf('expert', prompt);
    const costFen = (promptTokens * 2000 + 1500 * 6000) / 1_000_000; // qwen-max: ¥20 / ¥60 per million tokens
    expect(price('dashscope', 'qwen-max')).toEqual({ inputFenPerMTok: 2000, outputFenPerMTok: 6000 });
    expect(order.usage).toMatchObject({ provider: 'dashscope', model: 'qwen-max', promptTokens, completionTokens: 1500 });
    expect(costFen).toBeGreaterThan(9);
    expect(order.usage?.costFen).toBeCloseTo(costFen, 4);
    expect(order.paymentFeeFen).toBeCloseTo(499 * 0.006, 4);
    expect(order.marginFen).toBeCloseTo(499 - 2.994 - costFen, 4);
  });

  test('a failover bills the model that answered, at its own prices', async () => {
    h.model.setFaults({ llm: { answerTokens: 20, byModel: { 'qwen-turbo': { error: 1, errorStatus: 500 } } } });
    const prompt = 'fallback pricing';
    const order = await completedOrder('quick', prompt);
    const { inputFenPerMTok, outputFenPerMTok } = price('deepseek', 'deepseek-chat');
    expect(order.usage?.model).toBe('deepseek-chat');
    expect(order.usage?.costFen).toBeCloseTo((promptTokensOf('quick', prompt) * inputFenPerMTok + 20 * outputFenPerMTok) / 1_000_000, 4);
    h.model.setFaults({ llm: { byModel: { 'qwen-turbo': null } } });
  });
});

describe('npm run report', () => {
  test('sums revenue, fees, model cost and margin per tier from the store; a refund earns nothing', async () => {
    h.model.setFaults({ llm: { answerTokens: 24, byModel: { 'qwen-turbo': { error: 1, errorStatus: 400 } } } });
    expect((await h.paidOrder(newUser(), 'quick', 'this one is refunded')).status).toBe('refunded');
    h.model.setFaults({ llm: { byModel: { 'qwen-turbo': null } } });

    const { data } = await h.ctx.db.collection(ORDERS).where({ status: 'completed' }).get();
    const completed = data as unknown as OrderDocument[];
    const rows = await reportFor(h.dir);
    for (const tier of ['quick', 'expert']) {
      const mine = completed.filter((o) => o.tier === tier);
      const row = rows.find((r) => r.tier === tier && r.rollout === '');
      expect(row).toBeDefined();
      expect(row?.completed).toBe(mine.length);
      expect(row?.revenueFen).toBe(mine.reduce((s, o) => s + o.amountFen, 0));
      expect(row?.feesFen).toBeCloseTo(mine.reduce((s, o) => s + (o.paymentFeeFen ?? 0), 0), 4);
      expect(row?.modelCostFen).toBeCloseTo(mine.reduce((s, o) => s + (o.usage?.costFen ?? 0), 0), 4);
      expect(row?.marginFen).toBeCloseTo(mine.reduce((s, o) => s + (o.marginFen ?? 0), 0), 4);
    }
    const quickRow = rows.find((r) => r.tier === 'quick');
    expect(quickRow?.refunded).toBe(1);
    expect(quickRow?.revenueFen).toBe(50 * (quickRow?.completed ?? 0));

    const printed = execFileSync(process.execPath, [join(__dirname, '..', '..', '.build', 'report.cjs')], {
      env: { PATH: process.env.PATH ?? '', DATA_DIR: h.dir },
      encoding: 'utf8',
    });
    process.stdout.write(printed);
    const quickLine = printed.split('\n').find((line) => line.startsWith('quick '));
    expect(quickLine).toBeDefined();
    const cells = (quickLine as string).trim().split(/\s+/);
    expect(cells.slice(1, 5)).toEqual([String(quickRow?.completed), '1', '0', ((quickRow?.revenueFen ?? 0) / 100).toFixed(4)]);
    expect(cells[7]).toBe(((quickRow?.marginFen ?? 0) / 100).toFixed(4));
    expect(printed).toMatch(/^expert /m);
    expect(printed).toMatch(/^all /m);
  });
});
