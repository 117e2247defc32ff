import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createModelHandler, type ModelServerStats } from '../../local/model/modelServer';
import { defaultFaults, mergeFaults, type Faults } from '../../local/pay/faults';

/**
 * The local model server (local/model/modelServer.ts, the same handler the runtime serves) on a
 * loopback port of the test process itself, reached through the real `openai` client.
 */
export class InProcessModelServer {
  readonly stats: ModelServerStats = { requests: 0, byModel: {} };
  private faults: Faults = defaultFaults();
  private readonly handler = createModelHandler(() => this.faults, this.stats);
  // As the runtime does: a handler that fails after answering ends the response instead of
  // leaving an unhandled rejection.
  private readonly server = createServer((req, res) => {
    this.handler(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.end();
    });
  });
  url = '';

  static async start(faults?: unknown): Promise<InProcessModelServer> {
    const model = new InProcessModelServer();
    if (faults !== undefined) model.setFaults(faults);
    await new Promise<void>((resolve) => model.server.listen(0, '127.0.0.1', resolve));
    model.url = `http://127.0.0.1:${(model.server.address() as AddressInfo).port}`;
    return model;
  }

  /** As `POST /api/faults` does for the runtime: a partial update, or `{ reset: true, ... }`. */
  setFaults(patch: unknown): void {
    this.faults = mergeFaults(this.faults, patch);
  }

  /** How many chat completions each model name received so far. */
  calls(): Record<string, number> {
    return { ...this.stats.byModel };
  }

  async close(): Promise<void> {
    // A model made to hang keeps its response open: end those too.
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
