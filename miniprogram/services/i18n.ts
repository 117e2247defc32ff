/**
 * A tiny i18n module: Chinese by default, English when the phone's language is English or the user
 * chose it (stored under STORAGE_KEY, or `globalData.locale`).
 */
import { appGlobals } from './config';
import type { LocalizedText } from './types';

export type Locale = 'zh' | 'en';

const STORAGE_KEY = 'locale';

const zh = {
  appTitle: 'AI 问答',
  switchLanguage: 'English',
  tiersLoading: '正在加载套餐…',
  tiersFailed: '套餐加载失败',
  retry: '重试',
  modelFamily: '模型',
  promptLimit: '最多 {limit} 字',
  promptPlaceholder: '写下你的问题…',
  promptCount: '{length}/{limit}',
  promptTooLong: '问题太长了：{length} 字，这个套餐最多 {limit} 字。请删减后再支付。',
  promptEmpty: '请先写下你的问题',
  pay: '支付 ¥{price}',
  paying: '正在处理…',
  history: '我的对话',
  subscribeOffer: '长回答可能需要一些时间，完成后可通过订阅消息通知你。',
  payCancelled: '你取消了支付，没有扣款。可以重新支付，或取消这个订单。',
  payFailed: '支付没有完成。如果没有扣款，可以重新支付，或取消这个订单。',
  payAgain: '重新支付',
  cancelOrder: '取消订单',
  cancelConfirm: '确定取消这个订单吗？取消后不会扣款。',
  confirmYes: '确定',
  confirmNo: '再想想',
  orderCancelled: '订单已取消',
  activePaymentExists: '你还有一个待支付的订单，请先支付或取消它。',
  errorPromptTooLong: '问题超出了这个套餐的字数限制',
  errorUnknownTier: '这个套餐已下架，请重新选择',
  errorRateLimited: '操作太频繁了，请稍等一分钟再试',
  errorPaymentUnavailable: '微信支付暂时不可用，没有扣款，请稍后再试',
  errorContentRejected: '这个问题未通过内容安全检查，无法回答。没有扣款，请修改后再试。',
  errorContentCheckUnavailable: '内容安全检查暂时不可用，没有扣款，请稍后再试',
  errorNotFound: '找不到这个订单',
  errorInvalidState: '订单状态已变化',
  errorNetwork: '网络不太好，请检查网络后重试',
  errorGeneric: '出了点问题，请稍后再试',
  orderTitle: '订单详情',
  orderLoading: '正在加载订单…',
  confirmingPayment: '正在确认支付…',
  writing: '正在生成…（已 {seconds} 秒）',
  waitingPayment: '待支付',
  completed: '已完成',
  refunding: '生成失败，正在退款…',
  refunded: '已退款 ¥{amount}',
  refundedExplain: '这次没能生成回答，款项已原路退回。',
  contentRefused: '回答未通过内容安全检查，已被撤下，不会显示。款项将原路退回。',
  contentUnchecked: '回答暂时无法完成内容安全检查，已被撤下，不会显示。款项将原路退回。',
  closed: '订单已关闭，未扣款',
  generatingStatus: '生成中',
  paidStatus: '已支付',
  pollTrouble: '网络不稳定，正在重试…',
  answerRestarted: '正在换一个模型重新回答，之前的内容已清除。',
  orderNumber: '订单号：',
  amount: '金额：',
  subscribedNote: '完成后会通过订阅消息通知你，可以先离开此页。',
  backHome: '问新问题',
  home: '首页',
  copyAnswer: '复制回答',
  askAgain: '重试这个问题',
  copyRefused: '你没有同意隐私保护指引，所以没有复制。需要时可以再点“复制回答”。',
  copyFailed: '没能复制，请长按文字选择复制。',
  yourQuestion: '你的问题',
  redactedNote: '为保护隐私，个人信息在发送前已隐去。',
  redactedPhone: '手机号已隐去',
  redactedEmail: '邮箱已隐去',
  redactedIdNumber: '身份证号已隐去',
  redactedBankCard: '银行卡号已隐去',
  redactedPaymentId: '单号已隐去',
  pendingTitle: '待支付的订单',
  pendingEditConfirm: '你有一个待支付的订单（{tier}）。修改问题或更换套餐前，需要先取消它。现在取消吗？',
  cancelAndEdit: '取消订单',
  keepPending: '保留订单',
  privacyTitle: '用户隐私保护提示',
  privacyBody: '在使用{feature}前，请阅读并同意',
  privacyGuide: '《用户隐私保护指引》',
  privacyBodyEnd: '。不同意也可以继续使用其他功能。',
  privacyAgree: '同意',
  privacyDisagree: '不同意',
  featureClipboard: '复制',
  featureGeneric: '这个功能',
  historyTitle: '我的对话',
  historyEmpty: '还没有订单',
  loadMore: '加载更多',
  loadingMore: '加载中…',
  noMore: '没有更多了',
} as const;

