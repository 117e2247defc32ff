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

export const PROVIDERS: readonly ProviderConfig[] = [
  {
    name: 'dashscope',
    baseURL: 'https://dashscope.aliyuncs.com/compatible-mode/v1',
    apiKeyEnv: 'DASHSCOPE_API_KEY',
    baseURLEnv: 'DASHSCOPE_BASE_URL',
    models: {
      'qwen-turbo': { inputFenPerMTok: 30, outputFenPerMTok: 60 },
      'qwen-plus': { inputFenPerMTok: 80, outputFenPerMTok: 200 },
    },
  },
  {
    name: 'deepseek',
    baseURL: 'https://api.deepseek.com/v1',
    apiKeyEnv: 'DEEPSEEK_API_KEY',
    baseURLEnv: 'DEEPSEEK_BASE_URL',
    models: {
      'deepseek-chat': { inputFenPerMTok: 200, outputFenPerMTok: 800 },
      'deepseek-reasoner': { inputFenPerMTok: 400, outputFenPerMTok: 1600 },
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
