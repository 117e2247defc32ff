import type { AppEnv } from './env';
import type { ProviderConfig } from './providers';
import type { ModelRef, TierConfig } from './tiers';
import { modelCostFen } from '../models/cost';
import { PRODUCT_ID_PATTERN } from '../payments/virtual/signData';
import { lowestPricePerTokenFen, packProblems, type PackConfig } from './packs';

/** What tokens are worth, for the worst-case check of a tier's token price. */
export interface TokenEconomics {
  packs: readonly PackConfig[];
  tokenPriceFen: number;
  /** The largest share of a payment any platform keeps (iOS: Apple's), as a fraction. */
  highestFeeRate: number;
}

/** A prompt never costs more tokens than this per character (CJK is about one; this is cautious). */
export const MAX_TOKENS_PER_PROMPT_CHAR = 2;
/**
 * A follow-up's earlier turns are measured against the tier's `contextBudgetTokens` with
 * `estimateTokens` (one token per CJK character, one per four other characters), which can count
 * fewer tokens than a provider bills. At most MAX_TOKENS_PER_PROMPT_CHAR real tokens per character
 * (the rule the prompt limit relies on) and at least one estimated token per four characters bound
 * the real count at this many times the estimate: the cost check counts the budget that many times.
 */
export const CONTEXT_TOKENS_PER_ESTIMATED_TOKEN = 4 * MAX_TOKENS_PER_PROMPT_CHAR;
/** Tokens of the system prompt and chat framing added to every request. */
export const PROMPT_OVERHEAD_TOKENS = 200;
/** `generate` runs for at most 60 s; its whole budget must end before that, with room to write. */
export const GENERATE_FUNCTION_LIMIT_MS = 58_000;

export class TierConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`tier configuration is invalid:\n- ${problems.join('\n- ')}`);
    this.name = 'TierConfigError';
  }
}

/**
 * The most one generation of this tier can cost: the largest input it allows (longest prompt, the
 * whole context budget of a follow-up's earlier turns, the overhead), `max_tokens`, dearest model.
 */
export function worstCaseCostFen(tier: TierConfig, providers: readonly ProviderConfig[]): number {
  const chains: ModelRef[] = [...tier.models, ...(tier.rollout?.models ?? [])];
  const promptTokens =
    tier.promptLimit * MAX_TOKENS_PER_PROMPT_CHAR + tier.contextBudgetTokens * CONTEXT_TOKENS_PER_ESTIMATED_TOKEN + PROMPT_OVERHEAD_TOKENS;
  let worst = 0;
  for (const ref of chains) {
    const price = providers.find((p) => p.name === ref.provider)?.models[ref.model];
    if (price) worst = Math.max(worst, modelCostFen(price, promptTokens, tier.maxTokens));
  }
  return worst;
}

function charCount(text: string): number {
  return [...text].length;
}

