/**
 * The keywords of the subscribe message template (chosen in the mini program admin console,
 * its id in SUBSCRIBE_TEMPLATE_ID). Map each keyword of your template to what it shows; the kind
 * decides the length limit that is applied (the keyword kinds and their limits:
 * https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-message-management/subscribe-message/sendMessage.html).
 */
export type KeywordKind =
  | 'thing'
  | 'character_string'
  | 'phrase'
  | 'amount'
  | 'time'
  | 'date'
  | 'number'
  | 'letter'
  | 'symbol'
  | 'name'
  | 'phone_number';
/**
 * What a keyword shows. `tierTitle`: the tier's title after the AI label (AI生成 · 快速回答), so the
 * message names what it announces as AI-generated (the label rule covers every place the answer is
 * presented). `paid`: how the answer was paid, in words ("5 代币", "¥1.00"), for a `thing` keyword:
 * an `amount` keyword takes only a currency amount, which a token answer does not have. `amount`:
 * the yuan paid, for `amount` keywords of templates used with cloud pay or API v3 (a token answer
 * shows its tokens' published price, tokens × XPAY_TOKEN_PRICE_FEN).
 */
export type KeywordSource = 'tierTitle' | 'status' | 'paid' | 'amount' | 'finishedAt' | 'orderNumber';

export interface KeywordMapping {
  keyword: string;
  kind: KeywordKind;
  source: KeywordSource;
}

export const SUBSCRIBE_KEYWORDS: readonly KeywordMapping[] = [
  { keyword: 'thing1', kind: 'thing', source: 'tierTitle' },
  { keyword: 'phrase2', kind: 'phrase', source: 'status' },
  { keyword: 'thing3', kind: 'thing', source: 'paid' },
  { keyword: 'time4', kind: 'time', source: 'finishedAt' },
  { keyword: 'character_string5', kind: 'character_string', source: 'orderNumber' },
];
