/**
 * Token packs (virtual payment, PAY_MODE=virtual): what the user tops up. WeChat keeps the balance;
 * each answer spends its tier's `priceTokens` (core/config/tiers.ts). Edit this file to change what
 * is sold; `validatePacks` and the tiers' worst-case check (core/config/validate.ts) run at every
 * function start.
 *
 * In a token top-up (`short_series_coin`) the page sends only `buyQuantity`, the number of tokens
 * bought, and WeChat charges it at the token's published price: the exchange ratio set once in the
 * MP console (虚拟支付 → 代币管理), which cannot be changed after publishing
 * (https://developers.weixin.qq.com/miniprogram/dev/platform-capabilities/business-capabilities/virtual-payment.html).
 * So a pack's price is `bought × TOKEN_PRICE_FEN`, and a pack that gives more tokens than it charges
 * for gives the rest as a present (`present_currency`) once its payment is confirmed.
 */
export interface PackConfig {
  /** 1–32 of [a-z0-9_-]: what the page asks for. */
  packId: string;
  /** What the user gets, bonus included. */
  tokens: number;
  /** What the user pays, in fen: a whole number of tokens at TOKEN_PRICE_FEN. */
  priceFen: number;
}

/** The token's published price in fen (1 token = ¥0.10). Must equal what the MP console publishes. */
export const TOKEN_PRICE_FEN = 10;

export const PACKS: readonly PackConfig[] = [
  // ¥1: the least an iOS payment may be.
  { packId: 'p10', tokens: 10, priceFen: 100 },
  // 50 tokens bought, 5 presented.
  { packId: 'p55', tokens: 55, priceFen: 500 },
  // 100 tokens bought, 20 presented.
  { packId: 'p120', tokens: 120, priceFen: 1000 },
];

/** The tokens a pack's payment buys (its `buyQuantity`). */
export function boughtTokens(pack: PackConfig, tokenPriceFen = TOKEN_PRICE_FEN): number {
  return pack.priceFen / tokenPriceFen;
}

/** The tokens a pack gives on top, presented once its payment is confirmed. */
export function bonusTokens(pack: PackConfig, tokenPriceFen = TOKEN_PRICE_FEN): number {
  return pack.tokens - boughtTokens(pack, tokenPriceFen);
}

/** The cheapest price per token any pack sells at, in fen. */
export function lowestPricePerTokenFen(packs: readonly PackConfig[]): number {
  return Math.min(...packs.map((pack) => pack.priceFen / pack.tokens));
}

export function packProblems(packs: readonly PackConfig[], tokenPriceFen = TOKEN_PRICE_FEN): string[] {
  const problems: string[] = [];
  if (!(Number.isInteger(tokenPriceFen) && tokenPriceFen >= 1)) problems.push('TOKEN_PRICE_FEN must be a whole number of fen ≥ 1');
  if (packs.length === 0) problems.push('at least one token pack is needed');
  const seen = new Set<string>();
  for (const pack of packs) {
    const at = `pack "${pack.packId}"`;
    if (!/^[a-z0-9][a-z0-9_-]{0,31}$/.test(pack.packId)) problems.push(`${at}: packId must be 1–32 of [a-z0-9_-]`);
    if (seen.has(pack.packId)) problems.push(`${at} is defined twice`);
    seen.add(pack.packId);
    if (!(Number.isInteger(pack.priceFen) && pack.priceFen >= 1)) problems.push(`${at}: priceFen must be a whole number of fen ≥ 1`);
    if (!(Number.isInteger(pack.tokens) && pack.tokens >= 1)) problems.push(`${at}: tokens must be a whole number ≥ 1`);
    const bought = pack.priceFen / tokenPriceFen;
    if (!Number.isInteger(bought)) problems.push(`${at}: priceFen ${pack.priceFen} is not a whole number of tokens at ${tokenPriceFen} fen each`);
    else if (bought > pack.tokens) problems.push(`${at}: charges for ${bought} tokens but gives only ${pack.tokens}`);
  }
  return problems;
}

/**
 * `TOKEN_PACKS`: the packs for sale, as a JSON list that replaces the file's (`[{"packId":"p10",
 * "tokens":10,"priceFen":100}, …]`), so an operator can change what is sold without a release. It
 * is checked like the file (`packProblems`, and every tier's worst case against the cheapest token
 * it makes).
 */
export function packsFrom(json: string | undefined): readonly PackConfig[] {
  if (json === undefined || json.trim() === '') return PACKS;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new Error(`configuration: TOKEN_PACKS is not valid JSON (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
  if (!Array.isArray(parsed)) throw new Error('configuration: TOKEN_PACKS must be a JSON list of { packId, tokens, priceFen }');
  return parsed.map((item: unknown, index) => {
    const pack = item as Partial<PackConfig> | null;
    if (!pack || typeof pack !== 'object' || typeof pack.packId !== 'string' || typeof pack.tokens !== 'number' || typeof pack.priceFen !== 'number' || Object.keys(pack).length !== 3) {
      throw new Error(`configuration: TOKEN_PACKS[${index}] must be { "packId": string, "tokens": number, "priceFen": number }`);
    }
    return { packId: pack.packId, tokens: pack.tokens, priceFen: pack.priceFen };
  });
}
