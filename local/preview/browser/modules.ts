/**
 * A CommonJS loader for the mini program's modules, resolved as WeChat resolves them at run time:
 * relative to the requiring file or from the mini program's root, `.js` optional, one instance per
 * module. Page and component files are run afresh whenever the engine loads them, because
 * miniprogram-simulate learns a component's definition from its `Component()` call.
 */
export class ModuleLoader {
  private readonly cache = new Map<string, { exports: unknown }>();
  /** The module whose top level is running now (the engine's `Component()` is called from there). */
  running: string | null = null;

  constructor(private readonly sources: Record<string, string>) {}

  has(path: string): boolean {
    return path in this.sources;
  }

  resolve(from: string, request: string): string {
    const base = request.startsWith('/') ? [] : from.split('/').slice(0, -1);
    for (const part of request.replace(/\.(js|ts)$/, '').split('/')) {
      if (part === '' || part === '.') continue;
      if (part === '..') base.pop();
      else base.push(part);
    }
    const path = base.join('/');
    if (this.has(path)) return path;
    if (this.has(`${path}/index`)) return `${path}/index`;
    throw new Error(`module "${request}" is not defined (required from ${from}); npm packages need "Build npm" in WeChat and are not in the preview`);
  }

  require(path: string): unknown {
    const cached = this.cache.get(path);
    if (cached) return cached.exports;
    return this.run(path);
  }

  run(path: string): unknown {
    const source = this.sources[path];
    if (source === undefined) throw new Error(`module ${path} is not defined`);
    const module = { exports: {} as unknown };
    this.cache.set(path, module);
    const previous = this.running;
    this.running = path;
    try {
      // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the mini program's own code, compiled by the runtime from miniprogram/.
      const body = new Function('require', 'module', 'exports', `${source}\n//# sourceURL=miniprogram:///${path}.js`) as (require: (request: string) => unknown, module: { exports: unknown }, exports: unknown) => void;
      body((request: string) => this.require(this.resolve(path, request)), module, module.exports);
    } catch (error) {
      this.cache.delete(path);
      throw error;
    } finally {
      this.running = previous;
    }
    return module.exports;
  }
}
