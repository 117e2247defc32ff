import fc from 'fast-check';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudPayProvider } from '../core/payments/cloudPay';
import { readRefundAnswer, tradeOfRefund } from '../core/payments/cloudPayRefundAnswer';
import { describeShape } from '../core/payments/fields';
import type { CloudPayApi } from '../core/platform/wxCloud';
import { createPayDelivery } from '../local/pay/delivery';
import { defaultFaults, type Faults } from '../local/pay/faults';
import { PaySimulator, type RefundRecord } from '../local/pay/simulator';
import type { FunctionHost } from '../local/functions/host';
import { LocalStore } from '../local/store/localDatabase';

/**
 * How a cloud-pay refund's status is read from `queryRefund`, in every shape WeChat is known to
 * answer (core/payments/cloudPayRefundAnswer.ts cites each), and what the local cloud pay answers
 * and sends for a refund. The same path through the real wx-server-sdk and the local runtime is in
 * cloudpay-fidelity.test.ts.
 */

const TRADE = 'AI20250101120000abcdefghABCDEFGH';
const OURS = `R${TRADE}`;
const OTHER = 'R-manual-refund-from-the-merchant-platform';

/** An answer as wx-server-sdk resolves it: camelCase keys, `errCode: 0` added (index.js, callCloudPayAPI). */
function resolved(fields: Record<string, unknown>): Record<string, unknown> {
  return { returnCode: 'SUCCESS', returnMsg: 'OK', resultCode: 'SUCCESS', appid: 'wxd2565e6a04246fd1', mchId: '1800780001', subMchId: '1712734762', outTradeNo: TRADE, totalFee: 50, cashFee: 50, ...fields, errCode: 0, errMsg: 'cloudPay.queryRefund:ok' };
}

/** Every list empty, key for key as quoted on https://developers.weixin.qq.com/community/develop/doc/000484fe0ec200394c409a2a466800. */
const EMPTY_LISTS = {
  refundCount: 1,
  outRefundNoList: [],
  refundIdList: [],
  refundChannel: [],
  refundFeeList: [],
  settlementRefundFeeList: [],
  couponTypeArray: [],
  couponRefundFeeList: [],
  couponRefundCountList: [],
  couponRefundIdArray: [],
  couponRefundFeeArray: [],
  refundStatusList: [],
  refundAccountList: [],
  refundRecvAccoutList: [],
  refundSuccessTimeList: [],
};

const lists = (numbers: string[], statuses: string[]) => ({ ...EMPTY_LISTS, refundCount: numbers.length, outRefundNoList: numbers, refundStatusList: statuses });

