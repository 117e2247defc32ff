import type { ModelPrice } from '../config/providers';

const CJK = /[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]/g;

/** A cautious token estimate when a provider sends no usage: never zero for non-empty text. */
export function estimateTokens(text: string): number {
  const cjk = text.match(CJK)?.length ?? 0;
  const rest = text.length - cjk;
  return cjk + Math.ceil(rest / 4);
}

/** Model cost in fen, to 1/10000 fen so that per-order sums stay exact to the fen. */
export function modelCostFen(price: ModelPrice, promptTokens: number, completionTokens: number): number {
  const raw = (promptTokens * price.inputFenPerMTok + completionTokens * price.outputFenPerMTok) / 1_000_000;
  return Math.round(raw * 10_000) / 10_000;
}
