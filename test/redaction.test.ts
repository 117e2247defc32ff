import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isValidResidentId, passesLuhn, PLACEHOLDERS, redact, REDACTION_KINDS, type RedactionKind } from '../core/privacy/redact';

/**
 * The labelled redaction set (test/fixtures/redaction-cases.json, built by
 * make-redaction-cases.mjs): what a prompt contains and which values must not survive.
 */
interface LabelledCase {
  id: number;
  text: string;
  expect: Partial<Record<RedactionKind, number>>;
  values: string[];
  note: string;
}

const cases = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'redaction-cases.json'), 'utf8')) as LabelledCase[];

interface Scored {
  expected: number;
  found: number;
  spurious: number;
  leakedValues: string[];
}

function score(labelled: LabelledCase): Scored {
  const { text, counts } = redact(labelled.text);
  let expected = 0;
  let found = 0;
  let spurious = 0;
  for (const kind of REDACTION_KINDS) {
    const want = labelled.expect[kind] ?? 0;
    const got = counts[kind] ?? 0;
    expected += want;
    found += Math.min(want, got);
    spurious += Math.max(0, got - want);
  }
  return { expected, found, spurious, leakedValues: labelled.values.filter((value) => text.includes(value)) };
}

describe('redaction of personal data before a prompt leaves', () => {
  test('the labelled set is large and varied enough to mean something', () => {
    expect(cases.length).toBeGreaterThanOrEqual(300);
    const negatives = cases.filter((c) => Object.keys(c.expect).length === 0);
    expect(negatives.length).toBeGreaterThanOrEqual(100);
    for (const kind of REDACTION_KINDS) expect(cases.filter((c) => (c.expect[kind] ?? 0) > 0).length).toBeGreaterThanOrEqual(20);
    expect(cases.some((c) => /[\uff10-\uff19]/.test(c.text))).toBe(true);
    expect(cases.some((c) => /[\u4e00-\u9fff]/.test(c.text))).toBe(true);
  });

  test('recall ≥ 99% and false positives ≤ 1% on the labelled set', () => {
    let expected = 0;
    let found = 0;
    let spuriousCases = 0;
    let spuriousNegatives = 0;
    const misses: string[] = [];
    const perKind = new Map<RedactionKind, { expected: number; found: number }>();
    for (const labelled of cases) {
      const result = score(labelled);
      expected += result.expected;
      found += result.found;
      if (result.spurious > 0) {
        spuriousCases += 1;
        if (Object.keys(labelled.expect).length === 0) spuriousNegatives += 1;
      }
      if (result.found < result.expected || result.spurious > 0) misses.push(`#${labelled.id} ${labelled.note}: ${JSON.stringify(redact(labelled.text).counts)} for ${labelled.text}`);
      const counts = redact(labelled.text).counts;
      for (const kind of REDACTION_KINDS) {
        const want = labelled.expect[kind] ?? 0;
        const entry = perKind.get(kind) ?? { expected: 0, found: 0 };
        entry.expected += want;
        entry.found += Math.min(want, counts[kind] ?? 0);
        perKind.set(kind, entry);
      }
    }
    const negatives = cases.filter((c) => Object.keys(c.expect).length === 0).length;
    const recall = found / expected;
    const falsePositiveRate = spuriousCases / cases.length;
    const negativeFalsePositiveRate = spuriousNegatives / negatives;
    const lines = [
      `redaction: ${cases.length} labelled strings, ${expected} personal values, ${negatives} strings with none`,
      `  recall ${(recall * 100).toFixed(2)}% (${found}/${expected}); false positives ${(falsePositiveRate * 100).toFixed(2)}% of strings (${spuriousCases}/${cases.length}), ${(negativeFalsePositiveRate * 100).toFixed(2)}% of clean strings (${spuriousNegatives}/${negatives})`,
      ...[...perKind].map(([kind, { expected: e, found: f }]) => `  ${kind.padEnd(10)} recall ${((f / e) * 100).toFixed(1)}% (${f}/${e})`),
      ...misses.map((miss) => `  miss: ${miss}`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    expect(recall).toBeGreaterThanOrEqual(0.99);
    expect(falsePositiveRate).toBeLessThanOrEqual(0.01);
    expect(negativeFalsePositiveRate).toBeLessThanOrEqual(0.01);
  });

  test('no labelled personal value survives in the redacted text', () => {
    const leaks = cases.flatMap((c) => score(c).leakedValues.map((value) => `#${c.id}: ${value}`));
    expect(leaks).toEqual([]);
  });

  test('placeholders are typed and the counts say how many of each, never which', () => {
    const result = redact('电话13812345678和13987654321，邮箱zhang.san@example.com，身份证11010519491231002X');
    expect(result.text).toBe(`电话${PLACEHOLDERS.mobile}和${PLACEHOLDERS.mobile}，邮箱${PLACEHOLDERS.email}，身份证${PLACEHOLDERS.id_number}`);
    expect(result.counts).toEqual({ mobile: 2, email: 1, id_number: 1 });
  });

  test('the text around a full-width number is kept exactly', () => {
    const result = redact('请联系１３８１２３４５６７８，谢谢！');
    expect(result.text).toBe('请联系[PHONE]，谢谢！');
  });

  test('a text without personal data comes back unchanged', () => {
    const text = '帮我把 2024 年 Q3 的 12,999 元预算分成 3 份';
    expect(redact(text)).toEqual({ text, counts: {} });
  });

  test('ID checksum, date and region rules', () => {
    expect(isValidResidentId('11010519491231002X')).toBe(true);
    expect(isValidResidentId('110105194912310021')).toBe(false); // wrong check digit
    expect(isValidResidentId('110105194913310028')).toBe(false); // month 13
    expect(isValidResidentId('99010519491231002X')).toBe(false); // no region 99
    expect(isValidResidentId('110105491231002')).toBe(true); // 15-digit, 1949-12-31
    expect(isValidResidentId('110105490231002')).toBe(false); // 15-digit, 31 February
  });

  test('Luhn rule', () => {
    expect(passesLuhn('4111111111111111')).toBe(true);
    expect(passesLuhn('4111111111111112')).toBe(false);
    expect(passesLuhn('6222 0212 3456 7896')).toBe(passesLuhn('6222021234567896'));
  });
});