describe('reading a refund status from queryRefund', () => {
  test('lists: our refund is found by its number, whatever its place', () => {
    expect(readRefundAnswer(resolved(lists([OURS], ['SUCCESS'])), OURS, TRADE)).toEqual({ outcome: 'state', state: 'SUCCESS' });
    expect(readRefundAnswer(resolved(lists([OURS], ['PROCESSING'])), OURS, TRADE)).toEqual({ outcome: 'state', state: 'PROCESSING' });
    expect(readRefundAnswer(resolved(lists([OTHER, OURS], ['SUCCESS', 'REFUNDCLOSE'])), OURS, TRADE)).toEqual({ outcome: 'state', state: 'CLOSED' });
    expect(readRefundAnswer(resolved(lists([OURS, OTHER], ['CHANGE', 'SUCCESS'])), OURS, TRADE)).toEqual({ outcome: 'state', state: 'ABNORMAL' });
  });

  test("lists: a refund of another number is not ours, and ours missing from a full list is absent", () => {
    expect(readRefundAnswer(resolved(lists([OTHER], ['SUCCESS'])), OURS, TRADE)).toEqual({ outcome: 'absent' });
    // More refunds than a page of the answer lists (queries by trade are paged by 10): ours may be on another page.
    expect(readRefundAnswer(resolved({ ...lists([OTHER], ['SUCCESS']), totalRefundCount: 12 }), OURS, TRADE)).toMatchObject({ outcome: 'unreadable' });
  });

  test('empty lists, as every capture shows them, are unreadable: not "no refund", not PROCESSING', () => {
    const reading = readRefundAnswer(resolved(EMPTY_LISTS), OURS, TRADE);
    expect(reading).toEqual({ outcome: 'unreadable', reason: 'no refund listed (refundCount 1)' });
    expect(readRefundAnswer(resolved({ ...EMPTY_LISTS, refundCount: 3 }), OURS, TRADE).outcome).toBe('unreadable');
  });

  test('indexed fields, as the SDK converts them (refundStatus_0) and unconverted (refund_status_1), matched by number', () => {
    expect(readRefundAnswer(resolved({ refundCount: 1, outRefundNo_0: OURS, refundStatus_0: 'SUCCESS' }), OURS, TRADE)).toEqual({ outcome: 'state', state: 'SUCCESS' });
    const snake = { refund_count: 2, out_refund_no_0: OTHER, refund_status_0: 'SUCCESS', out_refund_no_1: OURS, refund_status_1: 'PROCESSING' };
    expect(readRefundAnswer(resolved(snake), OURS, TRADE)).toEqual({ outcome: 'state', state: 'PROCESSING' });
    expect(readRefundAnswer(resolved({ outRefundNo_0: OTHER, refundStatus_0: 'SUCCESS' }), OURS, TRADE)).toEqual({ outcome: 'absent' });
    // A status that cannot be matched to a refund number is nobody's.
    expect(readRefundAnswer(resolved({ refundCount: 1, refundStatus_0: 'SUCCESS' }), OURS, TRADE).outcome).toBe('unreadable');
  });

  test('mixed forms: empty lists beside indexed fields, forms that agree, forms that contradict each other', () => {
    expect(readRefundAnswer(resolved({ ...EMPTY_LISTS, outRefundNo_0: OURS, refundStatus_0: 'SUCCESS' }), OURS, TRADE)).toEqual({ outcome: 'state', state: 'SUCCESS' });
    expect(readRefundAnswer(resolved({ ...lists([OURS], ['SUCCESS']), outRefundNo_0: OURS, refundStatus_0: 'SUCCESS' }), OURS, TRADE)).toEqual({ outcome: 'state', state: 'SUCCESS' });
    expect(readRefundAnswer(resolved({ ...lists([OURS], ['SUCCESS']), outRefundNo_0: OURS, refundStatus_0: 'PROCESSING' }), OURS, TRADE).outcome).toBe('unreadable');
    expect(readRefundAnswer(resolved({ ...lists([OURS], ['SUCCESS']), outRefundNo_0: OTHER, refundStatus_0: 'SUCCESS' }), OURS, TRADE).outcome).toBe('unreadable');
  });

  test("a single refund's unindexed fields", () => {
    expect(readRefundAnswer(resolved({ outRefundNo: OURS, refundStatus: 'SUCCESS' }), OURS, TRADE)).toEqual({ outcome: 'state', state: 'SUCCESS' });
    expect(readRefundAnswer(resolved({ out_refund_no: OURS, refund_status: 'REFUNDCLOSE' }), OURS, TRADE)).toEqual({ outcome: 'state', state: 'CLOSED' });
    expect(readRefundAnswer(resolved({ outRefundNo: OTHER, refundStatus: 'SUCCESS' }), OURS, TRADE)).toEqual({ outcome: 'absent' });
    expect(readRefundAnswer(resolved({ refundStatus: 'SUCCESS' }), OURS, TRADE).outcome).toBe('unreadable');
  });

  test('garbage is unreadable, never a state', () => {
    const garbage: Record<string, unknown>[] = [
      {},
      { refundStatusList: 'SUCCESS', outRefundNoList: OURS },
      lists([OURS], []),
      lists([OURS, OTHER], ['SUCCESS']),
      lists([OURS], ['DONE']),
      { ...lists([OURS], ['SUCCESS']), refundStatusList: [0] },
      { ...lists([OURS], ['SUCCESS']), outTradeNo: 'AI20250101120000zzzzzzzzzzzzzzzz' },
      { outRefundNo_0: OURS, refundStatus_0: null },
    ];
    for (const answer of garbage) expect({ answer, outcome: readRefundAnswer(resolved(answer), OURS, TRADE).outcome }).toEqual({ answer, outcome: 'unreadable' });
  });

  test('an answer that does not name our refund number never gives it a state', () => {
    const anyJson = fc.anything({ key: fc.constantFrom('outRefundNoList', 'refundStatusList', 'outRefundNo_0', 'refundStatus_0', 'refund_status_0', 'outRefundNo', 'refundStatus', 'refundCount', 'totalRefundCount', 'x'), maxDepth: 2 });
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('outRefundNoList', 'refundStatusList', 'outRefundNo_0', 'refundStatus_0', 'out_refund_no_1', 'refund_status_1', 'outRefundNo', 'refundStatus', 'refundCount'), fc.oneof(anyJson, fc.constantFrom('SUCCESS', [OTHER], ['SUCCESS'], OTHER))), (answer) => {
        expect(readRefundAnswer(answer, OURS, TRADE).outcome).not.toBe('state');
      }),
    );
  });

  test('the trade of a refund number is read back only from numbers of ours', () => {
    expect(tradeOfRefund(OURS)).toBe(TRADE);
    for (const other of [TRADE, OTHER, `R${TRADE}x`, `r${TRADE}`, `R${TRADE.slice(1)}`, '']) expect(tradeOfRefund(other)).toBeUndefined();
  });
});

