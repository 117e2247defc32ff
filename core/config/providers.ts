/**
 * Model providers: any OpenAI-compatible endpoint. Prices are in fen per million tokens so that
 * order costs are integers-friendly and comparable with tier prices. Keys come from the
 * environment variable named by `apiKeyEnv`, never from this file.
 */
export interface ModelPrice {
  inputFenPerMTok: number;
  outputFenPerMTok: number;
}

export interface ProviderConfig {
  name: string;
  baseURL: string;
  /** The environment variable holding this provider's key. */
  apiKeyEnv: string;
  /**
   * An environment variable that, when set, replaces `baseURL` (a LiteLLM or other gateway in
   * front of this provider, a regional endpoint, Ollama or llama.cpp on localhost). With it set
   * and no key, the endpoint is called without one.
   */
  baseURLEnv: string;
  models: Record<string, ModelPrice>;
}

/**
 * The defaults are models filed (备案) in China for public generative AI services: Qwen
 * (DashScope), DeepSeek, GLM (Zhipu) and Kimi (Moonshot) (docs/MODELS.md, "Filed models"). OpenAI
 * and OpenRouter stay configurable for development and other markets; no default tier uses them.
 * Prices are the providers' list prices for mainland China, per million tokens, input without a
 * cache hit; where the sources found disagree, the higher price is kept (the start-up cost check
 * and the recorded margins must never flatter). Check them against each provider's console before
 * going live (docs/MODELS.md lists the sources).
 */
export const PROVIDERS: readonly ProviderConfig[] = [
  {
    name: 'dashscope',
    baseURL: 'https://dashscope.aliyuncs.com/compatible-mode/v1',
    apiKeyEnv: 'DASHSCOPE_API_KEY',
    baseURLEnv: 'DASHSCOPE_BASE_URL',
    // https://help.aliyun.com/zh/model-studio/models ("输入成本/输出成本 (每千Token)"): qwen-turbo
    // 0.0003/0.0006 元, qwen-plus 0.0008/0.002 元, qwen-max 0.02/0.06 元 (the 2024-09 page; later
    // summaries list qwen-max at 2.4/9.6 元 per million: the higher is kept).
    models: {
      'qwen-turbo': { inputFenPerMTok: 30, outputFenPerMTok: 60 },
      'qwen-plus': { inputFenPerMTok: 80, outputFenPerMTok: 200 },
      'qwen-max': { inputFenPerMTok: 2000, outputFenPerMTok: 6000 },
    },
  },
  {
    name: 'deepseek',
    baseURL: 'https://api.deepseek.com/v1',
    apiKeyEnv: 'DEEPSEEK_API_KEY',
    baseURLEnv: 'DEEPSEEK_BASE_URL',
    // https://api-docs.deepseek.com/quick_start/pricing-details-usd: deepseek-chat $0.27/$1.10,
    // deepseek-reasoner $0.55/$2.19 per million (cache miss); kept as their CNY list prices ¥2/¥8
    // and ¥4/¥16 (about 7.2 yuan to the dollar). The reasoner's output counts its chain of thought.
    models: {
      'deepseek-chat': { inputFenPerMTok: 200, outputFenPerMTok: 800 },
      'deepseek-reasoner': { inputFenPerMTok: 400, outputFenPerMTok: 1600 },
    },
  },
  {
    // GLM: Zhipu's OpenAI-compatible endpoint ("base_url=https://open.bigmodel.cn/api/paas/v4/",
    // https://docs.bigmodel.cn/cn/guide/platform/model-migration); GLM-4-Plus 5 元 per million
    // tokens (https://docs.bigmodel.cn/cn/guide/models/text/glm-4), input and output alike.
    name: 'zhipu',
    baseURL: 'https://open.bigmodel.cn/api/paas/v4',
    apiKeyEnv: 'ZHIPU_API_KEY',
    baseURLEnv: 'ZHIPU_BASE_URL',
    models: {
      'glm-4-plus': { inputFenPerMTok: 500, outputFenPerMTok: 500 },
    },
  },
  {
    // Kimi: Moonshot's mainland endpoint (https://api.moonshot.cn/v1; https://api.moonshot.ai/v1
    // abroad), OpenAI-compatible. moonshot-v1-8k: ¥12 per million in and out in llmprice.cn's table
    // (github.com/flanker/llmprice.cn), $0.20/$2.00 in a gateway's list of Moonshot's prices
    // (https://www.lava.so/docs/gateway/providers/moonshot); the higher of each is kept.
    name: 'moonshot',
    baseURL: 'https://api.moonshot.cn/v1',
    apiKeyEnv: 'MOONSHOT_API_KEY',
    baseURLEnv: 'MOONSHOT_BASE_URL',
    models: {
      'moonshot-v1-8k': { inputFenPerMTok: 1200, outputFenPerMTok: 1440 },
    },
  },
  {
    name: 'openai',
    baseURL: 'https://api.openai.com/v1',
    apiKeyEnv: 'OPENAI_API_KEY',
    baseURLEnv: 'OPENAI_BASE_URL',
    models: {
      'gpt-4o': { inputFenPerMTok: 1800, outputFenPerMTok: 7200 },
      'gpt-4o-mini': { inputFenPerMTok: 110, outputFenPerMTok: 440 },
    },
  },
  {
    name: 'openrouter',
    baseURL: 'https://openrouter.ai/api/v1',
    apiKeyEnv: 'OPENROUTER_API_KEY',
    baseURLEnv: 'OPENROUTER_BASE_URL',
    models: {
      'anthropic/claude-sonnet-4': { inputFenPerMTok: 2200, outputFenPerMTok: 10800 },
    },
  },
];
