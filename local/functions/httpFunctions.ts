import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { callers } from './callers';
import type { FunctionConfig, FunctionHost } from './host';

/**
 * The local runtime's HTTP functions (`streamOrder`): each runs, unchanged, on the same framework as
 * in the cloud, @cloudbase/functions-framework's `tcb-ff` (what the function's scf_bootstrap
 * starts), in a child process on a loopback port the runtime picks, started on first use. The
 * runtime is the HTTP access gateway in front of it: each request it forwards is one invocation of
 * the function host (`beginExternal`), so it is counted in `/api/stats` and `/api/usage`, is
 * stopped at the function's config.json time limit, and gets its own temporary credentials.
 *
 * The credentials reach the function the way the framework hands a platform's context to a
 * function: a request header named by `--extendedContextKey`, base64 of gzipped JSON, parsed into
 * `context.extendedContext` (build/invoker.js, `extractExtendedContextFromHeader`), whose
 * `tmpSecret` @cloudbase/node-sdk signs with (`init({ context })`, dist/cloudbase.js; shape:
 * @cloudbase/functions-typings `TcbExtendedContext`). The framework's process itself holds no
 * credentials, so nothing it does outside an invocation reaches the emulated CloudBase.
 * (tcb-ff listens on every interface, as in the cloud; it accepts only what carries credentials
 * issued to a running invocation.)
 */

/** The header the runtime passes each invocation's context in (the runtime's choice; the framework reads whichever it is told). */
export const EXTENDED_CONTEXT_HEADER = 'X-Local-Cloudbase-Context';

const READY_WITHIN_MS = 20_000;

export interface HttpFunctionsOptions {
  functionsDir: string;
  /** The repository root: tcb-ff is node_modules/@cloudbase/functions-framework/bin/tcb-ff.js under it. */
  root: string;
  dataDir: string;
  /** The functions' environment (configuration plus what SCF sets), without per-invocation variables. */
  env: Record<string, string>;
  envId: string;
  /** The Node binary the functions run on (FUNCTIONS_NODE), default this process's. */
  nodeBinary?: string;
  host: () => FunctionHost;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function waitUntilReady(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + READY_WITHIN_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`functions framework exited (${child.exitCode}):\n${output()}`);
    // The framework answers HEAD /_healthz itself (build/middlewares/healthz.js).
    const up = await new Promise<boolean>((resolve) => {
      const probe = httpRequest({ host: '127.0.0.1', port, path: '/_healthz', method: 'HEAD' }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      probe.on('error', () => resolve(false));
      probe.end();
    });
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`functions framework did not start within ${READY_WITHIN_MS} ms:\n${output()}`);
}

class FrameworkServer {
  private output = '';
  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
  ) {}

  static async start(name: string, options: HttpFunctionsOptions): Promise<FrameworkServer> {
    const port = await freePort();
    const logDir = join(options.dataDir, 'functions-framework', name);
    mkdirSync(logDir, { recursive: true });
    const tcbFf = join(options.root, 'node_modules', '@cloudbase', 'functions-framework', 'bin', 'tcb-ff.js');
    const child = spawn(
      options.nodeBinary ?? process.execPath,
      [tcbFf, `--port=${port}`, `--source=${join(options.functionsDir, name)}`, `--extendedContextKey=${EXTENDED_CONTEXT_HEADER}`, `--logDirname=${logDir}`],
      { cwd: join(options.functionsDir, name), env: options.env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const server = new FrameworkServer(port, child);
    const keep = (chunk: Buffer) => {
      server.output = (server.output + chunk.toString()).slice(-8_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', (chunk: Buffer) => {
      keep(chunk);
      // The function's own error lines (core/log.ts) belong in the runtime's output, as the realms' do.
      process.stderr.write(chunk);
    });
    try {
      await waitUntilReady(port, child, () => server.output);
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    return server;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  stop(): void {
    this.child.kill('SIGKILL');
  }
}

/** `context.extendedContext` for one invocation (@cloudbase/functions-typings `TcbExtendedContext`). */
function extendedContext(envId: string, credentials: { secretId: string; secretKey: string; sessionToken: string }): string {
  const context = { envId, source: 'wx_http', tmpSecret: { secretId: credentials.secretId, secretKey: credentials.secretKey, token: credentials.sessionToken } };
  return gzipSync(Buffer.from(JSON.stringify(context))).toString('base64');
}

/** The request headers a client may send on to the function (the rest is the gateway's business). */
const FORWARDED = ['accept', 'last-event-id', 'cache-control', 'user-agent'];

export class HttpFunctions {
  private readonly servers = new Map<string, Promise<FrameworkServer>>();
  private closed = false;

  constructor(private readonly options: HttpFunctionsOptions) {}

  has(name: string): boolean {
    return existsSync(join(this.options.functionsDir, name, 'scf_bootstrap')) && existsSync(join(this.options.functionsDir, name, 'index.js'));
  }

  private server(name: string): Promise<FrameworkServer> {
    const existing = this.servers.get(name);
    if (existing) {
      return existing.then((server) => {
        if (server.alive) return server;
        this.servers.delete(name);
        return this.server(name);
      });
    }
    const started = FrameworkServer.start(name, this.options);
    started.catch(() => this.servers.delete(name));
    this.servers.set(name, started);
    return started;
  }

  private config(name: string): FunctionConfig {
    const file = join(this.options.functionsDir, name, 'config.json');
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as FunctionConfig) : {};
  }

  /** Forwards one HTTP request to the function as one invocation, streaming its answer back as it comes. */
  async forward(name: string, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (this.closed || !this.has(name)) throw new Error(`no HTTP function ${name}`);
    const server = await this.server(name);
    const orderId = url.searchParams.get('orderId');
    let upstream: ReturnType<typeof httpRequest> | null = null;
    const run = this.options.host().beginExternal(name, callers.http(), orderId ? { orderId } : {}, {
      timeoutMs: (this.config(name).timeout ?? 3) * 1000,
      // Past its time limit the platform stops the invocation and the connection with it.
      onTimeout: () => {
        upstream?.destroy();
        res.destroy();
      },
    });
    const headers: Record<string, string> = { [EXTENDED_CONTEXT_HEADER.toLowerCase()]: extendedContext(this.options.envId, run.invocation.credentials) };
    for (const key of FORWARDED) {
      const value = req.headers[key];
      if (typeof value === 'string') headers[key] = value;
    }
    await new Promise<void>((resolve) => {
      let ok = false;
      const finish = () => {
        run.end(ok);
        resolve();
      };
      upstream = httpRequest({ host: '127.0.0.1', port: server.port, method: req.method, path: `${url.pathname}${url.search}`, headers }, (answer) => {
        ok = (answer.statusCode ?? 500) < 500;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('end', finish);
        answer.on('error', finish);
      });
      upstream.on('error', () => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errMsg: `${name} did not answer` }));
        finish();
      });
      // The client went away: the connection (and so the invocation) ends; the function sees `closed`.
      res.on('close', () => {
        upstream?.destroy();
        finish();
      });
      req.pipe(upstream);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const servers = await Promise.allSettled([...this.servers.values()]);
    for (const server of servers) if (server.status === 'fulfilled') server.value.stop();
    this.servers.clear();
  }
}
