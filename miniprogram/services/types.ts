/**
 * The shapes the five client-callable cloud functions answer with (core/functions/*.ts).
 * They mirror core/functions/*.ts and core/orders/order.ts on purpose: the mini program bundle
 * must hold no server code, so these small types are duplicated here rather than imported.
 */

export type OrderStatus = 'pending_payment' | 'paid' | 'generating' | 'completed' | 'refunding' | 'refunded' | 'closed';

/** Statuses that never change again (core/orders/states.ts). */
export const TERMINAL_STATUSES: readonly OrderStatus[] = ['completed', 'refunded', 'closed'];

export function isTerminalStatus(status: OrderStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export type ErrorCode =
  | 'INVALID_INPUT'
  | 'PROMPT_TOO_LONG'
  | 'UNKNOWN_TIER'
  | 'ACTIVE_PAYMENT_EXISTS'
  | 'RATE_LIMITED'
  | 'PAYMENT_UNAVAILABLE'
  | 'CONTENT_REJECTED'
  | 'CONTENT_CHECK_UNAVAILABLE'
  | 'NOT_FOUND'
  /** An internal function called from the mini program: never a legitimate client call. */
  | 'FORBIDDEN'
  | 'INVALID_STATE'
  | 'UNAUTHENTICATED'
  /** Fewer tokens than the answer costs: nothing was spent; offer a top-up. */
  | 'INSUFFICIENT_BALANCE'
  /** The WeChat login expired: call wx.login and retry with its code. */
  | 'SESSION_EXPIRED'
  /** iOS: a payment must be at least ¥1. */
  | 'BELOW_PLATFORM_MINIMUM'
  | 'INTERNAL'
  /** Client-side only: the call never reached the function or its answer was unreadable. */
  | 'NETWORK';

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  /** Code-specific facts, e.g. `order` and `payment` for ACTIVE_PAYMENT_EXISTS. */
  [detail: string]: unknown;
}

export type Failure = { ok: false; error: ErrorBody };
export type Success<T extends object> = { ok: true } & T;
export type Outcome<T extends object> = Success<T> | Failure;

export interface LocalizedText {
  zh: string;
  en: string;
}

/** What `wx.requestPayment` is called with, exactly as the server returned it. */
export interface RequestPaymentParams {
  timeStamp: string;
  nonceStr: string;
  package: string;
  signType: 'MD5' | 'HMAC-SHA256' | 'RSA';
  paySign: string;
}

export interface Tier {
  id: string;
  title: LocalizedText;
  /** What the user gets. */
  summary: LocalizedText;
  priceFen: number;
  /** The payment description shown on the WeChat Pay sheet. */
  description: string;
  modelFamily: string;
  /** Longest prompt accepted, in characters (code points). */
  promptLimit: number;
  /** The answer may outlast a page visit: a subscribe message is offered before paying. */
  longRunning: boolean;
}

/** How an answer is paid: tokens (no payment sheet) or a purchase (money on a payment sheet). */
export type PayWith = 'tokens' | 'purchase';

export interface ClientOrder {
  orderId: string;
  outTradeNo: string;
  status: OrderStatus;
  tier: string;
  payWith: PayWith;
  /** A purchase's price in fen (0 when paid with tokens). */
  amountFen: number;
  /** Tokens spent, when paid with tokens. */
  amountTokens?: number;
  /** The question as the server stored it: personal data replaced by placeholders such as `[PHONE]`. */
  prompt: string;
  output: string;
  /** The conversation the order is a turn of. */
  conversationId: string;
  outputComplete: boolean;
  /** Incremented on every change; sent back as `knownRev` when long-polling. */
  rev: number;
  error?: { code: string; message: string };
  createdAt: number;
  expiresAt: number;
  paidAt?: number;
  completedAt?: number;
  refundedAt?: number;
  closedAt?: number;
  subscribed: boolean;
  /** The answer stopped at the tier's token limit (finish_reason `length`): only ever true when present. */
  truncated?: boolean;
  /** Where to read the answer live (services/stream.ts), ticket included; absent: long-poll only. */
  streamUrl?: string;
}

/** Whom a user can reach (SUPPORT_CONTACT); null when the operator set none. */
export interface SupportInfo {
  contact: string | null;
}

export interface ListTiersResult {
  tiers: Tier[];
  subscribeTemplateId: string | null;
  support: SupportInfo;
}

export interface CreateOrderInput {
  prompt: string;
  tier: string;
  subscribe?: boolean;
  /** A follow-up in this conversation; absent: the order starts a new one. */
  conversationId?: string;
}

export interface CreateOrderResult {
  order: ClientOrder;
  payment: RequestPaymentParams;
}

export interface GetOrderInput {
  orderId: string;
  /** Hold the call until the order changes, at most min(waitMs, 3000) ms. */
  waitMs?: number;
  /** The `rev` the page already has: the server returns as soon as the order moves past it. */
  knownRev?: number;
  /**
   * Text that keeps growing is gathered until this long after the call began (a new status or the
   * first text still comes back at once): fewer invocations while an answer streams.
   */
  settleMs?: number;
  /** The status the page shows, so that only a new status (or the first text) ends a settle early. */
  knownStatus?: OrderStatus;
  /** How many characters of output the page shows. */
  knownChars?: number;
}

export interface GetOrderResult {
  order: ClientOrder;
  /** Present while the order waits for payment, so the user can pay again. */
  payment?: RequestPaymentParams;
}

export interface ListOrdersInput {
  cursor?: string;
  limit?: number;
}

export interface ListOrdersResult {
  /** Newest first; `output` is a short preview. */
  orders: ClientOrder[];
  nextCursor: string | null;
}

export interface CancelOrderInput {
  orderId: string;
}

export interface CancelOrderResult {
  order: ClientOrder;
}

/** The details ACTIVE_PAYMENT_EXISTS carries, when the server could read the pending order. */
export interface ActivePaymentDetails {
  order?: ClientOrder;
  payment?: RequestPaymentParams;
}

/** A line of history: one conversation (listConversations). */
export interface ConversationSummary {
  conversationId: string;
  /** From the first question, redacted and short. */
  title: string;
  /** How many questions were asked in it. */
  turns: number;
  /** The last activity (ms since the epoch). */
  updatedAt: number;
}

export interface ListConversationsInput {
  /** The `nextCursor` of the previous page. */
  cursor?: string;
}

export interface ListConversationsResult {
  /** Newest activity first. */
  conversations: ConversationSummary[];
  nextCursor: string | null;
}

export interface GetConversationInput {
  conversationId: string;
}

export interface Conversation {
  conversationId: string;
  title: string;
  /** Every question of it, oldest first; each is an order with its own payment and status. */
  turns: ClientOrder[];
}

export interface GetConversationResult {
  conversation: Conversation;
}

export interface DeleteConversationInput {
  conversationId: string;
}

/** Nothing besides `ok`: afterwards the conversation is NOT_FOUND and none of its text is stored. */
export type DeleteConversationResult = Record<string, never>;

/** Why an answer is reported (举报/反馈). */
export type ReportReason = 'illegal' | 'harmful' | 'inaccurate' | 'privacy' | 'other';

export interface ReportAnswerInput {
  orderId: string;
  reason: ReportReason;
  /** At most 200 characters. */
  note?: string;
}

export interface ReportAnswerResult {
  reportId: string;
}
