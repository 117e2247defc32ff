import type { AppEnv } from '../config/env';
import type { ModelPrice, ProviderConfig } from '../config/providers';
import type { ModelRef } from '../config/tiers';

export interface ModelEndpoint {
  provider: string;
  model: string;
  baseURL: string;
  apiKey: string;
  price: ModelPrice;
}

const UNPRICED: ModelPrice = { inputFenPerMTok: 0, outputFenPerMTok: 0 };

/**
 * Where a model of a tier's chain is really called:
 * `LLM_BASE_URL` sends every call to one endpoint (and `LLM_MODEL`); otherwise a provider whose key
 * (or base URL override, `<PROVIDER>_BASE_URL`) is set is called directly; otherwise the local
 * model server (`LOCAL_MODEL_URL`) stands in under the same model name, priced as the real model
 * so cost figures stay meaningful. With none of these the model is unavailable and the chain
 * moves on.
 */
export function resolveEndpoint(
  ref: ModelRef,
  providers: readonly ProviderConfig[],
  env: Pick<AppEnv, 'llm'>,
  secrets: NodeJS.ProcessEnv = process.env,
): ModelEndpoint | null {
  const provider = providers.find((p) => p.name === ref.provider);
  const price = provider?.models[ref.model] ?? UNPRICED;
  if (env.llm.baseURL) {
    return {
      provider: ref.provider,
      model: env.llm.model ?? ref.model,
      baseURL: env.llm.baseURL,
      apiKey: env.llm.apiKey ?? 'not-needed',
      price,
    };
  }
  if (!provider) return null;
  const key = secrets[provider.apiKeyEnv];
  const baseURL = secrets[provider.baseURLEnv];
  if (key || baseURL) return { provider: provider.name, model: ref.model, baseURL: baseURL || provider.baseURL, apiKey: key || 'not-needed', price };
  if (env.llm.localURL) {
    return { provider: provider.name, model: ref.model, baseURL: env.llm.localURL, apiKey: 'local', price };
  }
  return null;
}
