/** @jest-environment jsdom */
import { MAX_FAILED_CONNECTIONS, setChunkedTransport } from '../../miniprogram/services/stream';
import type { ClientOrder } from '../../miniprogram/services/types';
import { FakeStreamServer } from './fakeStream';
import { answerText, closePages, fastPolling, fastReveal, FakeCloud, normalPolling, normalReveal, openPage, order, resetCloud, textOf, TIERS, until } from './harness';

const listTiers = () => ({ ok: true as const, tiers: TIERS, subscribeTemplateId: null });

describe('the order page and its channels', () => {
  const writing = (patch: Partial<ClientOrder> = {}) => order({ status: 'generating', rev: 4, paidAt: Date.now(), streamUrl: '/stream?orderId=ord_1&ticket=t', ...patch });
  let server: FakeStreamServer;

  beforeEach(() => {
    server = new FakeStreamServer();
    fastReveal();
    fastPolling();
  });

  afterEach(() => {
    setChunkedTransport(undefined);
    normalReveal();
    normalPolling();
    closePages();
    resetCloud();
  });

  test('prefers the stream: text the stream brings is on screen and getOrder is not polled meanwhile', async () => {
    setChunkedTransport(server.open);
    const cloud = new FakeCloud({ listTiers, getOrder: () => ({ ok: true, order: writing() }) }).install();
    const page = openPage('pages/order/order', { orderId: 'ord_1' });
    await until(() => server.connections.length === 1, 'the stream to open');
    server.event(5, { text: '## 秋天\n\n枫叶🍁' });
    server.event(6, { from: 11, anchor: '## 秋天\n\n枫叶🍁', text: '落满山。', status: 'completed', outputComplete: true });
    server.end('terminal');
    await until(() => answerText(page).includes('枫叶🍁落满山。'), 'the streamed text');
    expect(textOf(page, '#headline')).toBe('已完成');
    expect(cloud.callsTo('getOrder')).toHaveLength(1);
  });

  test('each streamed piece sends the page its new text only, not the order facts it already shows', async () => {
    setChunkedTransport(server.open);
    new FakeCloud({ listTiers, getOrder: () => ({ ok: true, order: writing() }) }).install();
    const page = openPage('pages/order/order', { orderId: 'ord_1' });
    await until(() => server.connections.length === 1, 'the stream to open');
    server.event(5, { status: 'generating', text: '秋天' });
    await until(() => answerText(page) === '秋天', 'the first text');
    const sent: string[] = [];
    const setData = page.instance.setData.bind(page.instance);
    page.instance.setData = ((data: Record<string, unknown>, callback?: () => void) => {
      sent.push(...Object.keys(data));
      setData(data, callback);
    }) as typeof page.instance.setData;
    server.event(6, { status: 'generating', from: 2, anchor: '秋天', text: '的枫叶' });
    await until(() => answerText(page) === '秋天的枫叶', 'the second piece');
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.filter((key) => !key.startsWith('blocks') && key !== 'headline')).toEqual([]);
  });

  test('where enableChunked is missing, the page long-polls as before', async () => {
    setChunkedTransport(null);
    let rev = 4;
    const cloud = new FakeCloud({
      listTiers,
      getOrder: () => {
        rev += 1;
        return { ok: true, order: rev < 6 ? writing({ rev, output: '秋' }) : writing({ rev, status: 'completed', output: '秋天', outputComplete: true }) };
      },
    }).install();
    const page = openPage('pages/order/order', { orderId: 'ord_1' });
    await until(() => answerText(page) === '秋天', 'the long-polled text');
    expect(cloud.callsTo('getOrder').length).toBeGreaterThanOrEqual(2);
    expect(server.connections).toHaveLength(0);
  });

  test('when the stream keeps failing, the long-poll takes over without a word to the user', async () => {
    setChunkedTransport(server.open);
    let calls = 0;
    const cloud = new FakeCloud({
      listTiers,
      getOrder: () => {
        calls += 1;
        return { ok: true, order: calls < 2 ? writing({ output: '秋' }) : writing({ rev: 9, status: 'completed', output: '秋天到了', outputComplete: true }) };
      },
    }).install();
    const page = openPage('pages/order/order', { orderId: 'ord_1' });
    for (let i = 0; i < MAX_FAILED_CONNECTIONS; i += 1) {
      await until(() => server.connections.length === i + 1, `connection ${i + 1}`);
      server.last.callbacks.onFail('request:fail timeout');
    }
    await until(() => answerText(page) === '秋天到了', 'the text from the long-poll');
    expect(cloud.callsTo('getOrder')).toHaveLength(2);
    expect(textOf(page, '#trouble')).toBeUndefined();
    expect(textOf(page, '#notice')).toBeUndefined();
  });

  test('a restarted answer replaces the text on screen and says it is being restarted', async () => {
    setChunkedTransport(server.open);
    new FakeCloud({ listTiers, getOrder: () => ({ ok: true, order: writing() }) }).install();
    const page = openPage('pages/order/order', { orderId: 'ord_1' });
    await until(() => server.connections.length === 1, 'the stream to open');
    server.event(5, { text: '第一个模型的回答' });
    await until(() => answerText(page) === '第一个模型的回答', 'the first model’s text');
    server.event(6, { from: 0, text: '' });
    server.event(7, { from: 0, text: '第二个' });
    await until(() => answerText(page) === '第二个', 'the second model’s text');
    expect(textOf(page, '#notice')).toBe('正在换一个模型重新回答，之前的内容已清除。');
  });
});
