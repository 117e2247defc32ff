import type { VirtualPaymentParams } from '../payments/provider';
import type { TopUpStatus } from './states';

/** A token pack bought with virtual payment (`short_series_coin`). Its `_id` is its outTradeNo. */
export interface TopUpDocument {
  _id: string;
  outTradeNo: string;
  userHash: string;
  packId: string;
  /** Tokens the payment buys (`buyQuantity`). */
  boughtTokens: number;
  /** Tokens presented on top once the payment is confirmed (`present_currency`). */
  bonusTokens: number;
  amountFen: number;
  status: TopUpStatus;
  rev: number;
  /** The payer, AES-256-GCM sealed: query_order and present_currency name them. Erased once nothing more is owed. */
  payerOpenidSealed?: string;
  payment?: VirtualPaymentParams;
  platform?: string;
  createdAt: number;
  updatedAt: number;
  expiresAt: number;
  paidAt?: number;
  closedAt?: number;
  transactionId?: string;
  /** WeChat says the order can no longer be paid (closed, or never opened), or it was given up on. */
  providerClosed?: boolean;
  bonus?: { status: 'due' | 'given'; givenAt?: number; lastError?: string };
  reconcileClaimUntil?: number;
  reconcilePasses?: number;
}

