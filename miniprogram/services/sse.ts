/**
 * A parser of `text/event-stream`, as the HTML standard's event stream interpretation reads it
 * (HTML Living Standard, "Server-sent events", 9.2.6 Interpreting an event stream):
 * lines end in CRLF, LF or CR; a line starting with `:` is a comment (the Functions Framework's
 * `: heartbeat`); `field: value` (one optional space after the colon) for `event`, `data`, `id`,
 * `retry`; a blank line dispatches the event, whose data is its `data` lines joined by LF, unless
 * there were none. Text is fed as it arrives, in any pieces.
 */
export interface SseEvent {
  /** `message` unless the event named another type. */
  event: string;
  data: string;
  /** The last event id seen so far on this stream (`id:` lines persist across events). */
  lastEventId: string;
}

export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private type = '';
  private lastEventId = '';
  /** A CR ended the last piece: an LF at the start of the next one belongs to it. */
  private afterCr = false;

  /** The events completed by this piece of text. */
  feed(text: string): SseEvent[] {
    let input = text;
    if (this.afterCr && input.startsWith('\n')) input = input.slice(1);
    this.afterCr = false;
    this.buffer += input;
    const events: SseEvent[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      // A lone CR at the very end may be the first half of a CRLF still on its way.
      if (match[0] === '\r' && match.index === this.buffer.length - 1) {
        this.afterCr = true;
      }
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const event = this.line(line);
      if (event) events.push(event);
    }
    return events;
  }

  private line(line: string): SseEvent | null {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.type = value;
    else if (field === 'id' && !value.includes('\0')) this.lastEventId = value;
    return null;
  }

  private dispatch(): SseEvent | null {
    const data = this.data;
    const type = this.type;
    this.data = [];
    this.type = '';
    if (data.length === 0) return null;
    return { event: type || 'message', data: data.join('\n'), lastEventId: this.lastEventId };
  }
}