describe('the provider over cloud pay', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  function providerAnswering(answer: Record<string, unknown>) {
    const asked: Record<string, unknown>[] = [];
    const refused = () => Promise.reject(new Error('not used here'));
    const api: CloudPayApi = {
      unifiedOrder: refused,
      queryOrder: refused,
      closeOrder: refused,
      refund: refused,
      queryRefund: (params) => {
        asked.push(params);
        return Promise.resolve(answer);
      },
    };
    return { provider: new CloudPayProvider(api, { subMchId: '1712734762', envId: 'env', payCallbackFunction: 'payCallback', refundCallbackFunction: 'refundCallback' }), asked };
  }

  test('asks by the trade, and an answer with no readable status is UNKNOWN, logged with its shape the first time', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const { provider, asked } = providerAnswering(resolved(EMPTY_LISTS));
    expect(await provider.queryRefund(OURS)).toBe('UNKNOWN');
    expect(await provider.queryRefund(OURS)).toBe('UNKNOWN');
    expect(asked).toEqual([expect.objectContaining({ out_trade_no: TRADE }), expect.objectContaining({ out_trade_no: TRADE })]);
    expect(asked[0]).not.toHaveProperty('out_refund_no');
    const lines = warn.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>).filter((line) => line.event === 'cloudpay_refund_status_unreadable');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ outRefundNo: OURS, shape: { refundStatusList: [], refundCount: 1, returnCode: 'SUCCESS' } });
    expect(lines[1]).not.toHaveProperty('shape');
  });

  test('REFUNDNOTEXIST (its code overwritten by the SDK) and a list without ours are NOT_FOUND; a listed status is read', async () => {
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const notExist = { returnCode: 'SUCCESS', returnMsg: 'OK', resultCode: 'FAIL', errCodeDes: '退款订单查询失败', errCode: 0, errMsg: 'cloudPay.queryRefund:ok' };
    expect(await providerAnswering(notExist).provider.queryRefund(OURS)).toBe('NOT_FOUND');
    expect(await providerAnswering(resolved(lists([OTHER], ['SUCCESS']))).provider.queryRefund(OURS)).toBe('NOT_FOUND');
    expect(await providerAnswering(resolved(lists([OURS], ['SUCCESS']))).provider.queryRefund(OURS)).toBe('SUCCESS');
  });

  test("a logged shape keeps codes and counts and drops every id, amount and account", () => {
    const shape = JSON.stringify(
      describeShape({ ...resolved(lists([OURS], ['SUCCESS'])), transactionId: '4200000732202010225277969811', refundRecvAccoutList: ['工商银行借记卡0055'], subOpenid: 'oZWaC4xeOVCUkip5njeEeXi1TEsk', totalFee: 10800 }),
    );
    for (const secret of ['4200000732202010225277969811', '0055', 'oZWaC4xeOVCUkip5njeEeXi1TEsk', '10800', TRADE, OURS]) expect(shape).not.toContain(secret);
    expect(JSON.parse(shape)).toMatchObject({ refundStatusList: ['SUCCESS', '1 items'], refundCount: 1, resultCode: 'SUCCESS', transactionId: 'string(28)' });
  });
});

