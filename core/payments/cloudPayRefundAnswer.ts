import { readField } from './fields';
import type { RefundState } from './provider';

/**
 * Where one refund stands, read from a cloud-pay `queryRefund` answer (after wx-server-sdk's
 * `convertCase`, which turns `refund_status_list` into `refundStatusList` and leaves an index
 * suffix alone: `refund_status_0` → `refundStatus_0`; the snake_case spellings are read too).
 *
 * WeChat is known to answer in three forms, and none can be assumed:
 * - lists, one entry per refund of the trade (`outRefundNoList`, `refundStatusList`, …): the shape
 *   of WeChat's own example, queried by out_trade_no, https://developers.weixin.qq.com/minigame/dev/wxcloudrun/src/development/pay/order/queryrefund.html
 *   (`"refund_count":1, "out_refund_no_list":[], …, "refund_status_list":[]`), and of every answer
 *   quoted on the developer community: https://developers.weixin.qq.com/community/develop/doc/000484fe0ec200394c409a2a466800;
 * - indexed fields `refund_status_$n` matched by `out_refund_no_$n`: the v2 refundquery
 *   (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_5; a captured answer:
 *   https://developers.weixin.qq.com/community/pay/doc/0004ee848b09d04d382b7779c5ec00), which cloud
 *   pay returns, by WeChat's answer on https://developers.weixin.qq.com/community/pay/doc/000c00444d406072e81fbcc1556800,
 *   only "使用transaction_id或者out_trade_no查询退款且有多次退款的情况下";
 * - one refund's unindexed fields (`out_refund_no`, `refund_status`), read for completeness.
 *
 * Empty lists are NOT "no refund": the community reports them with `refundCount` 1 or 3 for
 * refunds the merchant platform shows as succeeded (https://developers.weixin.qq.com/community/personal/oCJUswx0979umYaYR4U0gTL4kLtg/answer:
 * "1笔退款通过商户后台查询明明已经退款成功了"), and WeChat's own example has them. A refund WeChat
 * does not have is the business error REFUNDNOTEXIST (9_5 error table), handled by the caller.
 */
export type RefundReading =
  | { outcome: 'state'; state: Exclude<RefundState, 'NOT_FOUND' | 'UNKNOWN'> }
  /** The answer lists the trade's refunds, and this refund number is not among them. */
  | { outcome: 'absent' }
  /** Nothing in the answer says where this refund stands. */
  | { outcome: 'unreadable'; reason: string };

/**
 * The refund statuses of the v2 refundquery and refund notification (9_5, 9_16: SUCCESS,
 * REFUNDCLOSE, PROCESSING, CHANGE; older copies of 9_5 also list FAIL, e.g. WxJava's
 * WxPayRefundQueryResult), and the v3 names for the same states in case cloud pay passes them on.
 * CHANGE ("退款异常": the card was closed, money went back to the merchant) and FAIL leave money
 * owed, which only a person can settle: ABNORMAL.
 */
const STATUSES: Readonly<Record<string, Exclude<RefundState, 'NOT_FOUND' | 'UNKNOWN'>>> = {
  SUCCESS: 'SUCCESS',
  PROCESSING: 'PROCESSING',
  REFUNDCLOSE: 'CLOSED',
  CLOSED: 'CLOSED',
  CHANGE: 'ABNORMAL',
  ABNORMAL: 'ABNORMAL',
  FAIL: 'ABNORMAL',
};

type Answer = Record<string, unknown>;
/** A form's verdict, or null when the answer does not use that form at all (or leaves it empty). */
type FormReading = RefundReading | null;

function statusOf(value: unknown): RefundReading {
  const state = typeof value === 'string' ? STATUSES[value] : undefined;
  return state ? { outcome: 'state', state } : { outcome: 'unreadable', reason: `status ${typeof value === 'string' ? value.slice(0, 20) : typeof value} is not a refund status` };
}

function fromLists(answer: Answer, outRefundNo: string): FormReading {
  const numbers = readField(answer, 'outRefundNoList');
  const statuses = readField(answer, 'refundStatusList');
  if (!Array.isArray(numbers) && !Array.isArray(statuses)) return null;
  const listed = Array.isArray(numbers) ? numbers : [];
  const states = Array.isArray(statuses) ? statuses : [];
  if (listed.length === 0 && states.length === 0) return null;
  if (listed.length !== states.length) return { outcome: 'unreadable', reason: `${listed.length} refund numbers listed for ${states.length} statuses` };
  const at = listed.flatMap((number, index) => (number === outRefundNo ? [index] : []));
  if (at.length === 0) return { outcome: 'absent' };
  return agree(at.map((index) => statusOf(states[index])));
}

