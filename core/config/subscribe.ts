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
export type KeywordSource = 'tierTitle' | 'status' | 'amount' | 'finishedAt' | 'orderNumber';

export interface KeywordMapping {
  keyword: string;
  kind: KeywordKind;
  source: KeywordSource;
}

export const SUBSCRIBE_KEYWORDS: readonly KeywordMapping[] = [
  { keyword: 'thing1', kind: 'thing', source: 'tierTitle' },
  { keyword: 'phrase2', kind: 'phrase', source: 'status' },
  { keyword: 'amount3', kind: 'amount', source: 'amount' },
  { keyword: 'time4', kind: 'time', source: 'finishedAt' },
  { keyword: 'character_string5', kind: 'character_string', source: 'orderNumber' },
];
