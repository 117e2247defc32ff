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

export interface ClientOrder {
  orderId: string;
  outTradeNo: string;
  status: OrderStatus;
  tier: string;
  amountFen: number;
  /** The question as the server stored it: personal data replaced by placeholders such as `[PHONE]`. */
  prompt: string;
  output: string;
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
  /** Where to read the answer live (services/stream.ts), ticket included; absent: long-poll only. */
  streamUrl?: string;
}

export interface ListTiersResult {
  tiers: Tier[];
  subscribeTemplateId: string | null;
}

export interface CreateOrderInput {
  prompt: string;
  tier: string;
  subscribe?: boolean;
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

// ---------------------------------------------------------------------------------------------
// Conversations, token-paid turns and reports (this round's client contract). Kept apart from the
// types above, which must equal core's today (test/contracts.types.ts): the order's new fields are
// read through `Turn`, optional here until core's ClientOrder carries them, and then fold into it.
// ---------------------------------------------------------------------------------------------

/** How an order was paid: with the user's tokens (no sheet), or bought on its own. */
export type PayWith = 'tokens' | 'purchase';

/** What this round adds to an order (ClientOrder additions in the contract). */
export interface OrderAdditions {
  payWith?: PayWith;
  /** Tokens paid, for a token order (its `amountFen` is 0). */
  amountTokens?: number;
  conversationId?: string;
  /** The answer stopped at the tier's token limit (the model's finish_reason `length`). */
  truncated?: boolean;
  /** The answer was restarted on another model at least once. */
  restarted?: boolean;
}

/** An order as a turn of a conversation: the client order with this round's fields. */
export type Turn = ClientOrder & OrderAdditions;

export interface ConversationSummary {
  conversationId: string;
  /** From the first question, redacted and short. */
  title: string;
  /** How many turns (orders) it holds. */
  turns: number;
  /** Last activity, ms since the epoch. */
  updatedAt: number;
}

export interface ListConversationsInput {
  cursor?: string;
}

export interface ListConversationsResult {
  /** Newest activity first. */
  conversations: ConversationSummary[];
  nextCursor: string | null;
}

export interface Conversation {
  conversationId: string;
  title: string;
  /** Oldest first. */
  turns: Turn[];
}

export interface GetConversationInput {
  conversationId: string;
}

export interface GetConversationResult {
  conversation: Conversation;
}

export interface DeleteConversationInput {
  conversationId: string;
}

/** A question asked in a conversation, paid with tokens (createOrder's new fields). */
export interface AskInput extends CreateOrderInput {
  /** Absent: a new conversation starts. */
  conversationId?: string;
  payWith: 'tokens';
  /** `wx.getDeviceInfo().platform`. */
  platform?: string;
  /** From `wx.login`, after the server answered SESSION_EXPIRED. */
  loginCode?: string;
}

/** What createOrder answers for a token-paid question: the order, already paid (no sheet). */
export interface AskResult {
  order: Turn;
}

/** INSUFFICIENT_BALANCE's details. */
export interface InsufficientBalanceDetails {
  balance?: number;
  priceTokens?: number;
}

export type ReportReason = 'illegal' | 'harmful' | 'inaccurate' | 'privacy' | 'other';

export interface ReportAnswerInput {
  orderId: string;
  reason: ReportReason;
  /** At most REPORT_NOTE_LIMIT characters. */
  note?: string;
}

export interface ReportAnswerResult {
  reportId: string;
}

/** listTiers' additions this round that the conversation pages read. */
export interface CatalogAdditions {
  /** The operator's contact shown to users (SUPPORT_CONTACT). */
  support?: { contact?: string };
}

/** A tier with the price of one turn in tokens (listTiers, this round). */
export type TierWithTokens = Tier & { priceTokens?: number };
