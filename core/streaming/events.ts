import type { OrderDocument } from '../orders/order';
import type { OrderStatus } from '../orders/states';
import { isHighSurrogate } from '../unicode';

/**
 * One event of an order's stream (docs/STREAMING.md). The SSE `id` is the order's `rev`; `data` is
 * this object as JSON. The answer's text after the event is the page's text up to `from`, then
 * `text`:
 * - `from` equal to what the page holds: `text` is what was added since the last event;
 * - `from: 0`: `text` is the whole answer so far. After text was shown this means the answer was
 *   restarted (another model took over, or a resumed attempt started afresh): the page drops what
 *   it showed, shows `text`, and says the answer is being restarted;
 * - `anchor`: the (up to 16) UTF-16 units of the answer just before `from`, so a page that resumed
 *   with a length can check that its text is still the start of the answer (a restart while it was
 *   away); when it is not, it reconnects asking for the whole text (`chars=0`).
 * Only text that passed content security is ever in `order.output` (core/compliance/outputGate.ts),
 * so only that is ever sent.
 */
export interface StreamEventData {
  rev: number;
  status: OrderStatus;
  from: number;
  text: string;
  anchor: string;
  outputComplete: boolean;
  error: { code: string; message: string } | null;
}

/** Why a stream ended (the `end` event's data): `terminal` for good; otherwise the page reconnects. */
export type StreamEndReason = 'terminal' | 'window' | 'gone' | 'unavailable';

export const ANCHOR_UNITS = 16;

/**
 * What the page holds, as far as this connection knows: the exact text it sent (`text`), or, right
 * after a resume, only the length the page said it has (`chars`).
 */
export type PageView = { text: string } | { chars: number } | null;

/** The event that brings a page holding `view` to `order`, and what the page holds after it. */
export function eventFor(order: OrderDocument, view: PageView): { data: StreamEventData; view: PageView } {
  const output = order.output;
  let from = 0;
  if (view && 'text' in view) from = output.startsWith(view.text) ? view.text.length : 0;
  else if (view && 'chars' in view) from = view.chars <= output.length ? view.chars : 0;
  // Never split a surrogate pair between two events: the page would hold half a character.
  if (from > 0 && from < output.length && isHighSurrogate(output.charCodeAt(from - 1))) from -= 1;
  const data: StreamEventData = {
    rev: order.rev,
    status: order.status,
    from,
    text: output.slice(from),
    anchor: output.slice(Math.max(0, from - ANCHOR_UNITS), from),
    outputComplete: order.outputComplete,
    error: order.error ?? null,
  };
  return { data, view: { text: output } };
}

