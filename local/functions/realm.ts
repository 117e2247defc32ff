import { fork, type ChildProcess } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import type { InstanceMessage } from './instance';

export interface RealmOptions {
  /** The built instance entry (.build/instance.cjs). */
  instanceScript: string;
  /** The functions' environment: their configuration plus what SCF sets for every instance. */
  env: Record<string, string>;
  /** Run the instance as a child process of this Node binary; default: a worker thread of this process. */
  nodeBinary?: string;
}

export interface RunMessage {
  id: string;
  event: unknown;
  context: Record<string, unknown>;
  env: Record<string, string>;
}

export interface RunResult {
  value: unknown;
  cpuMs: number | null;
}

export interface InstanceEvents {
  /** The instance is gone (killed, crashed, or it failed to load). */
  died(instance: FunctionInstance): void;
  /** A handler of an earlier, timed-out invocation settled during a later one. */
  lateSettled(instance: FunctionInstance, invocationId: string): void;
}

type Pending = { id: string; resolve: (result: RunResult) => void; reject: (error: Error) => void };

/** How long an instance that ran into its time limit gets to freeze (see freezeFor). */
const FREEZE_GRACE_MS = 5_000;

/**
 * The host's side of one function instance (./instance.ts runs inside it): it starts the realm,
 * hands it one invocation at a time, and keeps it frozen in between: a worker thread waits on a
 * shared flag, a child process is stopped (SIGSTOP) and continued (SIGCONT).
 */
export class FunctionInstance {
  /** The Node version the instance runs on (`process.version` inside it). */
  node = '';
  /** How long the bundle took to load (its `require`), in ms. */
  loadMs = 0;
  private dead = false;
  private pending: Pending | null = null;
  private freezing: { id: string; done: () => void } | null = null;
  private readonly send: (message: unknown) => void;
  private readonly freezeRealm: () => void;
  private readonly thawRealm: () => void;
  private readonly kill: () => void;

  private constructor(
    readonly functionName: string,
    realm: Worker | ChildProcess,
    freezeFlag: Int32Array | null,
    private readonly events: InstanceEvents,
    private readonly ready: { resolve: () => void; reject: (error: Error) => void },
  ) {
    const onExit = () => this.died(new Error(`instance of ${functionName} exited`));
    if (realm instanceof Worker) {
      const flag = freezeFlag as Int32Array;
      realm.on('message', (message: InstanceMessage) => this.receive(message));
      realm.on('error', (error) => this.died(error));
      realm.on('exit', onExit);
      this.send = (message) => realm.postMessage(message);
      // The worker raises the flag itself before it waits (instance.ts): nothing to do here.
      this.freezeRealm = () => undefined;
      this.thawRealm = () => {
        Atomics.store(flag, 0, 0);
        Atomics.notify(flag, 0);
      };
      this.kill = () => void realm.terminate();
    } else {
      realm.on('message', (message) => this.receive(message as InstanceMessage));
      realm.on('exit', onExit);
      realm.on('error', (error) => this.died(error));
      this.send = (message) => {
        if (realm.connected) realm.send(message as object);
      };
      this.freezeRealm = () => void realm.kill('SIGSTOP');
      this.thawRealm = () => void realm.kill('SIGCONT');
      this.kill = () => void realm.kill('SIGKILL');
    }
  }

  static start(functionName: string, bundle: string, options: RealmOptions, events: InstanceEvents): Promise<FunctionInstance> {
    return new Promise((resolve, reject) => {
      let realm: Worker | ChildProcess;
      let freezeFlag: Int32Array | null = null;
      let flagBuffer: SharedArrayBuffer | undefined;
      if (options.nodeBinary) {
        realm = fork(options.instanceScript, [], { execPath: options.nodeBinary, env: options.env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      } else {
        flagBuffer = new SharedArrayBuffer(4);
        freezeFlag = new Int32Array(flagBuffer);
        realm = new Worker(options.instanceScript, { env: options.env });
      }
      const instance: FunctionInstance = new FunctionInstance(functionName, realm, freezeFlag, events, { resolve: () => resolve(instance), reject });
      instance.send({ type: 'load', bundle, ...(flagBuffer ? { freezeFlag: flagBuffer } : {}) });
    });
  }

  get alive(): boolean {
    return !this.dead;
  }

  /** Thaws the instance and runs one invocation on it; it is frozen again when this settles. */
  run(message: RunMessage): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      if (this.dead) return reject(new Error(`instance of ${this.functionName} is gone`));
      this.pending = { id: message.id, resolve, reject };
      this.send({ type: 'invoke', ...message });
      this.thawRealm();
    });
  }

  /**
   * The invocation ran into its time limit: the instance is frozen with its handler still pending
   * (to resume, perhaps, during a later invocation). Resolves once it is frozen, or gone.
   */
  freezeFor(invocationId: string): Promise<void> {
    return new Promise((done) => {
      if (this.dead || this.pending?.id !== invocationId) return done();
      this.pending = null;
      // A worker thread freezes when its event loop reads the message; one that never gets there
      // (a loop that never yields) is ended instead, as it could never serve another call.
      const stuck = setTimeout(() => this.terminate(new Error(`instance of ${this.functionName} did not freeze`)), FREEZE_GRACE_MS);
      stuck.unref();
      this.freezing = {
        id: invocationId,
        done: () => {
          clearTimeout(stuck);
          done();
        },
      };
      this.send({ type: 'freeze', id: invocationId });
    });
  }

  terminate(reason: Error): void {
    this.died(reason);
    this.kill();
  }

  private receive(message: InstanceMessage): void {
    switch (message.type) {
      case 'ready':
        this.node = message.node;
        this.loadMs = message.loadMs;
        this.freezeRealm();
        return this.ready.resolve();
      case 'loadFailed':
        this.ready.reject(new Error(`cloud function ${this.functionName} failed to load: ${message.message}`));
        return this.terminate(new Error(message.message));
      case 'lateSettled':
        return this.events.lateSettled(this, message.id);
      case 'frozen':
      case 'result': {
        this.freezeRealm();
        if (this.freezing?.id === message.id) {
          // Frozen for a time limit (or it answered just before it could be frozen: frozen all the same).
          const { done } = this.freezing;
          this.freezing = null;
          return done();
        }
        const pending = this.pending;
        if (message.type === 'frozen' || pending?.id !== message.id) return;
        this.pending = null;
        if (message.ok) pending.resolve({ value: message.value, cpuMs: message.cpuMs });
        else pending.reject(Object.assign(new Error(message.message), { cpuMs: message.cpuMs }));
        return;
      }
    }
  }

  private died(error: Error): void {
    if (this.dead) return;
    this.dead = true;
    this.ready.reject(error);
    this.pending?.reject(error);
    this.pending = null;
    this.freezing?.done();
    this.freezing = null;
    this.events.died(this);
  }
}
