/**
 * Redaction of personal data before a prompt is stored or leaves for a model provider. Each kind
 * is replaced by a typed placeholder; only the counts per kind are kept, never the values.
 */
export type RedactionKind = 'email' | 'payment_id' | 'id_number' | 'bank_card' | 'mobile';

export const PLACEHOLDERS: Record<RedactionKind, string> = {
  email: '[EMAIL]',
  payment_id: '[PAYMENT_ID]',
  id_number: '[ID_NUMBER]',
  bank_card: '[BANK_CARD]',
  mobile: '[PHONE]',
};

export interface RedactionResult {
  text: string;
  counts: Partial<Record<RedactionKind, number>>;
}

/** Full-width digits and letters become ASCII, one character for one, so offsets still line up. */
function foldWidth(text: string): string {
  return text.replace(/[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uff20\uff0e\uff0d\uff0b]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
}

const SEP = '[ \\-\\u00a0\\u3000]?';

function digitsOnly(text: string): string {
  return text.replace(/[^0-9Xx]/g, '');
}

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';

function validDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= days;
}

export function isValidResidentId(candidate: string): boolean {
  const id = digitsOnly(candidate).toUpperCase();
  if (id.length === 18) {
    if (!/^[1-9]\d{16}[\dX]$/.test(id)) return false;
    const year = Number(id.slice(6, 10));
    if (year < 1900 || year > 2100 || !validDate(year, Number(id.slice(10, 12)), Number(id.slice(12, 14)))) return false;
    let sum = 0;
    for (let i = 0; i < 17; i += 1) sum += Number(id[i]) * (ID_WEIGHTS[i] as number);
    return ID_CHECK[sum % 11] === id[17];
  }
  if (id.length === 15) {
    if (!/^[1-9]\d{14}$/.test(id)) return false;
    return validDate(1900 + Number(id.slice(6, 8)), Number(id.slice(8, 10)), Number(id.slice(10, 12)));
  }
  return false;
}

export function passesLuhn(candidate: string): boolean {
  const digits = digitsOnly(candidate);
  if (!/^\d{13,19}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

interface Detector {
  kind: RedactionKind;
  pattern: RegExp;
  accept?: (match: string) => boolean;
}

const DETECTORS: Detector[] = [
  { kind: 'email', pattern: /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g },
  // WeChat Pay transaction and refund ids (28–32 digits) and this product's order numbers.
  { kind: 'payment_id', pattern: /(?<![0-9A-Za-z])(?:\d{28,32}|AI\d{14}[A-Za-z0-9]{16})(?![0-9A-Za-z])/g },
  {
    kind: 'id_number',
    pattern: new RegExp(`(?<![0-9])(?:\\d{6}${SEP}\\d{8}${SEP}\\d{3}[0-9Xx]|\\d{6}${SEP}\\d{4}${SEP}\\d{4}${SEP}\\d{3}[0-9Xx]|\\d{15})(?![0-9A-Za-z])`, 'g'),
    accept: isValidResidentId,
  },
  {
    kind: 'bank_card',
    pattern: new RegExp(`(?<![0-9])[1-9]\\d{3}(?:${SEP}\\d{4}){2,3}(?:${SEP}\\d{1,3})?(?![0-9])|(?<![0-9])[1-9]\\d{12,18}(?![0-9])`, 'g'),
    accept: passesLuhn,
  },
  {
    kind: 'mobile',
    pattern: new RegExp(`(?<![0-9])(?:(?:\\+|00)?86${SEP})?1[3-9]\\d${SEP}\\d{4}${SEP}\\d{4}(?![0-9])`, 'g'),
  },
];

export function redact(input: string): RedactionResult {
  const folded = foldWidth(input);
  const counts: Partial<Record<RedactionKind, number>> = {};
  // Work on the folded text for matching, replace in the same positions of the output.
  let text = input;
  let scan = folded;
  for (const detector of DETECTORS) {
    let out = '';
    let outScan = '';
    let last = 0;
    for (const match of scan.matchAll(detector.pattern)) {
      const start = match.index ?? 0;
      const value = match[0];
      if (detector.accept && !detector.accept(value)) continue;
      out += text.slice(last, start) + PLACEHOLDERS[detector.kind];
      outScan += scan.slice(last, start) + PLACEHOLDERS[detector.kind];
      last = start + value.length;
      counts[detector.kind] = (counts[detector.kind] ?? 0) + 1;
    }
    text = out + text.slice(last);
    scan = outScan + scan.slice(last);
  }
  return { text, counts };
}