export type MessageKey = keyof typeof zh | keyof typeof zhConversations;
export type Messages = Record<MessageKey, string>;

const en: Record<keyof typeof zh, string> = {
  appTitle: 'AI answers',
  switchLanguage: '中文',
  tiersLoading: 'Loading tiers…',
  tiersFailed: 'Could not load the tiers',
  retry: 'Retry',
  modelFamily: 'Models',
  promptLimit: 'Up to {limit} characters',
  promptPlaceholder: 'Write your question…',
  promptCount: '{length}/{limit}',
  promptTooLong: 'Your question is too long: {length} characters; this tier takes at most {limit}. Please shorten it before paying.',
  promptEmpty: 'Write your question first',
  pay: 'Pay ¥{price}',
  paying: 'Working…',
  history: 'My conversations',
  subscribeOffer: 'A long answer can take a while: we can send you a message when it is ready.',
  payCancelled: 'You cancelled the payment; nothing was charged. You can pay again or cancel this order.',
  payFailed: 'The payment did not go through. If nothing was charged, you can pay again or cancel this order.',
  payAgain: 'Pay again',
  cancelOrder: 'Cancel order',
  cancelConfirm: 'Cancel this order? Nothing will be charged.',
  confirmYes: 'Yes',
  confirmNo: 'No',
  orderCancelled: 'Order cancelled',
  activePaymentExists: 'You already have an order waiting for payment: pay or cancel it first.',
  errorPromptTooLong: 'The question is longer than this tier allows',
  errorUnknownTier: 'This tier is no longer offered; please choose another',
  errorRateLimited: 'Too many orders in a short time; please wait a minute',
  errorPaymentUnavailable: 'WeChat Pay is unavailable right now; nothing was charged, please try again later',
  errorContentRejected: 'This question did not pass the content check and cannot be answered. Nothing was charged; please rephrase it.',
  errorContentCheckUnavailable: 'The content check is unavailable right now; nothing was charged, please try again later',
  errorNotFound: 'This order was not found',
  errorInvalidState: 'The order has changed',
  errorNetwork: 'The network is unreliable; check it and try again',
  errorGeneric: 'Something went wrong; please try again later',
  orderTitle: 'Order',
  orderLoading: 'Loading the order…',
  confirmingPayment: 'Confirming payment…',
  writing: 'Writing… ({seconds} s)',
  waitingPayment: 'Waiting for payment',
  completed: 'Completed',
  refunding: 'The answer failed; refunding…',
  refunded: 'Refunded ¥{amount}',
  refundedExplain: 'We could not write an answer this time; the money went back to you.',
  contentRefused: 'The answer did not pass the content check and was withheld; it will not be shown. Your payment is refunded.',
  contentUnchecked: 'The answer could not be checked for content, so it was withheld; it will not be shown. Your payment is refunded.',
  closed: 'Order closed; nothing was charged',
  generatingStatus: 'Writing',
  paidStatus: 'Paid',
  pollTrouble: 'The network is unreliable; retrying…',
  answerRestarted: 'The answer is being restarted on another model; the earlier text was cleared.',
  orderNumber: 'Order number: ',
  amount: 'Amount: ',
  subscribedNote: 'We will send you a message when it is done; you can leave this page.',
  backHome: 'New question',
  home: 'Home',
  copyAnswer: 'Copy answer',
  askAgain: 'Retry this question',
  copyRefused: 'You did not agree to the privacy guide, so nothing was copied. Tap "Copy answer" again when you wish.',
  copyFailed: 'Could not copy; press and hold the text to select it.',
  yourQuestion: 'Your question',
  redactedNote: 'Personal data was removed before the question was sent.',
  redactedPhone: 'phone number removed',
  redactedEmail: 'e-mail removed',
  redactedIdNumber: 'ID number removed',
  redactedBankCard: 'card number removed',
  redactedPaymentId: 'order number removed',
  pendingTitle: 'Waiting for payment',
  pendingEditConfirm: 'You have an order waiting for payment ({tier}). To change the question or the tier, cancel it first. Cancel it now?',
  cancelAndEdit: 'Cancel order',
  keepPending: 'Keep it',
  privacyTitle: 'Privacy notice',
  privacyBody: 'Before you use {feature}, please read and agree to ',
  privacyGuide: 'the privacy guide',
  privacyBodyEnd: '. If you do not agree, everything else still works.',
  privacyAgree: 'Agree',
  privacyDisagree: 'Disagree',
  featureClipboard: 'copying',
  featureGeneric: 'this feature',
  historyTitle: 'My conversations',
  historyEmpty: 'No orders yet',
  loadMore: 'Load more',
  loadingMore: 'Loading…',
  noMore: 'No more orders',
};

