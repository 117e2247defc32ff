import type { KeywordKind } from '../config/subscribe';

/** Limits per keyword kind (characters), from the subscribe message documentation. */
const MAX_CHARS: Record<KeywordKind, number> = {
  thing: 20,
  character_string: 32,
  phrase: 5,
  amount: 11,
  time: 19,
};

/** Makes a value fit its keyword kind, so that a send never fails with 47003. */
export function fitKeyword(kind: KeywordKind, value: string): string {
  const chars = [...value];
  switch (kind) {
    case 'character_string':
      return chars.filter((c) => /[\x21-\x7e]/.test(c)).slice(0, MAX_CHARS.character_string).join('');
    case 'phrase':
      return chars.filter((c) => /[\u4e00-\u9fff]/.test(c)).slice(0, MAX_CHARS.phrase).join('');
    case 'thing':
      return chars.length <= MAX_CHARS.thing ? value : `${chars.slice(0, MAX_CHARS.thing - 1).join('')}…`;
    default:
      return chars.slice(0, MAX_CHARS[kind]).join('');
  }
}

export function yuan(amountFen: number): string {
  return `¥${(amountFen / 100).toFixed(2)}`;
}
