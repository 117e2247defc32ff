/**
 * A tiny i18n module: Chinese by default, English when the phone's language is English or the user
 * chose it (stored under STORAGE_KEY, or `globalData.locale`).
 */
import { appGlobals } from './config';
import { paymentShownHere } from './platform';
import type { LocalizedText } from './types';
import type { VirtualPayFailure } from './virtualPayment';

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
  promptTooLong: '问题太长了：{length} 字，这个套餐最多 {limit} 字。请删减后再提问。',
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

/**
 * Paying with tokens and virtual payment (balance, packs, top-ups, the sheet's outcomes, what an
 * order cost). Kept apart from the messages above so that work on other pages merges cleanly.
 */
const zhPayments = {
  balance: '代币余额 {balance}',
  balanceUnknown: '代币余额 —',
  openTopUp: '充值',
  topUpTitle: '充值代币',
  topUpNeed: '这个回答需要 {need} 代币，你现在有 {balance} 个。充值后再提问，你写的问题会保留。',
  packTokens: '{tokens} 代币',
  packPrice: '¥{price}',
  buyOne: '只买这一次回答 ¥{price}',
  topUpLater: '以后再说',
  tierTokens: '每次 {tokens} 代币',
  tierItemPrice: '或单次 ¥{price}',
  ask: '提问 · {tokens} 代币',
  topUpConfirming: '正在确认充值…',
  topUpDone: '充值成功，到账 {tokens} 代币。',
  topUpSlow: '支付已完成，代币可能稍后到账。',
  vpCancelled: '你取消了支付，没有扣款。',
  vpFailed: '支付没有完成，没有扣款。请稍后再试。',
  vpRisk: '微信的安全检查拦截了这次支付，没有扣款。',
  vpSessionExpired: '登录状态过期了，没有扣款。请稍后再试。',
  vpDuplicate: '这次支付已经失效，没有扣款，请重新发起。',
  vpTooFast: '操作太频繁了，没有扣款。请稍等一会儿再试。',
  vpNotPublished: '这个商品暂时还不能购买，没有扣款，请稍后再试。',
  vpPrice: '价格有变化，没有扣款，请刷新后再试。',
  vpMerchant: '商家暂时无法收款，没有扣款，请稍后再试。',
  vpPlatform: '这台设备暂时不能支付，没有扣款。',
  vpSystem: '微信支付系统出错了，没有扣款，请稍后再试。',
  vpUnsupported: '当前微信版本不支持这种支付，请升级微信后再试。',
  vpOther: '支付没有完成（错误 {code}），没有扣款，请稍后再试。',
  errorInsufficientBalance: '代币不够了',
  errorSessionExpired: '登录状态过期了，请稍后再试',
  errorBelowPlatformMinimum: '在 iOS 上单笔支付至少 ¥1',
  // The wording WeChat's review asks for where a feature is unavailable on iOS; no WeChat page
  // publishes it (developers report it as "官方建议词汇": GitHub Gwemz/daily, code/README.md).
  iosUnavailable: '由于相关规范，iOS功能暂不可用',
  paidTokens: '消耗：{tokens} 代币',
  paidMoney: '金额：¥{amount}',
  paidTokensShort: '{tokens} 代币',
  paidMoneyShort: '¥{amount}',
  tokensReturned: '已退回 {tokens} 代币',
  tokensReturnedExplain: '这次没能生成回答，代币已退回你的余额。',
  pendingKeptDraft: '你有一个问题还没支付（如下）：继续支付，或取消它再问新的。你刚写的问题已保留。',
  pendingPaidMeanwhile: '上次待支付的问题已经支付，可以在“我的对话”里查看回答。',
  pendingCancelConfirm: '取消这个问题的支付吗？不会扣款，问题会放回输入框，可以修改后再问。',
  pendingCancelled: '已取消，问题已放回输入框',
  sendTokens: '发送 · {tokens} 代币',
  sendPrice: '发送 · ¥{price}',
  followUpPayCancelled: '你取消了支付，没有扣款。问题还在输入框里。',
  followUpPayFailed: '支付没有完成，没有扣款。问题还在输入框里。',
  topUpForConversation: '充值到账后会回到对话，你的问题还在输入框里。',
} as const;

export type MessageKey = keyof typeof zh | keyof typeof zhPayments | keyof typeof zhConversations;
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
  promptTooLong: 'Your question is too long: {length} characters; this tier takes at most {limit}. Please shorten it before asking.',
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
  noMore: 'No more',
};

