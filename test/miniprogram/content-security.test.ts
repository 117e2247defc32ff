/** @jest-environment jsdom */
import { closePages, FakeCloud, fastPolling, input, normalPolling, openPage, order, resetCloud, settle, tap, textOf, TIERS, until, wxGlobal, type PageComponent } from './harness';
import type { ClientOrder, ErrorCode } from '../../miniprogram/services/types';

/**
 * What the user sees when content security steps in (docs/COMPLIANCE.md): a question refused
 * before payment is explained and nothing is paid; an answer withheld after payment is explained
 * plainly on the order page, with the refund.
 */
const listTiers = () => ({ ok: true as const, tiers: TIERS, subscribeTemplateId: null });
const wxApi = wxGlobal();
const originals = { requestPayment: wxApi.requestPayment, requestSubscribeMessage: wxApi.requestSubscribeMessage, showModal: wxApi.showModal };
let requestPayment: jest.Mock;

beforeEach(() => {
  requestPayment = jest.fn();
  wxApi.requestPayment = requestPayment as unknown as typeof wx.requestPayment;
  wxApi.requestSubscribeMessage = ((options: { success?: (r: unknown) => void }) => options.success?.({ errMsg: 'requestSubscribeMessage:ok' })) as unknown as typeof wx.requestSubscribeMessage;
  fastPolling();
});

afterEach(() => {
  normalPolling();
  closePages();
  Object.assign(wxApi, originals);
  resetCloud();
});

describe('a question refused before payment', () => {
  test.each([
    ['CONTENT_REJECTED', '这个问题未通过内容安全检查，无法回答。没有扣款，请修改后再试。'],
    ['CONTENT_CHECK_UNAVAILABLE', '内容安全检查暂时不可用，没有扣款，请稍后再试'],
  ] as [ErrorCode, string][])('%s is explained and the payment sheet never opens', async (code, text) => {
    const cloud = new FakeCloud({
      listTiers: () => ({ ok: true, tiers: TIERS, subscribeTemplateId: null }),
      createOrder: () => ({ ok: false, error: { code, message: 'x' } }),
    }).install();
    const page = openPage('pages/index/index');
    await until(() => !page.instance.data.loadingTiers, 'tiers loaded');
    input(page, '#prompt', 'question');
    await settle();
    tap(page, '#pay');
    await until(() => page.querySelector('#notice') !== undefined, 'notice');
    expect(page.querySelector('#notice')?.dom?.textContent).toBe(text);
    expect(cloud.callsTo('createOrder')).toHaveLength(1);
    expect(requestPayment).not.toHaveBeenCalled();
  });
});

describe('an answer withheld after payment', () => {
  /** The order page, fed one order after another as the server would answer its long-poll. */
  async function orderPageShowing(...orders: ClientOrder[]): Promise<PageComponent> {
    const queue = [...orders];
    new FakeCloud({ listTiers, getOrder: () => ({ ok: true, order: (queue.length > 1 ? queue.shift() : queue[0]) as ClientOrder }) }).install();
    const page = openPage('pages/order/order', { orderId: 'ord_1', paid: '1' });
    await until(() => page.instance.data.phase === 'refunded', 'the refund to show');
    return page;
  }

  test('the page says the answer did not pass the content check, shows none of it, and shows the refund', async () => {
    const error = { code: 'CONTENT_REFUSED', message: 'the answer did not pass the content check and was withheld; the payment is being refunded' };
    const page = await orderPageShowing(
      order({ status: 'refunding', rev: 4, amountFen: 499, output: '', error }),
      order({ status: 'refunded', rev: 5, amountFen: 499, output: '', error, refundedAt: Date.now() }),
    );
    expect(textOf(page, '#headline')).toBe('已退款 ¥4.99');
    expect(textOf(page, '#refund-explain')).toBe('回答未通过内容安全检查，已被撤下，不会显示。款项将原路退回。');
    expect(page.querySelector('#output')).toBeUndefined();
  });

  test('while the refund is on its way the reason is already shown', async () => {
    const error = { code: 'CONTENT_UNCHECKED', message: 'x' };
    const refunding = order({ status: 'refunding', rev: 4, output: '', error });
    const stalled = new FakeCloud({ listTiers, getOrder: () => ({ ok: true, order: refunding }) }).install();
    const page = openPage('pages/order/order', { orderId: 'ord_1' });
    await until(() => page.instance.data.phase === 'refunding', 'refunding');
    expect(textOf(page, '#refund-explain')).toBe('回答暂时无法完成内容安全检查，已被撤下，不会显示。款项将原路退回。');
    expect(stalled.callsTo('getOrder').length).toBeGreaterThan(0);
  });

  test('a refund for another reason keeps its own explanation', async () => {
    const page = await orderPageShowing(order({ status: 'refunded', rev: 5, amountFen: 100, refundedAt: Date.now(), error: { code: 'GENERATION_FAILED', message: 'x' } }));
    expect(textOf(page, '#refund-explain')).toBe('这次没能生成回答，款项已原路退回。');
  });
});
