/** Figures the benchmarks print: percentiles, paired differences, and the table rows. */

export interface Row {
  measure: string;
  figure: string;
  target: string;
  /** null: information only, no target. */
  met: boolean | null;
}

/** Nearest-rank percentile (p in 0..100) of the values; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

export interface Distribution {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function distribution(values: readonly number[]): Distribution {
  return { n: values.length, p50: percentile(values, 50), p95: percentile(values, 95), p99: percentile(values, 99), max: values.length ? Math.max(...values) : NaN };
}

/**
 * What one path adds over another, sample by sample: `ours[i] - direct[i]` for samples taken as a
 * pair (back to back, under the same conditions). Noise in either sample shows in the difference,
 * so its tail is a conservative (high) estimate of what our code adds.
 */
export function pairedDifferences(ours: readonly number[], direct: readonly number[]): number[] {
  if (ours.length !== direct.length) throw new Error(`paired samples differ in number: ${ours.length} vs ${direct.length}`);
  return ours.map((value, i) => value - (direct[i] as number));
}

/** Per chunk k: when it was seen minus when the provider wrote it. Both lists must count the same chunks. */
export function chunkDelays(writtenAt: readonly number[], seenAt: readonly number[]): number[] {
  if (writtenAt.length !== seenAt.length) throw new Error(`chunk counts differ: the provider wrote ${writtenAt.length}, ${seenAt.length} were seen`);
  return seenAt.map((at, k) => at - (writtenAt[k] as number));
}

export interface TextMark {
  at: number;
  /** Length of the text so far (handed on) or of the text written. */
  length: number;
}

/**
 * For each piece of text handed to the output writer, how long until a store write that contains
 * it began: the first write at or after the hand-over whose text is at least as long.
 */
export function storeDelays(handed: readonly TextMark[], writes: readonly TextMark[]): number[] {
  return handed.map((mark) => {
    const write = writes.find((w) => w.at >= mark.at && w.length >= mark.length);
    if (!write) throw new Error(`text of length ${mark.length} handed on at ${mark.at.toFixed(3)} was never written`);
    return write.at - mark.at;
  });
}

export const ms = (value: number) => (Number.isFinite(value) ? `${value < 10 ? value.toFixed(1) : Math.round(value)} ms` : 'n/a');
/** Sub-millisecond figures, for overheads measured in microseconds. */
export const fineMs = (value: number) => (Number.isFinite(value) ? `${value.toFixed(Math.abs(value) < 10 ? 2 : 1)} ms` : 'n/a');