const INDEXED_NUMBER = /^(?:outRefundNo|out_refund_no)_(\d{1,3})$/;
const INDEXED_STATUS = /^(?:refundStatus|refund_status)_(\d{1,3})$/;

function fromIndexed(answer: Answer, outRefundNo: string): FormReading {
  const numbers = new Map<string, unknown>();
  let statuses = 0;
  for (const [key, value] of Object.entries(answer)) {
    const number = INDEXED_NUMBER.exec(key);
    if (number) numbers.set(number[1] as string, value);
    else if (INDEXED_STATUS.test(key)) statuses += 1;
  }
  if (numbers.size === 0) return statuses === 0 ? null : { outcome: 'unreadable', reason: 'indexed statuses without refund numbers' };
  const ours = [...numbers].filter(([, number]) => number === outRefundNo).map(([index]) => index);
  if (ours.length === 0) return { outcome: 'absent' };
  // `refundStatus_0` after the SDK's conversion, `refund_status_0` when nothing converted it.
  return agree(ours.map((index) => statusOf(answer[`refundStatus_${index}`] ?? answer[`refund_status_${index}`])));
}

function fromSingle(answer: Answer, outRefundNo: string): FormReading {
  const number = readField(answer, 'outRefundNo');
  const status = readField(answer, 'refundStatus');
  if (number === undefined && status === undefined) return null;
  if (number === undefined) return { outcome: 'unreadable', reason: 'a refund status without its refund number' };
  if (number !== outRefundNo) return { outcome: 'absent' };
  return statusOf(status);
}

/** One verdict from several: the same one, or unreadable when they differ (never the kinder one). */
function agree(readings: RefundReading[]): RefundReading {
  const unreadable = readings.find((r) => r.outcome === 'unreadable');
  if (unreadable) return unreadable;
  const kinds = new Set(readings.map((r) => (r.outcome === 'state' ? r.state : r.outcome)));
  if (kinds.size > 1) return { outcome: 'unreadable', reason: `the answer contradicts itself (${[...kinds].join(', ')})` };
  return readings[0] ?? { outcome: 'unreadable', reason: 'no refund listed' };
}

/**
 * Where the refund numbered `outRefundNo` of the trade `outTradeNo` stands, by a successful
 * (`resultCode: SUCCESS`) queryRefund answer.
 */
export function readRefundAnswer(answer: Answer, outRefundNo: string, outTradeNo?: string): RefundReading {
  const trade = readField(answer, 'outTradeNo');
  if (outTradeNo !== undefined && typeof trade === 'string' && trade !== '' && trade !== outTradeNo) {
    return { outcome: 'unreadable', reason: 'the answer is about another trade' };
  }
  const readings = [fromLists(answer, outRefundNo), fromIndexed(answer, outRefundNo), fromSingle(answer, outRefundNo)].filter((r): r is RefundReading => r !== null);
  if (readings.length === 0) {
    const count = readField(answer, 'refundCount');
    return { outcome: 'unreadable', reason: `no refund listed (refundCount ${typeof count === 'number' ? count : typeof count})` };
  }
  const verdict = agree(readings);
  // More refunds than listed (queries by trade are paged by 10, 9_5 "分页查询"): ours may be on another page.
  const total = Number(readField(answer, 'totalRefundCount'));
  if (verdict.outcome === 'absent' && Number.isInteger(total) && total > listedCount(answer)) {
    return { outcome: 'unreadable', reason: `${total} refunds, fewer listed` };
  }
  return verdict;
}

function listedCount(answer: Answer): number {
  const numbers = readField(answer, 'outRefundNoList');
  const indexed = Object.keys(answer).filter((key) => INDEXED_NUMBER.test(key)).length;
  return Math.max(Array.isArray(numbers) ? numbers.length : 0, indexed);
}

const REFUND_NUMBER = /^R([A-Za-z0-9]{32})$/;

/**
 * The trade a refund number of ours belongs to: one refund per order, numbered `R` + outTradeNo
 * (`outRefundNoFor` in core/orders/ids.ts). Undefined for any other number.
 */
export function tradeOfRefund(outRefundNo: string): string | undefined {
  return REFUND_NUMBER.exec(outRefundNo)?.[1];
}
