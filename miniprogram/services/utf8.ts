/**
 * UTF-8 decoding of a byte stream that arrives in pieces. `RequestTask.onChunkReceived` hands over
 * ArrayBuffers split anywhere, even inside a character's bytes (WeChat's API docs:
 * RequestTask.onChunkReceived), and `TextDecoder` is not in every base library (miniprogram-api-typings declares none), so this
 * decodes by hand: the bytes of an unfinished character wait for the next chunk. Malformed bytes
 * become U+FFFD, one per maximal invalid sequence, as the WHATWG Encoding Standard's decoder does.
 */
export class Utf8Decoder {
  /** The first bytes of a character whose remaining bytes have not arrived yet. */
  private pending: number[] = [];

  /** The text of this chunk, with whatever a previous chunk left unfinished in front of it. */
  decode(chunk: ArrayBuffer | Uint8Array): string {
    const bytes = chunk instanceof Uint8Array ? chunk : new Uint8Array(chunk);
    const input = this.pending.length > 0 ? [...this.pending, ...bytes] : bytes;
    this.pending = [];
    let out = '';
    let i = 0;
    while (i < input.length) {
      const lead = input[i] as number;
      if (lead < 0x80) {
        out += String.fromCharCode(lead);
        i += 1;
        continue;
      }
      const need = lead >= 0xc2 && lead <= 0xdf ? 1 : lead >= 0xe0 && lead <= 0xef ? 2 : lead >= 0xf0 && lead <= 0xf4 ? 3 : -1;
      if (need < 0) {
        out += '\uFFFD';
        i += 1;
        continue;
      }
      // The second byte's range depends on the lead (no overlong forms, no surrogates, nothing past U+10FFFF).
      const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
      const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
      let code = lead & (need === 1 ? 0x1f : need === 2 ? 0x0f : 0x07);
      let taken = 1;
      let broken = false;
      while (taken <= need) {
        if (i + taken >= input.length) break;
        const next = input[i + taken] as number;
        const min = taken === 1 ? low : 0x80;
        const max = taken === 1 ? high : 0xbf;
        if (next < min || next > max) {
          broken = true;
          break;
        }
        code = (code << 6) | (next & 0x3f);
        taken += 1;
      }
      if (broken) {
        out += '\uFFFD';
        i += taken;
        continue;
      }
      if (taken <= need) {
        // The chunk ended inside this character: keep its bytes for the next one.
        this.pending = Array.from(input.slice(i));
        break;
      }
      out += String.fromCodePoint(code);
      i += taken;
    }
    return out;
  }

  /** The end of the stream: an unfinished character is malformed. */
  flush(): string {
    const unfinished = this.pending.length > 0;
    this.pending = [];
    return unfinished ? '\uFFFD' : '';
  }
}
