import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createModelHandler } from '../local/model/modelServer';
import type { Faults } from '../local/pay/faults';

/** One request to the model server, timed on `performance.now()`. */
export interface ModelRequestTrace {
  arrivedAt: number;
  /** When each chunk carrying answer text was written, in order. */
  contentWrites: number[];
  /** The answer's length (UTF-16 units) once each of those chunks was written. */
  contentChars: number[];
  /** The answer text written so far. */
  text: string;
}

/** The answer text a streamed chunk carries (`data: {"choices":[{"delta":{"content":"…"}}]}`), or ''. */
function textOf(payload: unknown): string {
  if (typeof payload !== 'string' || !payload.startsWith('data: {')) return '';
  try {
    const chunk = JSON.parse(payload.slice('data: '.length)) as { choices?: { delta?: { content?: unknown } }[] };
    const content = chunk.choices?.[0]?.delta?.content;
    return typeof content === 'string' ? content : '';
  } catch {
    return '';
  }
}

/** When the model had written `chars` characters of the answer in this request, if it did. */
export function writtenBy(trace: ModelRequestTrace, chars: number): number | undefined {
  const index = trace.contentChars.findIndex((total) => total >= chars);
  return index === -1 ? undefined : trace.contentWrites[index];
}

/**
 * The local model server (local/model/modelServer.ts) on loopback in this process, with each
 * request's arrival and text writes timed, so that a benchmark can take the model's own time out of
 * what it measures. `faults` is read at every request and may be changed between them.
 */
export async function startTracedModelServer(faults: Faults): Promise<{ baseURL: string; traces: ModelRequestTrace[]; server: Server }> {
  const handler = createModelHandler(() => faults, { requests: 0, byModel: {} });
  const traces: ModelRequestTrace[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const trace: ModelRequestTrace = { arrivedAt: performance.now(), contentWrites: [], contentChars: [], text: '' };
    traces.push(trace);
    const write = res.write.bind(res) as (chunk: unknown, ...rest: unknown[]) => boolean;
    // Timestamp first, write, then look at what was written: the probe never delays the write.
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      const at = performance.now();
      const written = write(chunk, ...rest);
      const text = textOf(chunk);
      if (text.length > 0) {
        trace.contentWrites.push(at);
        trace.text += text;
        trace.contentChars.push(trace.text.length);
      }
      return written;
    }) as typeof res.write;
    if (req.method === 'POST' && req.url === '/v1/chat/completions') void handler(req, res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { baseURL: `http://127.0.0.1:${port}/v1`, traces, server };
}
