import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PLACEHOLDERS, redact, REDACTION_KINDS, type RedactionKind } from '../core/privacy/redact';

/**
 * A second labelled set, written by hand from how people really write personal data in prompts
 * (separators, invisible characters, full-width and other scripts, Chinese context words) and from
 * ordinary text that must come back untouched (dates, amounts, versions, maths, code, tracking
 * numbers, invalid check digits). Each personal value is given as the exact span of the text it
 * occupies, so a redaction that leaves part of a number behind, or eats the text around it, shows.
 * Scored separately from the generated set (test/fixtures/redaction-cases.json).
 */
interface Pii {
  kind: RedactionKind;
  value: string;
}
interface IndependentCase {
  id: number;
  text: string;
  pii: Pii[];
  note: string;
}

const cases = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'redaction-independent.json'), 'utf8')) as IndependentCase[];
const positives = cases.filter((c) => c.pii.length > 0);
const negatives = cases.filter((c) => c.pii.length === 0);

/** The text as it should read after redaction: each labelled span replaced by its placeholder. */
function expectedText(labelled: IndependentCase): string {
  let text = labelled.text;
  for (const { kind, value } of labelled.pii) text = text.replace(value, PLACEHOLDERS[kind]);
  return text;
}

/** Digits of a value, so a copy that survives re-spaced, or with its invisible characters dropped, still counts as leaked. */
const digitsOf = (value: string) => value.normalize('NFKC').replace(/[^0-9]/g, '');

interface Figures {
  values: number;
  caught: number;
  exactSpans: number;
  spuriousCases: number;
  negativesTouched: number;
  lines: string[];
}

function measure(): Figures {
  const figures: Figures = { values: 0, caught: 0, exactSpans: 0, spuriousCases: 0, negativesTouched: 0, lines: [] };
  for (const labelled of cases) {
    const result = redact(labelled.text);
    const exact = result.text === expectedText(labelled);
    if (exact) figures.exactSpans += labelled.pii.length;
    for (const { kind, value } of labelled.pii) {
      figures.values += 1;
      const digits = digitsOf(value);
      const survived = result.text.includes(value) || (digits.length >= 7 && digitsOf(result.text).includes(digits));
      const counted = (result.counts[kind] ?? 0) >= labelled.pii.filter((p) => p.kind === kind).length;
      if (!survived && counted) figures.caught += 1;
    }
    const spurious = REDACTION_KINDS.some((kind) => (result.counts[kind] ?? 0) > labelled.pii.filter((p) => p.kind === kind).length);
    if (spurious) figures.spuriousCases += 1;
    if (labelled.pii.length === 0 && result.text !== labelled.text) figures.negativesTouched += 1;
    if (!exact) figures.lines.push(`  differs: #${labelled.id} ${labelled.note}: ${JSON.stringify(result.text)} (wanted ${JSON.stringify(expectedText(labelled))})`);
  }
  return figures;
}

describe('redaction on the hand-written independent case set', () => {
  test('the set is large, balanced and covers every kind and the issue’s forms', () => {
    expect(cases.length).toBeGreaterThanOrEqual(150);
    expect(positives.length).toBeGreaterThanOrEqual(70);
    expect(negatives.length).toBeGreaterThanOrEqual(70);
    for (const kind of REDACTION_KINDS) expect(positives.filter((c) => c.pii.some((p) => p.kind === kind)).length).toBeGreaterThanOrEqual(7);
    for (const labelled of positives) for (const { value } of labelled.pii) expect(labelled.text).toContain(value);
    expect(cases.filter((c) => c.note.startsWith('issue:')).length).toBeGreaterThanOrEqual(10);
  });

  test('every form named in the issue is caught, span for span', () => {
    const issueForms = [
      ['我的微信wx13812345678', '我的微信wx[PHONE]'],
      ['电话138.1234.5678', '电话[PHONE]'],
      ['身份证110105.19491231.002X', '身份证[ID_NUMBER]'],
      ['_zhang.san@example.com', '[EMAIL]'],
      ['手机 138\u200b1234\u200b5678', '手机 [PHONE]'],
      ['手机 138\u00ad1234\u00ad5678', '手机 [PHONE]'],
      ['卡号 6222.0212.3456.7894', '卡号 [BANK_CARD]'],
      ['卡号 6222  0212  3456  7894', '卡号 [BANK_CARD]'],
    ] as const;
    for (const [input, output] of issueForms) expect(redact(input).text).toBe(output);
    for (const labelled of cases.filter((c) => c.note.startsWith('issue:'))) expect(redact(labelled.text).text).toBe(expectedText(labelled));
  });

  test('recall 100% and no ordinary text touched (figures printed)', () => {
    const figures = measure();
    const recall = figures.caught / figures.values;
    const negativeRate = figures.negativesTouched / negatives.length;
    process.stdout.write(
      [
        `redaction (independent set): ${cases.length} hand-written strings, ${figures.values} personal values in ${positives.length}, ${negatives.length} strings with none`,
        `  recall ${(recall * 100).toFixed(2)}% (${figures.caught}/${figures.values}); exact spans ${figures.exactSpans}/${figures.values}`,
        `  false positives ${((figures.spuriousCases / cases.length) * 100).toFixed(2)}% of strings (${figures.spuriousCases}/${cases.length}), ${(negativeRate * 100).toFixed(2)}% of clean strings (${figures.negativesTouched}/${negatives.length})`,
        ...figures.lines,
        '',
      ].join('\n'),
    );
    // Thresholds: every labelled value is removed, and ordinary text (the negatives) comes back byte for byte.
    expect(recall).toBe(1);
    expect(figures.negativesTouched).toBe(0);
    expect(figures.spuriousCases).toBe(0);
  });

  test('a long hostile input is scanned in one pass: every match is bounded and the result is exact', () => {
    // Shapes that make backtracking regexes blow up: long runs of separators between digits, a
    // local part without an "@", a domain of many labels without a TLD, alternating digits and
    // dots. 200 000 characters each; redact must return, and return the right thing.
    const size = 200_000;
    const hostile = [
      '1 '.repeat(size / 2),
      '1.'.repeat(size / 2),
      'a'.repeat(size),
      `x@${'a.'.repeat(size / 2)}`,
      `${'a-'.repeat(size / 2)}@`,
      '1-- '.repeat(size / 4),
      `${'_'.repeat(size)}@example.com`,
      '\u200b1'.repeat(size / 2),
      '一'.repeat(size),
    ];
    for (const input of hostile) {
      const result = redact(input);
      expect(result.text.length).toBeLessThanOrEqual(input.length);
      expect(Object.values(result.counts).every((n) => n >= 0)).toBe(true);
    }
    // Many real values in one long prompt: all of them are found, none is missed at the far end.
    const many = Array.from({ length: 5_000 }, (_, i) => `第${i}行 电话138 ${String(1000 + (i % 9000)).padStart(4, '0')} 5678；`).join('');
    expect(redact(many).counts).toEqual({ mobile: 5_000 });
  });
});
