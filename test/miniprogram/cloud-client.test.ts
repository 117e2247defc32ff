/** @jest-environment jsdom */
import { cloudApi, createCloudApi, defaultTransport, localTransport, setCloudApi, type CloudApi } from '../../miniprogram/services/cloud';
import { wxGlobal } from './harness';

type RequestOptions = { url: string; method: string; data: unknown; success?: (result: unknown) => void; fail?: (error: { errMsg: string }) => void };

const wxApi = wxGlobal();
/** Where WeChat puts CloudBase; miniprogram-simulate has none, so tests add and remove it. */
const wxCloudSlot = wxApi as unknown as { cloud?: unknown };
const originalRequest = wxApi.request;

afterEach(() => {
  delete wxCloudSlot.cloud;
  wxApi.request = originalRequest;
  delete (globalThis as { getApp?: unknown }).getApp;
  setCloudApi(null);
});

/** A wx.request that answers every call with one HTTP status and body, and records what was sent. */
function httpAnswers(statusCode: number, data: unknown): RequestOptions[] {
  const sent: RequestOptions[] = [];
  wxApi.request = ((options: RequestOptions) => {
    sent.push(options);
    setTimeout(() => options.success?.({ statusCode, data, header: {}, cookies: [], errMsg: 'request:ok' }), 0);
  }) as unknown as typeof wx.request;
  return sent;
}

describe('cloud client', () => {
  test('inside WeChat it calls wx.cloud.callFunction and returns the function\'s result', async () => {
    const callFunction = jest.fn(async (_: { name: string; data?: unknown }) => ({ result: { ok: true, tiers: [], subscribeTemplateId: null }, errMsg: 'cloud.callFunction:ok' }));
    wxCloudSlot.cloud = { callFunction };
    const sent = httpAnswers(200, { result: { ok: false, error: { code: 'INTERNAL', message: 'wrong door' } } });
    const api = createCloudApi(defaultTransport());
    expect(await api.listTiers()).toEqual({ ok: true, tiers: [], subscribeTemplateId: null });
    expect(await api.getOrder({ orderId: 'ord_1', waitMs: 3000, knownRev: 2 })).toMatchObject({ ok: true });
    expect(callFunction.mock.calls.map(([call]) => call)).toEqual([
      { name: 'listTiers', data: {} },
      { name: 'getOrder', data: { orderId: 'ord_1', waitMs: 3000, knownRev: 2 } },
    ]);
    expect(sent).toHaveLength(0);
  });

  test('without wx.cloud it posts { data } to the local runtime and unwraps { result }', async () => {
    const sent = httpAnswers(200, { result: { ok: true, orders: [], nextCursor: null } });
    const api = createCloudApi(defaultTransport());
    expect(await api.listOrders({ limit: 10 })).toEqual({ ok: true, orders: [], nextCursor: null });
    expect(sent[0]).toMatchObject({ url: 'http://127.0.0.1:8787/api/functions/listOrders', method: 'POST', data: { data: { limit: 10 } } });
  });

  test('conversation calls go to their functions; a token-paid question is createOrder with payWith tokens', async () => {
    const callFunction = jest.fn(async (_: { name: string; data?: unknown }) => ({ result: { ok: true }, errMsg: 'cloud.callFunction:ok' }));
    wxCloudSlot.cloud = { callFunction };
    const api = createCloudApi(defaultTransport());
    await api.createOrder({ prompt: '再短一点', tier: 'quick', payWith: 'tokens', conversationId: 'c_1' });
    await api.listConversations({ cursor: 'x' });
    await api.getConversation({ conversationId: 'c_1' });
    await api.deleteConversation({ conversationId: 'c_1' });
    await api.reportAnswer({ orderId: 'ord_1', reason: 'inaccurate', note: '年份不对' });
    expect(callFunction.mock.calls.map(([call]) => call)).toEqual([
      { name: 'createOrder', data: { prompt: '再短一点', tier: 'quick', payWith: 'tokens', conversationId: 'c_1' } },
      { name: 'listConversations', data: { cursor: 'x' } },
      { name: 'getConversation', data: { conversationId: 'c_1' } },
      { name: 'deleteConversation', data: { conversationId: 'c_1' } },
      { name: 'reportAnswer', data: { orderId: 'ord_1', reason: 'inaccurate', note: '年份不对' } },
    ]);
  });

  test('the app flag set by the browser preview chooses local mode even where wx.cloud exists', async () => {
    wxCloudSlot.cloud = { callFunction: jest.fn() };
    (globalThis as { getApp?: unknown }).getApp = () => ({ globalData: { localRuntimeUrl: '' } });
    const sent = httpAnswers(200, { result: { ok: true, order: {} } });
    await createCloudApi(defaultTransport()).cancelOrder({ orderId: 'ord_9' });
    expect(sent[0]?.url).toBe('/api/functions/cancelOrder');
  });

  test('a call that fails on the way, or answers in an unknown shape, is a NETWORK failure, never a throw', async () => {
    httpAnswers(500, { errMsg: 'function crashed' });
    expect(await createCloudApi(localTransport('http://127.0.0.1:1')).listTiers()).toEqual({
      ok: false,
      error: { code: 'NETWORK', message: 'local runtime answered 500: function crashed' },
    });
    httpAnswers(200, { result: 'not an outcome' });
    expect(await createCloudApi(localTransport('')).listTiers()).toMatchObject({ ok: false, error: { code: 'NETWORK' } });
    httpAnswers(200, { result: { ok: false, error: 'no code' } });
    expect(await createCloudApi(localTransport('')).listTiers()).toMatchObject({ ok: false, error: { code: 'NETWORK' } });
    wxApi.request = ((options: RequestOptions) => setTimeout(() => options.fail?.({ errMsg: 'request:fail timeout' }), 0)) as unknown as typeof wx.request;
    expect(await createCloudApi(localTransport('')).listTiers()).toEqual({ ok: false, error: { code: 'NETWORK', message: 'request:fail timeout' } });
    const throwing = createCloudApi(async () => {
      throw new Error('cloud.callFunction:fail -404011 cloud function execution error');
    });
    expect(await throwing.getOrder({ orderId: 'x' })).toMatchObject({ ok: false, error: { code: 'NETWORK' } });
  });

  test('a client injected for tests replaces the default until it is reset', async () => {
    const fake: CloudApi = {
      listTiers: async () => ({ ok: true, tiers: [], packs: [], subscribeTemplateId: 'injected', payMode: 'wxpay', support: { contact: null } }),
      getBalance: async () => ({ ok: true, balance: 0 }),
      createTopUp: async () => ({ ok: false, error: { code: 'INTERNAL', message: '' } }),
      createOrder: async () => ({ ok: false, error: { code: 'INTERNAL', message: '' } }),
      getOrder: async () => ({ ok: false, error: { code: 'INTERNAL', message: '' } }),
      listOrders: async () => ({ ok: false, error: { code: 'INTERNAL', message: '' } }),
      cancelOrder: async () => ({ ok: false, error: { code: 'INTERNAL', message: '' } }),
      listConversations: async () => ({ ok: false, error: { code: 'INTERNAL', message: '' } }),
      getConversation: async () => ({ ok: false, error: { code: 'INTERNAL', message: '' } }),
      deleteConversation: async () => ({ ok: false, error: { code: 'INTERNAL', message: '' } }),
      reportAnswer: async () => ({ ok: false, error: { code: 'INTERNAL', message: '' } }),
    };
    setCloudApi(fake);
    expect(cloudApi()).toBe(fake);
    setCloudApi(null);
    expect(cloudApi()).not.toBe(fake);
  });
});
