import { FRAME } from '../frame';
import { engine, type ComponentInstance, type ComponentOptions, type Lifetime, type RenderedComponent } from './engine';
import type { ModuleLoader } from './modules';

const MAX_PAGES = 10;

export interface AppJson {
  pages?: string[];
  entryPagePath?: string;
  window?: Record<string, string>;
  tabBar?: { list?: { pagePath: string; text: string }[]; color?: string; selectedColor?: string; backgroundColor?: string };
}

interface PageEntry {
  route: string;
  query: Record<string, string>;
  rendered: RenderedComponent;
  container: HTMLElement;
  reachedBottom: boolean;
}

export interface PageChrome {
  pages: HTMLElement;
  title: HTMLElement;
  back: HTMLElement;
  navigationBar: HTMLElement;
  tabBar: HTMLElement;
  onChange(route: string, query: Record<string, string>): void;
}

/** A navigation failure, with WeChat's errMsg text. */
export class NavigationError extends Error {}

function parseUrl(url: string, from: string | undefined): { route: string; query: Record<string, string> } {
  const [path = '', search = ''] = url.split('?');
  const base = path.startsWith('/') || !from ? [] : from.split('/').slice(0, -1);
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') base.pop();
    else base.push(part);
  }
  const query: Record<string, string> = {};
  // WeChat hands the query to onLoad as written in the url, without decoding it.
  for (const pair of search.split('&')) {
    if (!pair) continue;
    const at = pair.indexOf('=');
    query[at < 0 ? pair : pair.slice(0, at)] = at < 0 ? '' : pair.slice(at + 1);
  }
  return { route: base.join('/'), query };
}

/**
 * The page stack: renders each page with miniprogram-simulate in its own container of the phone
 * frame and runs page lifecycles as WeChat does for pages built with `Component()` (attached,
 * methods.onLoad(query), methods.onShow, ready/onReady; onHide/onShow and pageLifetimes on
 * navigation; onUnload then detached when a page leaves the stack).
 */
export class PageHost {
  private readonly stack: PageEntry[] = [];
  private readonly loaded = new Map<string, string>();
  private pending: { route: string; query: Record<string, string> } | null = null;

  constructor(
    private readonly app: AppJson,
    private readonly files: Record<string, string>,
    private readonly loader: ModuleLoader,
    private readonly chrome: PageChrome,
  ) {
    chrome.back.addEventListener('click', () => void this.back(1).catch(() => undefined));
    this.drawTabBar();
  }

  get routes(): string[] {
    return this.app.pages ?? [];
  }

  get current(): PageEntry | undefined {
    return this.stack[this.stack.length - 1];
  }

  /** A page being opened: WeChat's getCurrentPages() already lists it from its onLoad on. */
  private opening: RenderedComponent | null = null;

  /**
   * Titles set with wx.setNavigationBarTitle, per page: "动态设置当前页面的标题" sets the page's own
   * title, which it keeps when a page above it closes (WeChat docs: wx.setNavigationBarTitle).
   */
  private readonly titles = new WeakMap<RenderedComponent, string>();

  instances(): ComponentInstance[] {
    const pages = this.stack.map((entry) => entry.rendered.instance);
    return this.opening ? [...pages, this.opening.instance] : pages;
  }

  private isTab(route: string): boolean {
    return (this.app.tabBar?.list ?? []).some((item) => item.pagePath === route);
  }

  /** The engine's `Component()` goes through here: a page's definition gets the page lifecycles. */
  decorate(options: ComponentOptions): ComponentOptions {
    if (!this.loader.running || !this.routes.includes(this.loader.running)) return options;
    const lifetimes = { ...(options.lifetimes ?? {}) };
    const attached: Lifetime | undefined = lifetimes.attached ?? options.attached;
    const ready: Lifetime | undefined = lifetimes.ready ?? options.ready;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the lifetimes below run with the component as `this`.
    const host = this;
    lifetimes.attached = function (this: ComponentInstance, ...args: unknown[]) {
      attached?.apply(this, args);
      host.pageAttached(this);
    };
    lifetimes.ready = function (this: ComponentInstance, ...args: unknown[]) {
      ready?.apply(this, args);
      const onReady = this.onReady;
      if (typeof onReady === 'function') onReady.call(this);
    };
    return { ...options, lifetimes };
  }

