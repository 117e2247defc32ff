/**
 * Runs tasks with the same key one after another (the emulator is one process): a balance check
 * and the spend it allows, or a token check and the token it issues, are never interleaved with
 * another change of the same user's account or of the token. Each change is still one durable
 * write, so a kill between two tasks leaves nothing half done.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