export function tierProblems(tier: TierConfig, providers: readonly ProviderConfig[], feeRate: number, tokens?: TokenEconomics): string[] {
  const problems: string[] = [];
  const at = `tier "${tier.id}"`;
  if (!/^[a-z][a-z0-9_-]{0,31}$/.test(tier.id)) problems.push(`${at}: id must be 1–32 of [a-z0-9_-], starting with a letter`);
  if (!Number.isInteger(tier.priceFen) || tier.priceFen < 1) problems.push(`${at}: priceFen must be a whole number of fen ≥ 1`);
  const descriptionLength = charCount(tier.paymentDescription);
  if (descriptionLength < 1 || descriptionLength > 32) problems.push(`${at}: paymentDescription must be 1–32 characters (has ${descriptionLength})`);
  if (Buffer.byteLength(tier.paymentDescription, 'utf8') > 127) problems.push(`${at}: paymentDescription must fit in 127 bytes`);
  if (!Number.isInteger(tier.promptLimit) || tier.promptLimit < 1 || tier.promptLimit > 20_000) problems.push(`${at}: promptLimit must be 1–20000 characters`);
  if (!Number.isInteger(tier.maxTokens) || tier.maxTokens < 1) problems.push(`${at}: maxTokens must be a positive whole number`);
  if (!Number.isInteger(tier.contextBudgetTokens) || tier.contextBudgetTokens < 0) problems.push(`${at}: contextBudgetTokens must be a whole number ≥ 0`);
  if (tier.models.length === 0) problems.push(`${at}: needs at least one model`);
  for (const ref of [...tier.models, ...(tier.rollout?.models ?? [])]) {
    const provider = providers.find((p) => p.name === ref.provider);
    if (!provider) problems.push(`${at}: unknown provider "${ref.provider}"`);
    else if (!provider.models[ref.model]) problems.push(`${at}: provider "${ref.provider}" has no price for model "${ref.model}"`);
  }
  if (!(tier.firstTokenTimeoutMs > 0 && tier.firstTokenTimeoutMs <= tier.attemptTimeoutMs)) problems.push(`${at}: firstTokenTimeoutMs must be > 0 and ≤ attemptTimeoutMs`);
  if (!(tier.attemptTimeoutMs <= tier.totalBudgetMs)) problems.push(`${at}: attemptTimeoutMs must be ≤ totalBudgetMs`);
  if (tier.totalBudgetMs > GENERATE_FUNCTION_LIMIT_MS) problems.push(`${at}: totalBudgetMs must be ≤ ${GENERATE_FUNCTION_LIMIT_MS} (the generate function's time limit)`);
  if (tier.rollout) {
    const { percent, models, label } = tier.rollout;
    if (!(Number.isInteger(percent) && percent >= 0 && percent <= 100)) problems.push(`${at}: rollout.percent must be a whole number 0–100`);
    if (models.length === 0) problems.push(`${at}: rollout needs at least one model`);
    if (!/^[A-Za-z0-9_.-]{1,32}$/.test(label)) problems.push(`${at}: rollout.label must be 1–32 of [A-Za-z0-9_.-]`);
  }
  if (!Number.isInteger(tier.priceTokens) || tier.priceTokens < 1) problems.push(`${at}: priceTokens must be a whole number of tokens ≥ 1`);
  if (tier.item) {
    if (!PRODUCT_ID_PATTERN.test(tier.item.productId)) problems.push(`${at}: item.productId must be a published item id (${PRODUCT_ID_PATTERN.source})`);
    if (!Number.isInteger(tier.item.priceFen) || tier.item.priceFen < 1) problems.push(`${at}: item.priceFen must be a whole number of fen ≥ 1`);
  }
  if (problems.length === 0) {
    const worst = worstCaseCostFen(tier, providers);
    const fee = tier.priceFen * feeRate;
    if (worst + fee >= tier.priceFen) {
      problems.push(
        `${at}: worst-case cost ${worst.toFixed(2)} fen (model) + ${fee.toFixed(2)} fen (payment fee) is not below its price of ${tier.priceFen} fen; lower maxTokens or promptLimit, or raise the price`,
      );
    }
    if (tokens && tokens.packs.length > 0) {
      // The least money the tier's tokens can bring: bought in the cheapest pack, paid where the fee is highest.
      const tokensBring = tier.priceTokens * lowestPricePerTokenFen(tokens.packs) * (1 - tokens.highestFeeRate);
      if (worst >= tokensBring) {
        problems.push(
          `${at}: worst-case cost ${worst.toFixed(2)} fen is not below what its ${tier.priceTokens} tokens bring (${tokensBring.toFixed(2)} fen at the cheapest pack's price per token, after a ${(tokens.highestFeeRate * 100).toFixed(0)}% platform fee); raise priceTokens or lower maxTokens, promptLimit or the context budget`,
        );
      }
      if (tier.item) {
        const itemBrings = tier.item.priceFen * (1 - tokens.highestFeeRate);
        if (worst >= itemBrings) problems.push(`${at}: worst-case cost ${worst.toFixed(2)} fen is not below what its item brings (${itemBrings.toFixed(2)} fen after the platform fee)`);
      }
    }
  }
  return problems;
}

export function providerProblems(providers: readonly ProviderConfig[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const provider of providers) {
    const at = `provider "${provider.name}"`;
    if (seen.has(provider.name)) problems.push(`${at} is defined twice`);
    seen.add(provider.name);
    if (!/^[a-z][a-z0-9_-]{0,31}$/.test(provider.name)) problems.push(`${at}: name must be 1–32 of [a-z0-9_-], starting with a letter`);
    let url: URL | null = null;
    try {
      url = new URL(provider.baseURL);
    } catch {
      problems.push(`${at}: baseURL "${provider.baseURL}" is not a URL`);
    }
    if (url && url.protocol !== 'https:' && url.protocol !== 'http:') problems.push(`${at}: baseURL must be http(s)`);
    for (const variable of [provider.apiKeyEnv, provider.baseURLEnv]) {
      if (!/^[A-Z][A-Z0-9_]{0,63}$/.test(variable)) problems.push(`${at}: "${variable}" is not an environment variable name`);
    }
    if (Object.keys(provider.models).length === 0) problems.push(`${at}: needs at least one priced model`);
    for (const [model, price] of Object.entries(provider.models)) {
      for (const value of [price.inputFenPerMTok, price.outputFenPerMTok]) {
        if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0)) problems.push(`${at}: model "${model}" needs prices ≥ 0 in fen per million tokens`);
      }
    }
  }
  return problems;
}

/** Run at every function start: a bad tier, pack or provider stops the function with a clear message. */
export function validateTiers(tiers: readonly TierConfig[], providers: readonly ProviderConfig[], env: Pick<AppEnv, 'paymentFeeRate'>, tokens?: TokenEconomics): void {
  const problems: string[] = [...providerProblems(providers), ...(tokens ? packProblems(tokens.packs, tokens.tokenPriceFen) : [])];
  const seen = new Set<string>();
  for (const tier of tiers) {
    if (seen.has(tier.id)) problems.push(`tier "${tier.id}" is defined twice`);
    seen.add(tier.id);
    problems.push(...tierProblems(tier, providers, env.paymentFeeRate, tokens));
  }
  if (tiers.length === 0) problems.push('at least one tier is needed');
  if (problems.length > 0) throw new TierConfigError(problems);
}
