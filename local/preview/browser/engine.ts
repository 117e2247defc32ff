/**
 * The parts of miniprogram-simulate's browser build (`window.simulate`, loaded from
 * /preview/simulate.js before the shell) that the preview uses, typed.
 */

/** A component instance as its own methods see it (`this` in a page's methods). */
export interface ComponentInstance {
  data: Record<string, unknown>;
  setData(data: Record<string, unknown>, callback?: () => void): void;
  triggerEvent(name: string, detail?: unknown, options?: { bubbles?: boolean; composed?: boolean }): void;
  /** j-component keeps the exparser node here; its `$$` is the element in the document. */
  _exparserNode: { $$: HTMLElement; addListener(name: string, handler: (event: { detail: unknown }) => void): void };
  [method: string]: unknown;
}

/** What `simulate.render` answers. */
export interface RenderedComponent {
  readonly dom: HTMLElement;
  /** The exparser node behind the component (j-component's RootComponent keeps it here). */
  readonly _exparserNode: object;
  readonly instance: ComponentInstance;
  attach(parent: Element): void;
  detach(): void;
  triggerPageLifeTime(name: string, ...args: unknown[]): void;
}

export type Lifetime = (this: ComponentInstance, ...args: unknown[]) => void;

/** The definition object passed to `Component()` (only what the preview reads or adds). */
export interface ComponentOptions {
  lifetimes?: Record<string, Lifetime | undefined>;
  attached?: Lifetime;
  ready?: Lifetime;
  detached?: Lifetime;
  [key: string]: unknown;
}

/** A built-in component registered straight into j-component. */
export interface BuiltInDefinition {
  id: string;
  tagName: string;
  template: string;
  properties?: Record<string, { type: unknown; value?: unknown }>;
  observers?: Record<string, (this: ComponentInstance, ...values: unknown[]) => void>;
  lifetimes?: Record<string, (this: ComponentInstance) => void>;
  methods?: Record<string, (this: ComponentInstance, ...args: never[]) => unknown>;
}

export interface Simulate {
  load(path: string, tagName: string, options: { compiler: 'simulate'; rootPath: string }): string;
  load(definition: BuiltInDefinition): string;
  render(id: string, properties?: Record<string, unknown>): RenderedComponent;
}

declare global {
  interface Window {
    simulate: Simulate;
    /** miniprogram-simulate reads page files from here in a browser (`src/utils.js`, setBrowserEnv). */
    __FILE_MAP__: Record<string, string>;
    /** The preview's hook for the `.js` stubs in the file map: runs a module of the mini program. */
    __mpPreview: { run(path: string): unknown };
    Component: (options: ComponentOptions) => void;
    Behavior: (definition: Record<string, unknown>) => unknown;
    App: (options: Record<string, unknown>) => void;
    getApp: () => Record<string, unknown>;
    getCurrentPages: () => ComponentInstance[];
    wx: Record<string, unknown>;
  }
}

export function engine(): Simulate {
  if (!window.simulate) throw new Error('miniprogram-simulate did not load (GET /preview/simulate.js)');
  return window.simulate;
}
