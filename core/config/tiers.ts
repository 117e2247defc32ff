/**
 * The tiers users can buy. Edit this file to change what is sold; `validateTiers` (run at every
 * function start) refuses a tier that is inconsistent or could cost more than its price.
 */
export interface ModelRef {
  provider: string;
  model: string;
}

export interface LocalizedText {
  zh: string;
  en: string;
}

export interface TierConfig {
  id: string;
  title: LocalizedText;
  /** What the user gets, shown on the home page. */
  summary: LocalizedText;
  /** The model family shown to users, e.g. "Qwen / DeepSeek". */
  modelFamily: string;
  /** The price of one answer paid with `wx.requestPayment` (PAY_MODE=cloudpay or v3), in fen. */
  priceFen: number;
  /**
   * Virtual payment (PAY_MODE=virtual): the tokens one answer of this tier spends (`currency_pay`).
   * At start-up it must bring more money than the tier's worst case costs, at the cheapest price
   * per token any pack sells at, after the highest platform fee (core/config/validate.ts).
   */
  priceTokens: number;
  /**
   * Virtual payment: this tier also sold as an item (道具直购, one answer per purchase). The item
   * must be published in the MP console (虚拟支付 → 道具管理) with exactly this id and price: the
   * page's `wx.requestVirtualPayment` carries them, and WeChat refuses a `goodsPrice` that differs
   * from the published one (-15013). On iOS a payment is at least ¥1.
   */
  item?: { productId: string; priceFen: number };
  /** The pre-approved payment description (≤ 32 characters), never model-generated text. */
  paymentDescription: string;
  /** Longest prompt accepted, in characters. */
  promptLimit: number;
  /**
   * How much of a conversation's earlier completed turns a follow-up sends the model, in tokens as
   * `estimateTokens` (core/models/cost.ts) counts them; the oldest turns are dropped first
   * (core/generation/messages.ts). 0 sends no context: every question stands alone. The start-up
   * cost check counts it (core/config/validate.ts).
   */
  contextBudgetTokens: number;
  /** Tried in order; a timeout, connection error, 429 or 5xx falls through to the next. */
  models: ModelRef[];
  maxTokens: number;
  /** Deadline for the first token of one attempt. */
  firstTokenTimeoutMs: number;
  /** Deadline for one whole attempt. */
  attemptTimeoutMs: number;
  /** Deadline for all attempts of one generation together. */
  totalBudgetMs: number;
  /** The answer may take longer than a page visit: offer a subscribe message before paying. */
  longRunning: boolean;
  /** Staged rollout: this percentage of users (stable per user) get the candidate chain instead. */
  rollout?: { percent: number; models: ModelRef[]; label: string };
}

export const TIERS: readonly TierConfig[] = [
  {
    id: 'quick',
    title: { zh: '快速回答', en: 'Quick answer' },
    summary: { zh: '几秒内给出简洁回答，适合日常问题', en: 'A concise answer in seconds for everyday questions' },
    modelFamily: 'Qwen / DeepSeek',
    priceFen: 50,
    priceTokens: 5,
    item: { productId: 'ai_quick_answer', priceFen: 100 },
    paymentDescription: 'AI快速回答',
    promptLimit: 500,
    contextBudgetTokens: 2000,
    models: [
      { provider: 'dashscope', model: 'qwen-turbo' },
      { provider: 'deepseek', model: 'deepseek-chat' },
    ],
    maxTokens: 800,
    firstTokenTimeoutMs: 8_000,
    attemptTimeoutMs: 25_000,
    totalBudgetMs: 45_000,
    longRunning: false,
    // An example staged rollout, switched off: raise `percent` (here or with TIER_OVERRIDES) to send
    // that share of users, stable per user, to the candidate chain; the order records the label.
    rollout: {
      percent: 0,
      label: 'qwen-plus-trial',
      models: [
        { provider: 'dashscope', model: 'qwen-plus' },
        { provider: 'deepseek', model: 'deepseek-chat' },
      ],
    },
  },
  {
    id: 'expert',
    title: { zh: '专家长文', en: 'Expert long-form' },
    summary: { zh: '更强的模型，详尽的长篇回答，可订阅完成通知', en: 'Stronger models and a thorough long answer; get notified when done' },
    modelFamily: 'Qwen / DeepSeek-R / GLM',
    priceFen: 499,
    priceTokens: 50,
    item: { productId: 'ai_expert_answer', priceFen: 500 },
    paymentDescription: 'AI专家长文回答',
    promptLimit: 2000,
    contextBudgetTokens: 6000,
    // Filed (备案) domestic models only (docs/MODELS.md, "Filed models").
    models: [
      { provider: 'dashscope', model: 'qwen-max' },
      { provider: 'deepseek', model: 'deepseek-reasoner' },
      { provider: 'zhipu', model: 'glm-4-plus' },
    ],
    maxTokens: 2048,
    firstTokenTimeoutMs: 15_000,
    attemptTimeoutMs: 50_000,
    totalBudgetMs: 55_000,
    longRunning: true,
  },
];