const enPayments: Record<keyof typeof zhPayments, string> = {
  balance: 'Tokens: {balance}',
  balanceUnknown: 'Tokens: —',
  openTopUp: 'Top up',
  topUpTitle: 'Top up tokens',
  topUpNeed: 'This answer takes {need} tokens and you have {balance}. Top up, then ask: your question is kept.',
  packTokens: '{tokens} tokens',
  packPrice: '¥{price}',
  buyOne: 'Buy just this answer ¥{price}',
  topUpLater: 'Not now',
  tierTokens: '{tokens} tokens an answer',
  tierItemPrice: 'or ¥{price} once',
  ask: 'Ask · {tokens} tokens',
  topUpConfirming: 'Confirming the top-up…',
  topUpDone: 'Topped up: {tokens} tokens added.',
  topUpSlow: 'The payment went through; the tokens may take a moment to show.',
  vpCancelled: 'You cancelled the payment; nothing was charged.',
  vpFailed: 'The payment did not go through; nothing was charged. Please try again later.',
  vpRisk: "WeChat's security check stopped this payment; nothing was charged.",
  vpSessionExpired: 'Your login expired; nothing was charged. Please try again later.',
  vpDuplicate: 'This payment is no longer valid; nothing was charged. Please start again.',
  vpTooFast: 'Too many attempts in a short time; nothing was charged. Please wait a moment.',
  vpNotPublished: 'This cannot be bought yet; nothing was charged. Please try again later.',
  vpPrice: 'The price has changed; nothing was charged. Please refresh and try again.',
  vpMerchant: 'The seller cannot take payments right now; nothing was charged. Please try again later.',
  vpPlatform: 'Payments are not available on this device; nothing was charged.',
  vpSystem: "WeChat's payment system had an error; nothing was charged. Please try again later.",
  vpUnsupported: 'This WeChat version cannot make this payment; please update WeChat and try again.',
  vpOther: 'The payment did not go through (error {code}); nothing was charged. Please try again later.',
  errorInsufficientBalance: 'Not enough tokens',
  errorSessionExpired: 'Your login expired; please try again later',
  errorBelowPlatformMinimum: 'On iOS a payment is at least ¥1',
  iosUnavailable: 'Due to platform rules, this feature is not available on iOS for now.',
  paidTokens: 'Paid: {tokens} tokens',
  paidMoney: 'Paid: ¥{amount}',
  paidTokensShort: '{tokens} tokens',
  paidMoneyShort: '¥{amount}',
  tokensReturned: '{tokens} tokens returned',
  tokensReturnedExplain: 'We could not write an answer this time; the tokens went back to your balance.',
  pendingKeptDraft: 'A question below is waiting for payment: pay for it, or cancel it to ask a new one. What you just wrote is kept.',
  pendingPaidMeanwhile: 'Your earlier question waiting for payment was paid; its answer is in "My conversations".',
  pendingCancelConfirm: 'Cancel the payment for this question? Nothing is charged; the question goes back into the box to edit.',
  pendingCancelled: 'Cancelled; the question is back in the box',
  sendTokens: 'Send · {tokens} tokens',
  sendPrice: 'Send · ¥{price}',
  followUpPayCancelled: 'You cancelled the payment; nothing was charged. Your question is still in the box.',
  followUpPayFailed: 'The payment did not go through; nothing was charged. Your question is still in the box.',
  topUpForConversation: 'Once the tokens arrive you go back to the conversation; your question is still in the box.',
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
  tokensReturning: '生成失败，正在退回代币…',
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
  tokensReturning: 'The answer failed; returning your tokens…',
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

/**
 * On a phone where virtual payment cannot be shown (services/platform.ts: an iPhone below iOS 15 or
 * WeChat 8.0.68), nothing may read as a sale: no price, pack, buy button or payment word (WeChat's
 * rule for iOS: "不能展现任何购买、支付的功能、页面、按钮", and no 付费性质的关键字 such as 购买、已购、
 * 付费、支付). Tokens the user already has can still be spent there. Every message that names
 * paying, money, orders or refunds is replaced by a neutral one.
 */
const NO_PAYMENT: Record<Locale, Partial<Messages>> = {
  zh: {
    tiersLoading: '正在加载…',
    tiersFailed: '加载失败',
    promptTooLong: '问题太长了：{length} 字，最多 {limit} 字。请删减后再提问。',
    pay: '提问',
    payCancelled: '没有完成。',
    payFailed: '没有完成。',
    payAgain: '继续',
    cancelOrder: '放弃',
    cancelConfirm: '确定放弃这个问题吗？',
    orderCancelled: '已放弃',
    activePaymentExists: '你还有一个未完成的问题，请先放弃它。',
    errorPromptTooLong: '问题超出了字数限制',
    errorUnknownTier: '这个选项已下架，请重新选择',
    errorPaymentUnavailable: '暂时无法提问，请稍后再试',
    errorContentRejected: '这个问题未通过内容安全检查，无法回答。请修改后再试。',
    errorContentCheckUnavailable: '内容安全检查暂时不可用，请稍后再试',
    errorNotFound: '找不到这条记录',
    errorInvalidState: '状态已变化',
    orderTitle: '回答详情',
    orderLoading: '正在加载…',
    redactedPaymentId: '编号已隐去',
    confirmingPayment: '正在准备…',
    waitingPayment: '未完成',
    refunding: '生成失败，正在退回…',
    refunded: '已退回',
    refundedExplain: '这次没能生成回答，已全部退回。',
    contentRefused: '回答未通过内容安全检查，已被撤下，不会显示。已全部退回。',
    contentUnchecked: '回答暂时无法完成内容安全检查，已被撤下，不会显示。已全部退回。',
    closed: '已关闭',
    paidStatus: '排队中',
    orderNumber: '编号：',
    amount: '',
    historyEmpty: '还没有记录',
    pendingTitle: '未完成的问题',
    balance: '代币 {balance}',
    balanceUnknown: '代币 —',
    paidMoney: '',
    paidMoneyShort: '',
    pendingKeptDraft: '你还有一个未完成的问题（如下），请先放弃它。你刚写的问题已保留。',
    pendingPaidMeanwhile: '上次的问题已经开始回答，可以在“我的对话”里查看。',
    pendingCancelConfirm: '确定放弃这个问题吗？问题会放回输入框。',
    pendingCancelled: '已放弃，问题已放回输入框',
    orderMissingExplain: '它可能已随所在的对话一起被删除，或属于另一个微信账号。',
    returnedMoney: '',
    returnedMoneyWhen: '',
    returnedOrderNumber: '编号：{orderNumber}',
    historyOrders: '回答',
  },
  en: {
    tiersLoading: 'Loading…',
    tiersFailed: 'Could not load',
    promptTooLong: 'Your question is too long: {length} characters; at most {limit}. Please shorten it before asking.',
    pay: 'Ask',
    payCancelled: 'Not finished.',
    payFailed: 'Not finished.',
    payAgain: 'Continue',
    cancelOrder: 'Discard',
    cancelConfirm: 'Discard this question?',
    orderCancelled: 'Discarded',
    activePaymentExists: 'You have an unfinished question: discard it first.',
    errorPromptTooLong: 'The question is longer than allowed',
    errorUnknownTier: 'This option is no longer offered; please choose another',
    errorRateLimited: 'Too many questions in a short time; please wait a minute',
    errorPaymentUnavailable: 'Asking is unavailable right now; please try again later',
    errorContentRejected: 'This question did not pass the content check and cannot be answered. Please rephrase it.',
    errorContentCheckUnavailable: 'The content check is unavailable right now; please try again later',
    errorNotFound: 'Not found',
    errorInvalidState: 'This has changed',
    orderTitle: 'Answer',
    orderLoading: 'Loading…',
    redactedPaymentId: 'number removed',
    confirmingPayment: 'Getting ready…',
    waitingPayment: 'Not finished',
    refunding: 'The answer failed; returning…',
    refunded: 'Returned',
    refundedExplain: 'We could not write an answer this time; everything was returned.',
    contentRefused: 'The answer did not pass the content check and was withheld; it will not be shown. Everything is returned.',
    contentUnchecked: 'The answer could not be checked for content, so it was withheld; it will not be shown. Everything is returned.',
    closed: 'Closed',
    paidStatus: 'Queued',
    orderNumber: 'Number: ',
    amount: '',
    historyEmpty: 'Nothing yet',
    pendingTitle: 'Unfinished question',
    paidTokens: 'Used: {tokens} tokens',
    paidMoney: '',
    paidMoneyShort: '',
    pendingKeptDraft: 'You have an unfinished question (below): discard it first. What you just wrote is kept.',
    pendingPaidMeanwhile: 'Your earlier question is being answered; find it in "My conversations".',
    pendingCancelConfirm: 'Discard this question? It goes back into the box.',
    pendingCancelled: 'Discarded; the question is back in the box',
    returnedMoney: '',
    returnedMoneyWhen: '',
    returnedOrderNumber: 'Number: {orderNumber}',
    historyOrders: 'Answers',
  },
};

const MESSAGES: Record<Locale, Messages> = {
  zh: { ...zh, ...zhPayments, ...zhConversations },
  en: { ...en, ...enPayments, ...enConversations },
};

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

/** The messages in `locale`; neutral ones where this phone may show no payment (NO_PAYMENT). */
export function messages(locale: Locale = currentLocale()): Messages {
  return paymentShownHere() ? MESSAGES[locale] : { ...MESSAGES[locale], ...NO_PAYMENT[locale] };
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
    case 'INSUFFICIENT_BALANCE':
      return t.errorInsufficientBalance;
    case 'SESSION_EXPIRED':
      return t.errorSessionExpired;
    case 'BELOW_PLATFORM_MINIMUM':
      return t.errorBelowPlatformMinimum;
    default:
      return t.errorGeneric;
  }
}

/** A plain sentence for a virtual payment sheet that did not pay (services/virtualPayment.ts). */
export function payFailureMessage(reason: VirtualPayFailure, errCode: number | null, t: Messages): string {
  switch (reason) {
    case 'failed':
      return t.vpFailed;
    case 'risk':
      return t.vpRisk;
    case 'session_expired':
      return t.vpSessionExpired;
    case 'duplicate':
      return t.vpDuplicate;
    case 'too_fast':
      return t.vpTooFast;
    case 'not_published':
      return t.vpNotPublished;
    case 'price':
      return t.vpPrice;
    case 'merchant':
      return t.vpMerchant;
    case 'platform':
      return t.vpPlatform;
    case 'system':
      return t.vpSystem;
    case 'unsupported':
      return t.vpUnsupported;
    case 'other':
      return format(t.vpOther, { code: errCode ?? '?' });
  }
}
