/**
 * The shapes the client-callable cloud functions answer with (core/functions/*.ts).
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
  /** Paying with tokens: the balance does not cover the answer (details: `{ balance, priceTokens }`); nothing changed. */
  | 'INSUFFICIENT_BALANCE'
  /** WeChat no longer holds the user's session key: call `wx.login` and ask again with `loginCode`. */
  | 'SESSION_EXPIRED'
  /** On iOS a payment is at least ¥1 (Apple): the server refused before signing anything. */
  | 'BELOW_PLATFORM_MINIMUM'
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

/**
 * What `wx.requestVirtualPayment` is called with, exactly as the server returned it: `signData` is
 * the JSON text both signatures were computed over and is passed on unchanged
 * (developers.weixin.qq.com/miniprogram/dev/api/payment/wx.requestVirtualPayment.html).
 */
export interface VirtualPaymentParams {
  signData: string;
  mode: 'short_series_goods' | 'short_series_coin';
  paySig: string;
  signature: string;
}

/** The parameters of the sheet the page opens: which one says which WeChat API to call. */
export type ClientPayment = RequestPaymentParams | VirtualPaymentParams;

export function isVirtualPayment(payment: ClientPayment): payment is VirtualPaymentParams {
  return 'signData' in payment;
}

/** `virtual`: mini program virtual payment (tokens, items); `wxpay`: wx.requestPayment (cloud pay, API v3, the local simulator). */
export type PayMode = 'virtual' | 'wxpay';

/** A token pack on sale (virtual payment): `tokens` is what the user gets, bonus included. */
export interface Pack {
  packId: string;
  tokens: number;
  priceFen: number;
}

export interface Tier {
  id: string;
  title: LocalizedText;
  /** What the user gets. */
  summary: LocalizedText;
  /** Under wxpay the price of one answer; under virtual payment the published price of the tier's item, when it is sold as one. */
  priceFen: number;
  /** What one answer costs in tokens (virtual payment). */
  priceTokens: number;
  /** The published item (道具直购) when the tier is sold as one under virtual payment. */
  productId?: string;
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
  /** How the answer was paid for: tokens spent from the balance, or a purchase (an item, or wx.requestPayment). */
  payWith: PayWith;
  /** Money paid, in fen; 0 for an answer paid with tokens. */
  amountFen: number;
  /** Tokens paid (token orders). */
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
  /** Empty under wxpay. */
  packs: Pack[];
  subscribeTemplateId: string | null;
  support: SupportInfo;
  payMode: PayMode;
}

/** `wx.getDeviceInfo().platform` (services/platform.ts). */
export type DevicePlatform = 'ios' | 'android' | 'ohos' | 'ohos_pc' | 'windows' | 'mac' | 'devtools';

export interface CreateOrderInput {
  prompt: string;
  tier: string;
  subscribe?: boolean;
  /** A follow-up in that conversation; absent: a new conversation starts. */
  conversationId?: string;
  /** `tokens` (the default under virtual payment) or `purchase` (the default under wxpay). */
  payWith?: 'tokens' | 'purchase';
  platform?: DevicePlatform;
  /** A fresh `wx.login` code, after SESSION_EXPIRED. */
  loginCode?: string;
}

export interface CreateOrderResult {
  order: ClientOrder;
  /** Only for a purchase: the parameters of the sheet that pays it. */
  payment?: ClientPayment;
}

export interface GetBalanceInput {
  loginCode?: string;
}

export interface GetBalanceResult {
  /** The user's token balance as WeChat holds it. */
  balance: number;
}

export interface CreateTopUpInput {
  packId: string;
  platform?: DevicePlatform;
  loginCode?: string;
}

export interface TopUp extends VirtualPaymentParams {
  outTradeNo: string;
  mode: 'short_series_coin';
}

export interface CreateTopUpResult {
  topUp: TopUp;
}

/** The details INSUFFICIENT_BALANCE carries. */
export interface InsufficientBalanceDetails {
  balance?: number;
  priceTokens?: number;
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
  payment?: ClientPayment;
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
  payment?: ClientPayment;
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

/**
 * An order as a turn of a conversation. The client contract lists `restarted` as optional; today's
 * server sends none (the stream's `from: 0`, or text that no longer continues what was shown, says
 * it instead), so it is read only when present.
 */
export type Turn = ClientOrder & { restarted?: boolean };

/** An order's state as the live stream (services/stream.ts) has brought it. */
export interface LiveText {
  rev: number;
  status: OrderStatus;
  output: string;
  outputComplete: boolean;
  error: { code: string; message: string } | null;
}

/**
 * Why the stream stopped: `terminal` the order is final; `refused` the ticket is not valid (401);
 * `expired` the ticket is too old or for another order (403: a fresh streamUrl from getOrder
 * works again); `failing` connections keep breaking; `stopped` the page stopped it.
 */
export type StreamStop = 'terminal' | 'refused' | 'expired' | 'failing' | 'stopped';