describe('the local cloud pay, for refunds', () => {
  let store: LocalStore;
  let simulator: PaySimulator;
  let faults: Faults;

  beforeEach(() => {
    store = new LocalStore(mkdtempSync(join(tmpdir(), 'cloudpay-refunds-')));
    faults = defaultFaults();
    simulator = new PaySimulator(store.database(), () => faults, () => Promise.resolve(true), () => Promise.resolve());
  });
  afterEach(async () => {
    await store.close();
  });

  async function paidTrade(outTradeNo: string, amountFen: number): Promise<void> {
    const prepay = await simulator.wxPayApi('unifiedOrder', { function_name: 'payCallback', sub_mch_id: '1712734762', nonce_str: 'n', body: 'answer', out_trade_no: outTradeNo, total_fee: amountFen, spbill_create_ip: '127.0.0.1', trade_type: 'JSAPI' });
    expect(prepay).toMatchObject({ result_code: 'SUCCESS' });
    expect((await simulator.simulate(outTradeNo, 'success')).ok).toBe(true);
  }

  async function refunded(outTradeNo: string, outRefundNo: string, fen: number, total: number, functionName?: string): Promise<RefundRecord> {
    const answer = await simulator.wxPayApi('refund', { sub_mch_id: '1712734762', nonce_str: 'n', out_trade_no: outTradeNo, out_refund_no: outRefundNo, total_fee: total, refund_fee: fen, ...(functionName ? { function_name: functionName, env_id: 'local' } : {}) });
    expect(answer).toMatchObject({ result_code: 'SUCCESS', coupon_type_list: [], coupon_refund_id_list: [], coupon_refund_fee_list: [] });
    for (let i = 0; i < 100; i += 1) {
      const record = await simulator.refundRecord(outRefundNo);
      if (record?.state === 'SUCCESS') return record;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`refund ${outRefundNo} never settled`);
  }

  test("queryRefund answers with WeChat's documented keys and lists, in snake_case, for the SDK to convert", async () => {
    await paidTrade(TRADE, 50);
    await refunded(TRADE, OURS, 50, 50, 'refundCallback');
    const answer = (await simulator.wxPayApi('queryRefund', { sub_mch_id: '1712734762', nonce_str: 'n', out_trade_no: TRADE })) as Record<string, unknown>;
    // Key for key WeChat's example: https://developers.weixin.qq.com/minigame/dev/wxcloudrun/src/development/pay/order/queryrefund.html
    const documented = 'return_code return_msg result_code appid mch_id sub_mch_id nonce_str sign transaction_id out_trade_no total_fee cash_fee refund_count out_refund_no_list refund_id_list refund_channel refund_fee_list settlement_refund_fee_list coupon_type_array coupon_refund_fee_list coupon_refund_count_list coupon_refund_id_array coupon_refund_fee_array refund_status_list refund_account_list refund_recv_accout_list refund_success_time_list';
    expect(Object.keys(answer).sort()).toEqual(documented.split(' ').sort());
    expect(answer).toMatchObject({ result_code: 'SUCCESS', out_trade_no: TRADE, refund_count: 1, out_refund_no_list: [OURS], refund_status_list: ['SUCCESS'], refund_fee_list: [50], refund_success_time_list: [expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/)] });
    // The same refund asked for by its own number; and a paid trade without refunds.
    expect(await simulator.wxPayApi('queryRefund', { sub_mch_id: '1712734762', nonce_str: 'n', out_refund_no: OURS })).toMatchObject({ out_refund_no_list: [OURS], refund_status_list: ['SUCCESS'] });
    await paidTrade('AI20250101120000noRefundsHere000', 50);
    expect(await simulator.wxPayApi('queryRefund', { sub_mch_id: '1712734762', nonce_str: 'n', out_trade_no: 'AI20250101120000noRefundsHere000' })).toMatchObject({ result_code: 'FAIL', err_code: 'REFUNDNOTEXIST' });
  });

  test('a trade with several refunds, asked for by the trade, also gets the indexed fields; refundQueryEmpty empties the lists', async () => {
    await paidTrade(TRADE, 100);
    await refunded(TRADE, OTHER, 40, 100);
    await refunded(TRADE, OURS, 60, 100);
    const byTrade = (await simulator.wxPayApi('queryRefund', { sub_mch_id: '1712734762', nonce_str: 'n', out_trade_no: TRADE })) as Record<string, unknown>;
    expect(byTrade).toMatchObject({ refund_count: 2, out_refund_no_list: [OTHER, OURS], out_refund_no_0: OTHER, out_refund_no_1: OURS, refund_status_1: 'SUCCESS', refund_fee_1: 60 });
    expect(readRefundAnswer(byTrade, OURS, TRADE)).toEqual({ outcome: 'state', state: 'SUCCESS' });
    const byNumber = (await simulator.wxPayApi('queryRefund', { sub_mch_id: '1712734762', nonce_str: 'n', out_refund_no: OURS })) as Record<string, unknown>;
    expect(byNumber).not.toHaveProperty('out_refund_no_0');
    faults.pay.refundQueryEmpty = 1;
    const empty = (await simulator.wxPayApi('queryRefund', { sub_mch_id: '1712734762', nonce_str: 'n', out_trade_no: TRADE })) as Record<string, unknown>;
    expect(empty).toMatchObject({ result_code: 'SUCCESS', refund_count: 2, out_refund_no_list: [], refund_status_list: [] });
    expect(readRefundAnswer(empty, OURS, TRADE).outcome).toBe('unreadable');
  });

  test('a refund result goes to the function the refund named, as plain camelCase fields; none named, none called', async () => {
    const calls: { name: string; event: Record<string, unknown>; source: string }[] = [];
    const host = { invoke: (name: string, event: Record<string, unknown>, caller: { source: string }) => (calls.push({ name, event, source: caller.source }), Promise.resolve({ errcode: 0, errmsg: '' })) };
    const delivery = createPayDelivery({ host: () => host as unknown as FunctionHost, simulator: () => simulator, keys: () => { throw new Error('no v3 keys for cloud pay'); }, subMchId: '1712734762' });
    await paidTrade(TRADE, 100);
    await delivery.refund(await refunded(TRADE, OURS, 60, 100, 'refundResults'));
    await delivery.refund(await refunded(TRADE, OTHER, 40, 100));
    expect(calls).toEqual([{ name: 'refundResults', source: 'wx_paycallback', event: expect.objectContaining({ returnCode: 'SUCCESS', outTradeNo: TRADE, outRefundNo: OURS, refundStatus: 'SUCCESS', refundFee: 60, settlementRefundFee: 60 }) }]);
    expect(Object.keys(calls[0]?.event ?? {}).every((key) => /^[a-z][A-Za-z]*$/.test(key))).toBe(true);
  });
});
