import type { TextMark } from './figures';

/**
 * The live-text figures, from three timelines of one answer: when the model wrote each character
 * (at the model server), when the page received text (either channel), and when text became
 * visible (a setData that changed the rendered answer). Lengths are in UTF-16 units, as the order's
 * output and the page count them. Pure, so that they can be checked on their own.
 */

/** The first mark whose length reaches `chars` (the marks grow), or undefined. */
export function firstReaching(marks: readonly TextMark[], chars: number): TextMark | undefined {
  return marks.find((mark) => mark.length >= chars);
}

/** The largest pause between consecutive marks (0 with fewer than two). */
export function largestGap(marks: readonly TextMark[]): number {
  let gap = 0;
  for (let i = 1; i < marks.length; i += 1) gap = Math.max(gap, (marks[i] as TextMark).at - (marks[i - 1] as TextMark).at);
  return gap;
}

/** One character's way from the model to the screen. */
export interface CharacterTrail {
  /** 1-based position in the answer. */
  position: number;
  /** Visible − written: how long the screen trailed the model for this character. */
  trailMs: number;
  /**
   * Written → the model wrote the last character of the text that reached the page with it: the
   * wait for the rest of its piece (content security checks whole pieces; the output writer batches).
   */
  heldMs: number;
  /** The last character of that text written → it reached the page: check, store write, read, network. */
  transitMs: number;
  /** Reached the page → visible: the page's smoothing (at most 300 ms). */
  smoothingMs: number;
}

/**
 * For every character the page showed, how long after the model wrote it it became visible, split
 * into its parts. `writtenAt(chars)` is when the model had written `chars` characters.
 * Characters without a write time (text the model never wrote, which would be a bug) are left out.
 */
export function characterTrails(writtenAt: (chars: number) => number | undefined, arrivals: readonly TextMark[], visible: readonly TextMark[], finalLength: number): CharacterTrail[] {
  const trails: CharacterTrail[] = [];
  for (let position = 1; position <= finalLength; position += 1) {
    const written = writtenAt(position);
    const arrived = firstReaching(arrivals, position);
    const shown = firstReaching(visible, position);
    if (written === undefined || !arrived || !shown) continue;
    const pieceWritten = writtenAt(arrived.length) ?? written;
    trails.push({
      position,
      trailMs: shown.at - written,
      heldMs: pieceWritten - written,
      transitMs: arrived.at - pieceWritten,
      smoothingMs: shown.at - arrived.at,
    });
  }
  return trails;
}
