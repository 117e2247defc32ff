/**
 * The WeChat side of virtual payment (小程序虚拟支付): `wx.requestVirtualPayment` with the server's
 * `{ signData, mode, paySig, signature }`, passed on unchanged
 * (developers.weixin.qq.com/miniprogram/dev/api/payment/wx.requestVirtualPayment.html). The API
 * takes callbacks only (it returns nothing, there is no Promise form). Its success is only what the
 * user did on the sheet, never proof of payment: a top-up is believed when the balance shows it, a
 * purchase when the server confirms the order (query_order, the push).
 */
import { loginCode, withLogin } from './login';
import type { Failure, Outcome, Success, VirtualPaymentParams } from './types';

/** Why a sheet did not pay, as the page explains it. */
export type VirtualPayFailure =
  /** -1 支付失败, -15012 调用米大师失败导致关单 */
  | 'failed'
  /** -4 风控拦截 */
  | 'risk'
  /** -15007 session_key 过期: log in and ask the server again. */
  | 'session_expired'
  /** -15002 outTradeNo 重复使用 */
  | 'duplicate'
  /** -15020 操作过快, -15021 小程序被限频交易 */
  | 'too_fast'
  /** -15009 代币未发布, -15010 道具未发布, -15014 发布未生效 */
  | 'not_published'
  /** -15013 goodsPrice 道具价格错误 */
  | 'price'
  /** -15008 二级商户进件未完成, -15017 商家收款受限, -15018 审核不通过, -15019 商户受限 */
  | 'merchant'
  /** -15001 with INVALID_PLATFORM: payment is not open on this platform (iOS). */
  | 'platform'
  /** -15003 系统错误 */
  | 'system'
  /** This WeChat has no wx.requestVirtualPayment (base library older than 2.19.2). */
  | 'unsupported'
  /** Anything else (1001, -5, -15001, -15004, -15005, -15006, -15011, -15016, unknown codes): a plain message with the code. */
  | 'other';

export type VirtualPayOutcome = { kind: 'paid' } | { kind: 'cancelled' } | { kind: 'failed'; reason: VirtualPayFailure; errCode: number | null; errMsg: string };

/** The fail codes of wx.requestVirtualPayment's page, by what they mean for the user. */
const REASONS: Record<number, VirtualPayFailure> = {
  [-1]: 'failed',
  [-4]: 'risk',
  [-15002]: 'duplicate',
  [-15003]: 'system',
  [-15007]: 'session_expired',
  [-15008]: 'merchant',
  [-15009]: 'not_published',
  [-15010]: 'not_published',
  [-15012]: 'failed',
  [-15013]: 'price',
  [-15014]: 'not_published',
  [-15017]: 'merchant',
  [-15018]: 'merchant',
  [-15019]: 'merchant',
  [-15020]: 'too_fast',
  [-15021]: 'too_fast',
};

export const CANCELLED_CODE = -2;
export const SESSION_EXPIRED_CODE = -15007;

/** What a fail callback's `{ errCode, errMsg }` means. */
export function readFailure(error: { errCode?: unknown; errMsg?: unknown } | undefined): VirtualPayOutcome {
  const errCode = typeof error?.errCode === 'number' ? error.errCode : null;
  const errMsg = typeof error?.errMsg === 'string' ? error.errMsg : '';
  if (errCode === CANCELLED_CODE || (errCode === null && /\bcancel\b/i.test(errMsg))) return { kind: 'cancelled' };
  let reason: VirtualPayFailure = errCode === null ? 'other' : (REASONS[errCode] ?? 'other');
  // -15001 is 参数错误 "见 err_msg"; a platform where payment is not open says INVALID_PLATFORM there.
  if (errCode === -15001 && /INVALID_PLATFORM/.test(errMsg)) reason = 'platform';
  return { kind: 'failed', reason, errCode, errMsg };
}

/**
 * wx.requestVirtualPayment as its page documents it. `signData` "需以string形式传递"; the typings
 * (miniprogram-api-typings 5.2.3) declare it as an object (SignData), so the call goes through this
 * signature, no wider than the page's.
 */
interface RequestVirtualPaymentOption {
  signData: string;
  mode: VirtualPaymentParams['mode'];
  paySig: string;
  signature: string;
  success?: (result: { errMsg: string }) => void;
  fail?: (error: { errCode?: number; errMsg?: string }) => void;
}

interface VirtualPaymentApi {
  requestVirtualPayment?: (option: RequestVirtualPaymentOption) => void;
}

/** Opens the virtual payment sheet with the server's parameters, unchanged; resolves with what the user did. */
export function openVirtualPayment(params: VirtualPaymentParams): Promise<VirtualPayOutcome> {
  return new Promise((resolve) => {
    const api = wx as unknown as VirtualPaymentApi;
    if (typeof api.requestVirtualPayment !== 'function') {
      resolve({ kind: 'failed', reason: 'unsupported', errCode: null, errMsg: 'requestVirtualPayment is not available' });
      return;
    }
    api.requestVirtualPayment({
      signData: params.signData,
      mode: params.mode,
      paySig: params.paySig,
      signature: params.signature,
      success: () => resolve({ kind: 'paid' }),
      fail: (error) => resolve(readFailure(error)),
    });
  });
}

/** One purchase or top-up: refused by the server before any sheet, or the sheet's outcome with what the server issued for it. */
export type PayAttempt<T extends object> = { kind: 'refused'; failure: Failure } | { kind: 'sheet'; issued: Success<T>; outcome: VirtualPayOutcome };

/**
 * Asks the server to sign a payment (logging in once if it answers SESSION_EXPIRED), opens the
 * sheet, and when the sheet answers -15007 (the session key behind the user signature expired or
 * was replaced) logs in and asks the server again with the code, once. `discard` first lets go of
 * what the first answer issued (a purchase's order waiting for payment is cancelled); when it
 * cannot, the -15007 outcome stands.
 */
export async function payVirtually<T extends object>(
  issue: (loginCode?: string) => Promise<Outcome<T>>,
  paramsOf: (issued: Success<T>) => VirtualPaymentParams,
  discard: (issued: Success<T>) => Promise<boolean> = async () => true,
): Promise<PayAttempt<T>> {
  const first = await withLogin(issue);
  if (!first.ok) return { kind: 'refused', failure: first };
  const outcome = await openVirtualPayment(paramsOf(first));
  if (outcome.kind !== 'failed' || outcome.reason !== 'session_expired') return { kind: 'sheet', issued: first, outcome };
  const code = await loginCode();
  if (code === null || !(await discard(first))) return { kind: 'sheet', issued: first, outcome };
  const second = await issue(code);
  if (!second.ok) return { kind: 'refused', failure: second };
  return { kind: 'sheet', issued: second, outcome: await openVirtualPayment(paramsOf(second)) };
}