// ---------------------------------------------------------------------------------------------
// Conversations, the AI label, the returned-money message and reports (pages/conversation, and
// what pages/order and pages/history show of them). A block of its own, merged into each locale.
// ---------------------------------------------------------------------------------------------
const zhConversations = {
  aiLabel: 'AI生成',
  /** The label's line at the end of a copied answer (《人工智能生成合成内容标识办法》: a copy keeps the label). */
  aiLabelInCopy: '【AI生成】',
  conversationTitle: '对话',
  conversationLoading: '正在加载对话…',
  conversationMissing: '找不到这个对话',
  conversationMissingExplain: '它可能已被删除，或属于另一个微信账号。',
  orderMissingExplain: '这个订单可能已随它的对话一起被删除，或属于另一个微信账号。',
  goHome: '回到首页',
  openConversations: '我的对话',
  followUpPlaceholder: '继续追问…',
  send: '发送',
  sending: '正在发送…',
  followUpTier: '{tier} · {length}/{limit}',
  followUpTooLong: '追问太长了：{length} 字，「{tier}」最多 {limit} 字。',
  switchTier: '改用「{tier}」（最多 {limit} 字），问题保留',
  truncatedNotice: '回答达到了这个档位的长度上限，在这里截断了。',
  truncatedInConversation: '回答达到了这个档位的长度上限，在这里截断了。可以追问“请继续”，接着写完。',
  turnFailedGoOn: '这一轮没有完成，对话可以继续。',
  tokensAmount: '{tokens} 代币',
  tokensReturning: '生成失败，正在退回代币…',
  tokensReturned: '已退回 {tokens} 代币',
  returnedTokens: '{tokens} 代币已退回你的余额，可以马上再用。',
  returnedMoney: '¥{amount} 原路退回你付款的微信支付账户。',
  returnedMoneyWhen: '退回零钱一般 20 分钟内到账，退回银行卡一般 1–3 个工作日，以微信支付的通知为准。',
  returnedOrderNumber: '订单号：{orderNumber}',
  returnedContact: '有疑问请联系：{contact}',
  report: '举报/反馈',
  reportTitle: '举报或反馈这个回答',
  reportReasonIllegal: '违法违规',
  reportReasonHarmful: '有害或不良信息',
  reportReasonInaccurate: '内容不准确',
  reportReasonPrivacy: '涉及个人隐私',
  reportReasonOther: '其他问题',
  reportNotePlaceholder: '补充说明（选填，最多 {limit} 字）',
  reportSubmit: '提交',
  reportCancel: '取消',
  reportChooseReason: '请先选择一个原因',
  reportThanks: '已收到，我们会尽快处理',
  reportContact: '也可以直接联系我们：{contact}',
  deleteConversation: '删除对话',
  deleteConfirm: '删除后，这个对话的全部问题和回答将被永久清除，无法恢复。确定删除吗？',
  deleteYes: '删除',
  conversationDeleted: '对话已删除',
  historyConversations: '对话',
  historyOrders: '订单',
  historyNoConversations: '还没有对话',
  conversationMeta: '{turns} 轮 · {time}',
  continueConversation: '继续这个对话',
  expandQuestion: '展开全文',
  collapseQuestion: '收起',
} as const;

