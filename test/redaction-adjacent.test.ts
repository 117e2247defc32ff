import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PLACEHOLDERS, redact, REDACTION_KINDS, type RedactionKind } from '../core/privacy/redact';

/**
 * A third labelled set (test/fixtures/redaction-adjacent.json), written by another engineer without
 * reading the rules: identifiers next to each other (lists, tables, " / ", "，", "、", line breaks,
 * no separator at all) and the awkward layouts of issue 21, plus ordinary numbers side by side
 * that must stay. Each case gives the whole text as it should read after redaction.
 * Scored on its own, per kind, apart from the generated and the hand-written sets.
 */
interface AdjacentCase {
  id: string;
  text: string;
  expected: string;
  kinds: Partial<Record<RedactionKind, number>>;
  note: string;
}
interface AdjacentSet {
  description: string;
  provenance: string;
  cases: AdjacentCase[];
}

const set = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'redaction-adjacent.json'), 'utf8')) as AdjacentSet;
const positives = set.cases.filter((c) => Object.keys(c.kinds).length > 0);
const negatives = set.cases.filter((c) => Object.keys(c.kinds).length === 0);

const KIND_OF = new Map(REDACTION_KINDS.map((kind) => [PLACEHOLDERS[kind], kind]));
const PLACEHOLDER = new RegExp(`(${REDACTION_KINDS.map((kind) => PLACEHOLDERS[kind].replace(/[[\]]/g, '\\$&')).join('|')})`);

/** A text as tokens: each placeholder one token, every other character one token. */
function tokens(text: string): string[] {
  return text.split(PLACEHOLDER).flatMap((piece, i) => (i % 2 === 1 ? [piece] : [...piece]));
}

/**
 * Which expected placeholders the redacted text has in the right place, and which placeholders it
 * has that were not expected: a longest common subsequence of the two token lists, so a value
 * missed, taken with its neighbour, or split in two shows up as a miss or a spurious placeholder.
 */
function align(expected: string, got: string): { caught: RedactionKind[]; missed: RedactionKind[]; spurious: RedactionKind[] } {
  const a = tokens(expected);
  const b = tokens(got);
  const lcs = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i -= 1) {
    for (let j = b.length - 1; j >= 0; j -= 1) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const caught: RedactionKind[] = [];
  const matchedA = new Set<number>();
  const matchedB = new Set<number>();
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      const kind = KIND_OF.get(a[i]!);
      if (kind) caught.push(kind);
      matchedA.add(i);
      matchedB.add(j);
      i += 1;
      j += 1;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) i += 1;
    else j += 1;
  }
  const unmatched = (list: string[], matched: Set<number>) => list.flatMap((token, k) => (matched.has(k) ? [] : [KIND_OF.get(token)].filter((kind): kind is RedactionKind => kind !== undefined)));
  return { caught, missed: unmatched(a, matchedA), spurious: unmatched(b, matchedB) };
}

interface KindFigures {
  expected: number;
  caught: number;
  spurious: number;
}

function measure() {
  const perKind = new Map<RedactionKind, KindFigures>(REDACTION_KINDS.map((kind) => [kind, { expected: 0, caught: 0, spurious: 0 }]));
  let exact = 0;
  let negativesTouched = 0;
  const lines: string[] = [];
  for (const labelled of set.cases) {
    const got = redact(labelled.text).text;
    const { caught, missed, spurious } = align(labelled.expected, got);
    for (const kind of caught) (perKind.get(kind) as KindFigures).caught += 1;
    for (const kind of [...caught, ...missed]) (perKind.get(kind) as KindFigures).expected += 1;
    for (const kind of spurious) (perKind.get(kind) as KindFigures).spurious += 1;
    if (got === labelled.expected) exact += 1;
    else lines.push(`  differs: ${labelled.id} ${labelled.note}: ${JSON.stringify(got)} (wanted ${JSON.stringify(labelled.expected)})`);
    if (negatives.includes(labelled) && got !== labelled.text) negativesTouched += 1;
  }
  return { perKind, exact, negativesTouched, lines };
}

describe('redaction on the independent adjacency set (written without reading the rules)', () => {
  test('the set is what it says: provenance kept, labels consistent, negatives unchanged', () => {
    expect(set.provenance).toContain('without reading the rules');
    expect(set.cases.length).toBeGreaterThanOrEqual(140);
    expect(negatives.length).toBeGreaterThanOrEqual(40);
    for (const labelled of negatives) expect(labelled.expected).toBe(labelled.text);
    for (const labelled of positives) {
      const placeholders = labelled.expected.split(PLACEHOLDER).filter((_, i) => i % 2 === 1);
      const counted: Partial<Record<RedactionKind, number>> = {};
      for (const placeholder of placeholders) {
        const kind = KIND_OF.get(placeholder) as RedactionKind;
        counted[kind] = (counted[kind] ?? 0) + 1;
      }
      expect([labelled.id, counted]).toEqual([labelled.id, labelled.kinds]);
    }
    for (const kind of REDACTION_KINDS) expect(positives.some((c) => (c.kinds[kind] ?? 0) > 0)).toBe(true);
  });

  test('recall per kind 100%, no spurious placeholder, no negative touched, every text exact (figures printed)', () => {
    const { perKind, exact, negativesTouched, lines } = measure();
    const values = [...perKind.values()].reduce((sum, f) => sum + f.expected, 0);
    const caught = [...perKind.values()].reduce((sum, f) => sum + f.caught, 0);
    const spurious = [...perKind.values()].reduce((sum, f) => sum + f.spurious, 0);
    const percent = (n: number, d: number) => `${d === 0 ? '—' : ((n / d) * 100).toFixed(1)}%`;
    process.stdout.write(
      [
        `redaction (adjacency set, written without reading the rules): ${set.cases.length} strings, ${values} personal values in ${positives.length}, ${negatives.length} strings with none`,
        `  recall ${percent(caught, values)} (${caught}/${values}); exact texts ${exact}/${set.cases.length}; spurious placeholders ${spurious}; negatives touched ${negativesTouched}/${negatives.length}`,
        ...[...perKind].map(([kind, f]) => `  ${kind.padEnd(10)} recall ${percent(f.caught, f.expected)} (${f.caught}/${f.expected}), spurious ${f.spurious}`),
        ...lines,
        '',
      ].join('\n'),
    );
    for (const [kind, f] of perKind) expect([kind, f.caught]).toEqual([kind, f.expected]);
    expect(spurious).toBe(0);
    expect(negativesTouched).toBe(0);
    expect(exact).toBe(set.cases.length);
  });
});
