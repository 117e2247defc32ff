import type { ChunkedCallbacks, OpenChunked } from '../../miniprogram/services/stream';

export const encode = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'));
export const buffer = (bytes: Uint8Array): ArrayBuffer => bytes.slice().buffer;

/** A streamOrder that the test scripts connection by connection, sending its bytes cut anywhere. */
export class FakeStreamServer {
  connections: Array<{ url: string; header: Record<string, string>; callbacks: ChunkedCallbacks; aborted: boolean }> = [];

  readonly open: OpenChunked = (url, header, callbacks) => {
    const connection = { url, header, callbacks, aborted: false };
    this.connections.push(connection);
    return { abort: () => void (connection.aborted = true) };
  };

  get last() {
    const connection = this.connections[this.connections.length - 1];
    if (!connection) throw new Error('no connection was opened');
    return connection;
  }

  /** Sends SSE text on the newest connection as several chunks cut at odd byte positions. */
  send(wire: string): void {
    const bytes = encode(wire);
    for (let at = 0; at < bytes.length; at += 5) this.last.callbacks.onChunk(buffer(bytes.slice(at, at + 5)));
  }

  event(rev: number, data: Partial<{ status: string; from: number; text: string; anchor: string; outputComplete: boolean }>): void {
    this.send(`id: ${rev}\ndata: ${JSON.stringify({ rev, status: 'generating', from: 0, text: '', anchor: '', outputComplete: false, error: null, ...data })}\n\n`);
  }

  end(reason: string, statusCode = 200): void {
    this.send(`event: end\ndata: ${JSON.stringify({ reason })}\n\n`);
    this.last.callbacks.onDone(statusCode);
  }
}