  private pageAttached(instance: ComponentInstance): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = null;
    instance.route = pending.route;
    instance.options = pending.query;
    const onLoad = instance.onLoad;
    if (typeof onLoad === 'function') onLoad.call(instance, { ...pending.query });
    const onShow = instance.onShow;
    if (typeof onShow === 'function') onShow.call(instance);
  }

  private componentId(route: string): string {
    let id = this.loaded.get(route);
    if (!id) {
      if (!this.files[`${route}.json`] || !this.files[`${route}.wxml`]) throw new NavigationError(`page "${route}" has no .json or .wxml`);
      id = engine().load(route, `mp-${route.replace(/[^A-Za-z0-9]+/g, '-')}`, { compiler: 'simulate', rootPath: '' });
      this.loaded.set(route, id);
    }
    return id;
  }

  private create(route: string, query: Record<string, string>): PageEntry {
    if (!this.routes.includes(route)) throw new NavigationError(`page "${route}" is not found`);
    const container = document.createElement('div');
    container.className = 'mp-page';
    container.dataset.mpPage = route;
    // 1vh and 1vw of the page's window (the WXSS has them as these variables).
    const windowHeight = FRAME.height - FRAME.statusBarHeight - FRAME.navigationBarHeight - (this.isTab(route) ? FRAME.tabBarHeight : 0);
    container.style.setProperty('--mp-vh', `${windowHeight / 100}px`);
    container.style.setProperty('--mp-vw', `${FRAME.width / 100}px`);
    this.chrome.pages.append(container);
    const id = this.componentId(route);
    // Query values also reach properties of the same name, as WeChat does for Component() pages.
    const rendered = engine().render(id, query);
    const entry: PageEntry = { route, query, rendered, container, reachedBottom: false };
    this.pending = { route, query };
    this.opening = rendered;
    try {
      rendered.attach(container);
      rendered.triggerPageLifeTime('show');
    } finally {
      this.pending = null;
      this.opening = null;
    }
    container.addEventListener('scroll', () => this.scrolled(entry));
    return entry;
  }

  private scrolled(entry: PageEntry): void {
    const instance = entry.rendered.instance;
    const { scrollTop, scrollHeight, clientHeight } = entry.container;
    if (typeof instance.onPageScroll === 'function') instance.onPageScroll.call(instance, { scrollTop });
    const atBottom = scrollTop + clientHeight >= scrollHeight - 50;
    if (atBottom && !entry.reachedBottom && typeof instance.onReachBottom === 'function') instance.onReachBottom.call(instance);
    entry.reachedBottom = atBottom;
  }

  private hide(entry: PageEntry): void {
    const instance = entry.rendered.instance;
    if (typeof instance.onHide === 'function') instance.onHide.call(instance);
    entry.rendered.triggerPageLifeTime('hide');
    entry.container.hidden = true;
  }

  private show(entry: PageEntry): void {
    entry.container.hidden = false;
    const instance = entry.rendered.instance;
    if (typeof instance.onShow === 'function') instance.onShow.call(instance);
    entry.rendered.triggerPageLifeTime('show');
  }

  private unload(entry: PageEntry): void {
    const instance = entry.rendered.instance;
    if (typeof instance.onUnload === 'function') instance.onUnload.call(instance);
    entry.rendered.detach();
    entry.container.remove();
  }

  private changed(): void {
    const top = this.current;
    if (!top) return;
    const json = JSON.parse(this.files[`${top.route}.json`] ?? '{}') as Record<string, string>;
    const window = { ...(this.app.window ?? {}), ...json };
    this.chrome.title.textContent = this.titles.get(top.rendered) ?? window.navigationBarTitleText ?? '';
    this.chrome.navigationBar.style.background = window.navigationBarBackgroundColor ?? '#ffffff';
    this.chrome.navigationBar.style.color = window.navigationBarTextStyle === 'white' ? '#ffffff' : '#000000';
    this.chrome.back.hidden = this.stack.length < 2;
    this.chrome.tabBar.hidden = !this.isTab(top.route);
    for (const item of Array.from(this.chrome.tabBar.children)) (item as HTMLElement).classList.toggle('mp-tab-selected', (item as HTMLElement).dataset.route === top.route);
    this.chrome.pages.classList.toggle('mp-with-tabbar', this.isTab(top.route));
    this.chrome.onChange(top.route, top.query);
  }

  /** wx.setNavigationBarTitle: the title of the page being opened, or else of the top page. */
  setTitle(title: string): void {
    const page = this.opening ?? this.current?.rendered;
    if (page) this.titles.set(page, title);
    this.chrome.title.textContent = title;
  }

  /** wx.navigateTo */
  async push(url: string): Promise<void> {
    const { route, query } = parseUrl(url, this.current?.route);
    if (this.isTab(route)) throw new NavigationError('can not navigateTo a tabbar page');
    if (this.stack.length >= MAX_PAGES) throw new NavigationError('webview count limit exceed');
    if (!this.routes.includes(route)) throw new NavigationError(`page "${route}" is not found`);
    // WeChat hides the current page before the new one loads.
    const previous = this.current;
    if (previous) this.hide(previous);
    let entry: PageEntry;
    try {
      entry = this.create(route, query);
    } catch (error) {
      if (previous) this.show(previous);
      throw error;
    }
    this.stack.push(entry);
    this.changed();
  }

  /** wx.redirectTo */
  async replace(url: string): Promise<void> {
    const { route, query } = parseUrl(url, this.current?.route);
    if (this.isTab(route)) throw new NavigationError('can not redirectTo a tabbar page');
    if (!this.routes.includes(route)) throw new NavigationError(`page "${route}" is not found`);
    // WeChat closes the current page (onUnload) before the new one loads.
    const previous = this.stack.pop();
    if (previous) this.unload(previous);
    const entry = this.create(route, query);
    this.stack.push(entry);
    this.changed();
  }

  /** wx.reLaunch and wx.switchTab (a tab page is kept only while it is the top). */
  async relaunch(url: string): Promise<void> {
    const { route, query } = parseUrl(url, this.current?.route);
    if (!this.routes.includes(route)) throw new NavigationError(`page "${route}" is not found`);
    while (this.stack.length > 0) this.unload(this.stack.pop() as PageEntry);
    this.stack.push(this.create(route, query));
    this.changed();
  }

  /** wx.navigateBack */
  async back(delta: number): Promise<void> {
    if (this.stack.length < 2) throw new NavigationError('cannot navigate back at first page.');
    const steps = Math.min(Math.max(1, Math.floor(delta)), this.stack.length - 1);
    for (let i = 0; i < steps; i += 1) this.unload(this.stack.pop() as PageEntry);
    this.show(this.current as PageEntry);
    this.changed();
  }

  private drawTabBar(): void {
    const tabBar = this.app.tabBar;
    this.chrome.tabBar.hidden = true;
    if (!tabBar?.list?.length) return;
    this.chrome.tabBar.style.background = tabBar.backgroundColor ?? '#ffffff';
    for (const item of tabBar.list) {
      const tab = document.createElement('button');
      tab.className = 'mp-tab';
      tab.dataset.route = item.pagePath;
      tab.textContent = item.text;
      tab.style.setProperty('--tab-color', tabBar.color ?? '#7A7E83');
      tab.style.setProperty('--tab-selected', tabBar.selectedColor ?? '#07c160');
      tab.onclick = () => void this.relaunch(`/${item.pagePath}`).catch(() => undefined);
      this.chrome.tabBar.append(tab);
    }
  }
}
