import { log } from '../../log';
import { PaymentUnavailableError, type VirtualPaymentParams } from '../provider';
import { tokenReturnIdFor } from './ids';
import {
  isInsufficientBalance,
  isOutcomeUnknown,
  isRepeatedOperation,
  isSessionExpired,
  isTokenReturnDone,
  saysNotFound,
  type XpayClient,
} from './xpay';

/** WeChat says the user's session_key expired (268490009): the page must `wx.login` again. */
export class SessionKeyExpiredError extends Error {
  constructor() {
    super('the user’s session_key expired');
    this.name = 'SessionKeyExpiredError';
  }
}

/** The user's side of a token operation: who, from where, signed with which session key. */
export interface TokenHolder {
  openid: string;
  clientIp: string;
  sessionKey: string;
}

function rethrow(what: string, error: unknown): never {
  if (isSessionExpired(error)) throw new SessionKeyExpiredError();
  if (isOutcomeUnknown(error)) throw new PaymentUnavailableError(`${what}: ${error instanceof Error ? error.message : String(error)}`);
  throw error;
}

/**
 * Tokens (代币) of mini program virtual payment. WeChat keeps the balance: we never keep a second one
 * that could drift, only the record of our own calls on each order. Every call is idempotent by its
 * own id (the order's outTradeNo for a spend, ids derived from it for a return or a gift,
 * ./ids.ts), so asking again after a lost answer can never move tokens twice: WeChat answers
 * 268490004 "repeated operation", which counts as done
 * (https://developers.weixin.qq.com/miniprogram/dev/platform-capabilities/business-capabilities/virtual-payment.html,
 * currency_pay, cancel_currency_pay, present_currency).
 */
export class TokenWallet {
  constructor(readonly xpay: XpayClient) {}

  /** query_user_balance: the user's tokens, paid and presented. */
  async balance(holder: TokenHolder): Promise<number> {
    try {
      return (await this.xpay.queryUserBalance({ openid: holder.openid, userIp: holder.clientIp, sessionKey: holder.sessionKey })).balance;
    } catch (error) {
      rethrow('query_user_balance', error);
    }
  }

  /**
   * currency_pay: spends an answer's tokens under the order's outTradeNo. `spent` also when WeChat
   * says the same spend was made before (a retry after a lost answer); `insufficient` when the
   * balance is too low (nothing was spent).
   */
  async spend(holder: TokenHolder, spend: { outTradeNo: string; tokens: number; item: string }): Promise<'spent' | 'insufficient'> {
    try {
      await this.xpay.currencyPay({
        openid: holder.openid,
        userIp: holder.clientIp,
        sessionKey: holder.sessionKey,
        amount: spend.tokens,
        orderId: spend.outTradeNo,
        payitem: JSON.stringify([{ productid: spend.item, unit_price: spend.tokens, quantity: 1 }]),
        remark: spend.item,
      });
      return 'spent';
    } catch (error) {
      if (isRepeatedOperation(error)) return 'spent';
      if (isInsufficientBalance(error)) return 'insufficient';
      rethrow('currency_pay', error);
    }
  }

  /**
   * cancel_currency_pay: gives back the tokens an answer spent (its spend is `pay_order_id`, the
   * return has its own id). Done also when WeChat says it was done before (268490004 / 268490005).
   */
  async returnSpend(holder: TokenHolder, spend: { outTradeNo: string; tokens: number }): Promise<'returned' | 'nothing_spent'> {
    try {
      await this.xpay.cancelCurrencyPay({
        openid: holder.openid,
        userIp: holder.clientIp,
        sessionKey: holder.sessionKey,
        payOrderId: spend.outTradeNo,
        orderId: tokenReturnIdFor(spend.outTradeNo),
        amount: spend.tokens,
      });
    } catch (error) {
      // WeChat has no such spend ("数据不存在"): there is nothing to give back.
      if (saysNotFound(error)) return 'nothing_spent';
      if (!isTokenReturnDone(error)) rethrow('cancel_currency_pay', error);
      log('info', 'token_return_was_done_before', { outTradeNo: spend.outTradeNo });
    }
    return 'returned';
  }

  /** present_currency: gives tokens (a pack's bonus, welcome tokens) under an id that makes it happen once. */
  async present(gift: { openid: string; orderId: string; tokens: number }): Promise<'presented'> {
    try {
      await this.xpay.presentCurrency({ openid: gift.openid, orderId: gift.orderId, amount: gift.tokens });
    } catch (error) {
      if (!isRepeatedOperation(error)) rethrow('present_currency', error);
    }
    return 'presented';
  }

  /** The `wx.requestVirtualPayment` parameters of a token top-up (`short_series_coin`): `tokens` bought at the published price. */
  signTopUp(topUp: { outTradeNo: string; tokens: number; attach: string }, sessionKey: string): VirtualPaymentParams {
    return this.xpay.signVirtualPayment({ mode: 'short_series_coin', buyQuantity: topUp.tokens, outTradeNo: topUp.outTradeNo, attach: topUp.attach }, sessionKey);
  }
}
