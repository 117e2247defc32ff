import type { ClientPayment } from '../payments/provider';
import type { OrderStatus } from './states';

export interface RedactionCounts {
  [kind: string]: number;
}

export interface OrderUsage {
  provider: string;
  model: string;
  promptTokens: number;
  completionTokens: number;
  /** true when the provider sent no usage and the tokens were estimated from text length. */
  estimated: boolean;
  costFen: number;
  latencyMs: number;
  firstTokenMs: number | null;
}

export type PayWith = 'tokens' | 'purchase';

export interface OrderRefund {
  outRefundNo: string;
  status: 'requested' | 'succeeded' | 'rejected';
  requestedAt: number;
  confirmedAt?: number;
  lastError?: string;
}

export interface OrderSubscription {
  templateId: string;
  accepted: boolean;
  /** The raw openid, AES-256-GCM encrypted, kept only until the message is sent. */
  openidSealed?: string;
  sentAt?: number;
  lastError?: string;
}

/**
 * 发货信息管理: the upload of the order's shipping information (a virtual good), when the merchant
 * is subject to it (core/compliance/shipping.ts).
 */
export interface OrderShipping {
  /** `uploading` while one caller holds the attempt; `gave_up` after the last attempt failed (an operator enters it by hand). */
  status: 'pending' | 'uploading' | 'uploaded' | 'failed' | 'gave_up';
  attempts: number;
  lastAttemptAt?: number;
  uploadedAt?: number;
  lastError?: string;
}

/** The stored order. `userHash` is the HMAC of the payer's openid; no raw openid is ever stored. */
export interface OrderDocument {
  _id: string;
  outTradeNo: string;
  userHash: string;
  tier: string;
  /**
   * How the answer is paid: `tokens` (virtual payment: spent with currency_pay, no payment sheet)
   * or `purchase` (a payment sheet: virtual payment's item, cloud pay or API v3). Older orders
   * without it are purchases.
   */
  payWith?: PayWith;
  /** What a purchase costs, in fen; 0 for an answer paid with tokens. */
  amountFen: number;
  /** What an answer paid with tokens costs, in tokens. */
  amountTokens?: number;
  description: string;
  /** The prompt after redaction: the only form that is stored or leaves for a model. */
  prompt: string;
  redactions: RedactionCounts;
  /**
   * The conversation this order is a turn of (core/conversations/). Each turn is an order with its
   * own payment and state machine; a follow-up sends the model the earlier completed turns.
   */
  conversationId: string;
  /**
   * When the user deleted the conversation: prompt, output and redaction counts were erased then
   * (`eraseTurn`); what accounting needs (amounts, statuses, times, trade and refund numbers) stays.
   */
  erasedAt?: number;
  status: OrderStatus;
  /** Incremented on every change; long-polling compares it. */
  rev: number;
  output: string;
  outputComplete: boolean;
  /** The answer stopped at the tier's `max_tokens` (finish_reason `length`); set when it completes. */
  truncated?: boolean;
  error?: { code: string; message: string };
  createdAt: number;
  updatedAt: number;
  expiresAt: number;
  paidAt?: number;
  completedAt?: number;
  refundedAt?: number;
  closedAt?: number;
  transactionId?: string;
  providerClosed?: boolean;
  leaseId?: string;
  leaseExpiresAt?: number;
  /** When the current generation attempt claimed the order. */
  generationStartedAt?: number;
  attempts: number;
  lastPaymentQueryAt?: number;
  usage?: OrderUsage;
  /** The payment provider's fee on this order, to 1/10000 fen (set when it completes). */
  paymentFeeFen?: number;
  /** Price − fee − model cost, to 1/10000 fen (set when it completes). */
  marginFen?: number;
  refund?: OrderRefund;
  subscription?: OrderSubscription;
  /**
   * The payer's raw openid, AES-256-GCM sealed, kept only while a platform call on the user's
   * behalf still needs it: the content checks of the answer (until generation ends) and the
   * shipping upload (until it succeeds or is given up). Erased when the order closes or is refunded.
   */
  payerOpenidSealed?: string;
  /** The payer's IP at ordering: virtual payment's token calls made later on their behalf (a return) send it as `user_ip`. Erased with the payer. */
  payerIp?: string;
  shipping?: OrderShipping;
  rollout?: string;
  /** A reconcile run working on this order holds it until then (a crashed run's claim lapses). */
  reconcileClaimUntil?: number;
  /** How many reconcile passes finished on this order (the least-visited are looked at first). */
  reconcilePasses?: number;
  /** The payment sheet's parameters, kept so the user can pay again after cancelling the sheet. */
  payment?: ClientPayment;
}

/** An order as the client sees it: the answer of `getOrder`, `listOrders`, `cancelOrder` and `createOrder`. */
export interface ClientOrder {
  orderId: string;
  outTradeNo: string;
  status: OrderStatus;
  tier: string;
  /** Tokens (no payment sheet) or a purchase (money). */
  payWith: PayWith;
  /** A purchase's price in fen (0 for tokens). */
  amountFen: number;
  /** Tokens spent, for an answer paid with tokens. */
  amountTokens?: number;
  /** The question as stored: redacted, each removed value replaced by its placeholder (core/privacy/redact.ts). */
  prompt: string;
  output: string;
  /** The conversation the order is a turn of (listConversations, getConversation). */
  conversationId: string;
  outputComplete: boolean;
  rev: number;
  error?: { code: string; message: string };
  createdAt: number;
  expiresAt: number;
  paidAt?: number;
  completedAt?: number;
  refundedAt?: number;
  closedAt?: number;
  subscribed: boolean;
  /** The answer stopped at the tier's token limit (finish_reason `length`): present, and true, only then. */
  truncated?: boolean;
  /**
   * Where to read this order's text live (docs/STREAMING.md), with a short-lived ticket: in the
   * answers of getOrder and createOrder, while the order can still change and streaming is set up.
   */
  streamUrl?: string;
}

export function toClientOrder(order: OrderDocument): ClientOrder {
  const view: ClientOrder = {
    orderId: order._id,
    outTradeNo: order.outTradeNo,
    status: order.status,
    tier: order.tier,
    payWith: order.payWith ?? 'purchase',
    amountFen: order.amountFen,
    ...(order.amountTokens !== undefined ? { amountTokens: order.amountTokens } : {}),
    prompt: order.prompt,
    output: order.output,
    conversationId: order.conversationId,
    outputComplete: order.outputComplete,
    rev: order.rev,
    createdAt: order.createdAt,
    expiresAt: order.expiresAt,
    subscribed: order.subscription?.accepted === true,
  };
  if (order.error) view.error = order.error;
  if (order.truncated === true) view.truncated = true;
  if (order.paidAt !== undefined) view.paidAt = order.paidAt;
  if (order.completedAt !== undefined) view.completedAt = order.completedAt;
  if (order.refundedAt !== undefined) view.refundedAt = order.refundedAt;
  if (order.closedAt !== undefined) view.closedAt = order.closedAt;
  return view;
}
