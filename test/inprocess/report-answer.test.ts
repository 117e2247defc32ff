import { readSupport } from '../../core/config/support';
import { listTiers } from '../../core/functions/listTiers';
import { REPORTS_PER_HOUR, reportAnswer } from '../../core/functions/reportAnswer';
import { REPORTS, type ReportDocument } from '../../core/reports/report';
import { hashOpenid } from '../../core/security/identity';
import { InProcess, type Answer } from '../support/inProcess';

/** 举报/反馈 on an answer, in process: what is recorded, for whom, and what is refused. */
let h: InProcess;
let users = 0;
const newUser = () => `reporting-user-${++users}`;

beforeAll(async () => {
  h = await InProcess.start();
});
afterAll(async () => {
  await h.close();
});

const code = (answer: Answer) => (answer.ok ? 'ok' : answer.error.code);

async function reports(): Promise<ReportDocument[]> {
  const { data } = await h.ctx.db.collection(REPORTS).limit(100).get();
  return data as unknown as ReportDocument[];
}

test('a report is recorded under the user hash with the note redacted, and logged for the operator without the note', async () => {
  const user = newUser();
  const order = await h.paidOrder(user, 'quick', 'Is this right?');
  const answer = await h.call(reportAnswer, { orderId: order._id, reason: 'privacy', note: '  它说出了我的邮箱 li.lei@example.com  ' }, user);
  expect(answer).toEqual({ ok: true, reportId: `r${order._id.slice(1)}` });
  const stored = (await reports()).find((r) => r.orderId === order._id);
  expect(stored).toMatchObject({ userHash: hashOpenid(user, h.ctx.env.openidHashSecret), conversationId: order.conversationId, reason: 'privacy', note: '它说出了我的邮箱 [EMAIL]', status: 'open' });
  expect(JSON.stringify(stored)).not.toContain(user);
  const line = h.logs.find((l) => l.includes('"event":"answer_reported"') && l.includes(order._id)) as string;
  expect(JSON.parse(line)).toMatchObject({ level: 'error', reason: 'privacy', noteChars: 16 });
  expect(line).not.toContain('邮箱');
});

test('reporting the same answer again replaces the reason and note: one report per answer', async () => {
  const user = newUser();
  const order = await h.paidOrder(user, 'quick', 'Twice');
  await h.call(reportAnswer, { orderId: order._id, reason: 'inaccurate' }, user);
  await h.clock.advance(1000);
  const again = await h.call(reportAnswer, { orderId: order._id, reason: 'harmful', note: 'worse than I said' }, user);
  expect(again.ok).toBe(true);
  const mine = (await reports()).filter((r) => r.orderId === order._id);
  expect(mine).toHaveLength(1);
  expect(mine[0]).toMatchObject({ reason: 'harmful', note: 'worse than I said' });
  expect(mine[0]?.updatedAt).toBeGreaterThan(mine[0]?.createdAt as number);
});

test("another user's order is NOT_FOUND; a reason outside the list, a long note or no order is INVALID_INPUT; nothing is recorded", async () => {
  const owner = newUser();
  const order = await h.paidOrder(owner, 'quick', 'Not yours');
  const before = (await reports()).length;
  const answers = [
    await h.call(reportAnswer, { orderId: order._id, reason: 'harmful' }, newUser()),
    await h.call(reportAnswer, { orderId: order._id, reason: 'boring' }, owner),
    await h.call(reportAnswer, { orderId: order._id, reason: 'other', note: '长'.repeat(201) }, owner),
    await h.call(reportAnswer, { orderId: order._id, reason: 'other', note: 42 }, owner),
    await h.call(reportAnswer, { reason: 'other' }, owner),
  ];
  expect(answers.map(code)).toEqual(['NOT_FOUND', 'INVALID_INPUT', 'INVALID_INPUT', 'INVALID_INPUT', 'INVALID_INPUT']);
  expect(code(await h.call(reportAnswer, { orderId: order._id, reason: 'other', note: '长'.repeat(200) }, owner))).toBe('ok');
  expect((await reports()).length).toBe(before + 1);
});

test(`at most ${REPORTS_PER_HOUR} reports an hour per user (RATE_LIMITED), then again after the hour`, async () => {
  const user = newUser();
  const orders = [];
  for (let i = 0; i <= REPORTS_PER_HOUR; i += 1) orders.push(await h.paidOrder(user, 'quick', `Question ${i}`));
  for (const order of orders.slice(0, REPORTS_PER_HOUR)) expect(code(await h.call(reportAnswer, { orderId: order._id, reason: 'other' }, user))).toBe('ok');
  const last = orders[REPORTS_PER_HOUR]?._id;
  expect(code(await h.call(reportAnswer, { orderId: last, reason: 'other' }, user))).toBe('RATE_LIMITED');
  await h.clock.advance(3_600_001);
  expect(code(await h.call(reportAnswer, { orderId: last, reason: 'other' }, user))).toBe('ok');
});

test('listTiers names the support contact from SUPPORT_CONTACT, or null', async () => {
  const saved = process.env.SUPPORT_CONTACT;
  try {
    process.env.SUPPORT_CONTACT = '  微信客服：示例AI助手  ';
    expect(await h.call(listTiers, {}, newUser())).toMatchObject({ ok: true, support: { contact: '微信客服：示例AI助手' } });
    delete process.env.SUPPORT_CONTACT;
    expect(await h.call(listTiers, {}, newUser())).toMatchObject({ ok: true, support: { contact: null } });
    expect(() => readSupport({ SUPPORT_CONTACT: 'x'.repeat(101) })).toThrow('SUPPORT_CONTACT must be at most 100 characters');
  } finally {
    if (saved === undefined) delete process.env.SUPPORT_CONTACT;
    else process.env.SUPPORT_CONTACT = saved;
  }
});