const enConversations: Record<keyof typeof zhConversations, string> = {
  aiLabel: 'AI-generated',
  aiLabelInCopy: '[AI-generated]',
  conversationTitle: 'Conversation',
  conversationLoading: 'Loading the conversation…',
  conversationMissing: 'Conversation not found',
  conversationMissingExplain: 'It may have been deleted, or it belongs to another WeChat account.',
  orderMissingExplain: 'It may have been deleted with its conversation, or it belongs to another WeChat account.',
  goHome: 'Go home',
  openConversations: 'My conversations',
  followUpPlaceholder: 'Ask a follow-up…',
  send: 'Send',
  sending: 'Sending…',
  followUpTier: '{tier} · {length}/{limit}',
  followUpTooLong: 'Your follow-up is too long: {length} characters; {tier} takes at most {limit}.',
  switchTier: 'Switch to {tier} (up to {limit}), keeping the question',
  truncatedNotice: 'The answer reached this tier’s length limit and was cut off here.',
  truncatedInConversation: 'The answer reached this tier’s length limit and was cut off here. Ask “please continue” to get the rest.',
  turnFailedGoOn: 'This turn did not finish; the conversation goes on.',
  tokensAmount: '{tokens} tokens',
  tokensReturning: 'The answer failed; returning your tokens…',
  tokensReturned: '{tokens} tokens returned',
  returnedTokens: '{tokens} tokens went back to your balance; you can use them right away.',
  returnedMoney: '¥{amount} goes back to the WeChat Pay account you paid with.',
  returnedMoneyWhen: 'To your WeChat balance it usually arrives within 20 minutes, to a bank card within 1–3 working days; WeChat Pay’s notice is final.',
  returnedOrderNumber: 'Order number: {orderNumber}',
  returnedContact: 'Questions? Contact: {contact}',
  report: 'Report / feedback',
  reportTitle: 'Report or give feedback on this answer',
  reportReasonIllegal: 'Illegal content',
  reportReasonHarmful: 'Harmful content',
  reportReasonInaccurate: 'Inaccurate',
  reportReasonPrivacy: 'Personal privacy',
  reportReasonOther: 'Something else',
  reportNotePlaceholder: 'Details (optional, up to {limit} characters)',
  reportSubmit: 'Submit',
  reportCancel: 'Cancel',
  reportChooseReason: 'Choose a reason first',
  reportThanks: 'Received; we will look into it',
  reportContact: 'You can also contact us: {contact}',
  deleteConversation: 'Delete conversation',
  deleteConfirm: 'Deleting erases every question and answer of this conversation for good. Delete it?',
  deleteYes: 'Delete',
  conversationDeleted: 'Conversation deleted',
  historyConversations: 'Conversations',
  historyOrders: 'Orders',
  historyNoConversations: 'No conversations yet',
  conversationMeta: 'Turns: {turns} · {time}',
  continueConversation: 'Continue this conversation',
  expandQuestion: 'Show all',
  collapseQuestion: 'Show less',
};

const MESSAGES: Record<Locale, Messages> = { zh: { ...zh, ...zhConversations }, en: { ...en, ...enConversations } };

function asLocale(value: unknown): Locale | null {
  if (typeof value !== 'string') return null;
  const lower = value.toLowerCase();
  if (lower === 'en' || lower.startsWith('en_') || lower.startsWith('en-')) return 'en';
  if (lower.startsWith('zh')) return 'zh';
  return null;
}

function storedLocale(): Locale | null {
  try {
    return asLocale(wx.getStorageSync(STORAGE_KEY));
  } catch {
    return null;
  }
}

function systemLocale(): Locale | null {
  try {
    return asLocale(wx.getSystemInfoSync().language);
  } catch {
    return null;
  }
}

/** The user's choice, then the app setting, then the phone's language; Chinese otherwise. */
export function currentLocale(): Locale {
  return storedLocale() ?? asLocale(appGlobals().locale) ?? systemLocale() ?? 'zh';
}

export function setLocale(locale: Locale): void {
  wx.setStorageSync(STORAGE_KEY, locale);
}

export function messages(locale: Locale = currentLocale()): Messages {
  return MESSAGES[locale];
}

/** Fills `{name}` placeholders. */
export function format(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}

export function localized(text: LocalizedText, locale: Locale): string {
  return text[locale] || text.zh;
}

/** A plain sentence for an error code from the server or the network. */
export function errorMessage(code: string, t: Messages): string {
  switch (code) {
    case 'PROMPT_TOO_LONG':
      return t.errorPromptTooLong;
    case 'UNKNOWN_TIER':
      return t.errorUnknownTier;
    case 'RATE_LIMITED':
      return t.errorRateLimited;
    case 'PAYMENT_UNAVAILABLE':
      return t.errorPaymentUnavailable;
    case 'CONTENT_REJECTED':
      return t.errorContentRejected;
    case 'CONTENT_CHECK_UNAVAILABLE':
      return t.errorContentCheckUnavailable;
    case 'ACTIVE_PAYMENT_EXISTS':
      return t.activePaymentExists;
    case 'NOT_FOUND':
      return t.errorNotFound;
    case 'INVALID_STATE':
      return t.errorInvalidState;
    case 'NETWORK':
      return t.errorNetwork;
    default:
      return t.errorGeneric;
  }
}
