/**
 * Redaction of personal data before a prompt is stored or leaves for a model provider. Each kind
 * is replaced by a typed placeholder; only the counts per kind are kept, never the values.
 *
 * Detectors run in a fixed order, each on the text left by the previous ones, from the most
 * specific shape to the least: e-mail (may contain digits), payment identifiers (long digit runs
 * that contain ID- and card-like runs), resident ID numbers (checksum, date and region), bank cards
 * (Luhn), mainland mobile numbers. A digit run is only ever taken whole: a number inside a longer
 * number is not a match (a mobile inside a 19-digit order number stays).
 * Measured against test/fixtures/redaction-cases.json by test/redaction.test.ts.
 */
export type RedactionKind = 'email' | 'payment_id' | 'id_number' | 'bank_card' | 'mobile';

export const REDACTION_KINDS: readonly RedactionKind[] = ['email', 'payment_id', 'id_number', 'bank_card', 'mobile'];

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

/**
 * Full-width digits, letters, @ . - + and the ideographic space become ASCII, one UTF-16 unit for
 * one, so that positions in the folded text are positions in the original.
 */
function foldWidth(text: string): string {
  return text.replace(/[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uff20\uff0e\uff0d\uff0b\uff08\uff09]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
}

/** One separator inside a number: space, no-break or ideographic space, a hyphen or dash. */
const SEP_CLASS = '[ \\-\\u00a0\\u3000\\u2010-\\u2015]';
const SEP = `${SEP_CLASS}?`;

function digitsOnly(text: string): string {
  return text.replace(/[^0-9Xx]/g, '');
}

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';
/** First two digits of a resident ID: province-level regions (GB/T 2260), 71 Taiwan, 81–83 HK/Macao/Taiwan residence permits. */
const ID_REGIONS = new Set([11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83]);

function validDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= days;
}

/** An 18-digit ID with a valid region, birth date and ISO 7064 check digit, or a 15-digit one (1984–1999 format) with a valid region and date. */
export function isValidResidentId(candidate: string): boolean {
  const id = digitsOnly(candidate).toUpperCase();
  if (!ID_REGIONS.has(Number(id.slice(0, 2)))) return false;
  if (id.length === 18) {
    if (!/^\d{17}[\dX]$/.test(id)) return false;
    const year = Number(id.slice(6, 10));
    if (year < 1900 || year > 2100 || !validDate(year, Number(id.slice(10, 12)), Number(id.slice(12, 14)))) return false;
    let sum = 0;
    for (let i = 0; i < 17; i += 1) sum += Number(id[i]) * (ID_WEIGHTS[i] as number);
    return ID_CHECK[sum % 11] === id[17];
  }
  if (id.length === 15) {
    if (!/^\d{15}$/.test(id)) return false;
    return validDate(1900 + Number(id.slice(6, 8)), Number(id.slice(8, 10)), Number(id.slice(10, 12)));
  }
  return false;
}

export function passesLuhn(candidate: string): boolean {
  const digits = digitsOnly(candidate);
  if (!/^\d{12,19}$/.test(digits)) return false;
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

/**
 * Payment cards are 15–19 digits whose first digit is 3 (Amex, JCB, Diners), 4 (Visa), 5
 * (Mastercard), 6 (UnionPay, Discover) or 9 (older domestic cards). Requiring that and the Luhn
 * check keeps 13-digit millisecond timestamps, ISBNs and most order numbers out.
 */
export function isLikelyCard(candidate: string): boolean {
  const digits = digitsOnly(candidate);
  return /^[34569]\d{14,18}$/.test(digits) && passesLuhn(digits);
}

interface Detector {
  kind: RedactionKind;
  pattern: RegExp;
  accept?: (match: string) => boolean;
}

const DETECTORS: Detector[] = [
  {
    kind: 'email',
    pattern: /(?<![A-Za-z0-9._%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,63})@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}(?![A-Za-z0-9-])/g,
  },
  // WeChat Pay transaction ids (28 digits, starting with 4), refund ids (29–32 digits, starting
  // with 5), and this product's order numbers (AI + 14-digit time + 16 alphanumerics; R + that for refunds).
  {
    kind: 'payment_id',
    pattern: /(?<![0-9A-Za-z])(?:4\d{27}|5\d{28,31}|R?AI\d{14}[A-Za-z0-9]{16})(?![0-9A-Za-z])/g,
  },
  {
    kind: 'id_number',
    pattern: new RegExp(
      `(?<![0-9])(?:\\d{6}${SEP}\\d{8}${SEP}\\d{3}[0-9Xx]|\\d{6}${SEP}\\d{4}${SEP}\\d{4}${SEP}\\d{3}[0-9Xx]|\\d{15})(?![0-9A-Za-z])`,
      'g',
    ),
    accept: isValidResidentId,
  },
  {
    kind: 'bank_card',
    // Grouped by four (the last group 1–4 digits), or Amex's 4-6-5, or one unbroken run. A grouped
    // run must not continue with another separated group: "6222 0212 3456 7890 1234" is not a card.
    pattern: new RegExp(
      [
        `(?<!\\d${SEP})\\d{4}(?:${SEP}\\d{4}){2,3}(?:${SEP}\\d{1,4})?(?!${SEP}\\d)`,
        `(?<!\\d${SEP})\\d{4}${SEP}\\d{6}${SEP}\\d{5}(?!${SEP}\\d)`,
      ].join('|'),
      'g',
    ),
    accept: isLikelyCard,
  },
  {
    kind: 'mobile',
    // Not glued to Latin letters either: "0x13800138000" or "SN13800138000" are identifiers.
    pattern: new RegExp(`(?<![0-9A-Za-z])(?:(?:\\+|00)?86${SEP_CLASS}{0,2})?(?:\\(\\+?86\\)${SEP})?1[3-9]\\d${SEP}\\d{4}${SEP}\\d{4}(?![0-9A-Za-z])`, 'g'),
  },
];

export function redact(input: string): RedactionResult {
  const counts: Partial<Record<RedactionKind, number>> = {};
  // Match on the folded text, replace the same positions of the original.
  let text = input;
  let scan = foldWidth(input);
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
