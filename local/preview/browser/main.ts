import { registerBuiltIns, writeIdsToDom } from './builtins';
import { DEFAULT_DEVICE, DEVICES, deviceById, type PreviewDevice } from './devices';
import type { ComponentOptions } from './engine';
import { ModuleLoader } from './modules';
import { PageHost, type AppJson } from './pages';
import { PREVIEW_CSS } from './styles';
import { bridgeMouseToTouch } from './touch';
import { Overlays } from './ui';
import { createWx } from './wx';

interface Manifest {
  app: AppJson;
  modules: Record<string, string>;
  files: Record<string, string>;
  errors: string[];
}

interface SentMessage {
  touser?: string;
  templateId?: string;
  page?: string;
  data?: Record<string, { value?: string }>;
  sentAt?: number;
}

const USER_KEY = 'mp-preview-openid';
const DEVICE_KEY = 'mp-preview-device';
const MESSAGES_EVERY_MS = 2000;

function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} is missing from the preview page`);
  return node as T;
}

function reportError(message: string): void {
  byId('errors-section').hidden = false;
  const item = document.createElement('li');
  item.textContent = message;
  byId('errors').append(item);
  console.error(message);
}

/** ?openid= in the address wins (tests, shared links), then the last user chosen here. */
function initialOpenid(): string {
  const fromUrl = new URLSearchParams(location.search).get('openid');
  if (fromUrl) localStorage.setItem(USER_KEY, fromUrl);
  return localStorage.getItem(USER_KEY) ?? 'preview-user';
}

/** ?device= in the address wins (tests, shared links), then the last phone chosen here. */
function initialDevice(): PreviewDevice {
  const fromUrl = deviceById(new URLSearchParams(location.search).get('device'));
  if (fromUrl) localStorage.setItem(DEVICE_KEY, fromUrl.id);
  return deviceById(localStorage.getItem(DEVICE_KEY)) ?? DEFAULT_DEVICE;
}

function renderMessages(all: SentMessage[], openid: string): void {
  const box = byId('messages');
  box.replaceChildren();
  // A subscribe message goes to one user: show what the simulated user's phone would receive.
  const messages = all.filter((message) => message.touser === openid);
  if (messages.length === 0) {
    box.innerHTML = '<p>None yet.</p>';
    return;
  }
  for (const message of messages) {
    const item = document.createElement('div');
    item.className = 'preview-message';
    const head = document.createElement('div');
    head.textContent = `${new Date(message.sentAt ?? 0).toLocaleTimeString()} → ${message.page ?? ''}`;
    const list = document.createElement('dl');
    for (const [keyword, entry] of Object.entries(message.data ?? {})) {
      const term = document.createElement('dt');
      term.textContent = keyword;
      const value = document.createElement('dd');
      value.textContent = entry?.value ?? '';
      list.append(term, value);
    }
    item.append(head, list);
    box.append(item);
  }
}

/** The last answer of GET /api/messages, drawn again at once when the simulated user changes. */
let lastMessages: SentMessage[] = [];

async function pollMessages(openid: () => string): Promise<void> {
  try {
    const response = await fetch('/api/messages');
    if (response.ok) {
      lastMessages = ((await response.json()) as { messages: SentMessage[] }).messages;
      renderMessages(lastMessages, openid());
    }
  } catch {
    // The runtime restarted or stopped: try again on the next tick.
  }
  window.setTimeout(() => void pollMessages(openid), MESSAGES_EVERY_MS);
}

async function boot(): Promise<void> {
  window.addEventListener('error', (event) => reportError(event.error instanceof Error ? (event.error.stack ?? event.error.message) : event.message));
  window.addEventListener('unhandledrejection', (event) => {
    const reason: unknown = event.reason;
    reportError(`Unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : JSON.stringify(reason)}`);
  });
  const style = document.createElement('style');
  style.textContent = PREVIEW_CSS;
  document.head.prepend(style);

  let openid = initialOpenid();
  const userInput = byId<HTMLInputElement>('openid');
  userInput.value = openid;
  let device = initialDevice();
  const deviceSelect = byId<HTMLSelectElement>('device');
  for (const choice of DEVICES) deviceSelect.append(new Option(choice.label, choice.id, false, choice.id === device.id));
  document.body.dataset.platform = device.platform;

  const manifest = (await (await fetch('/preview/app.json')).json()) as Manifest;
  for (const error of manifest.errors) reportError(error);

  // The engine reads the page files from its file map; a page's `.js` is a stub that runs the
  // compiled module through the loader, so that modules are shared the way WeChat shares them.
  const fileMap: Record<string, string> = { ...manifest.files };
  for (const path of Object.keys(manifest.modules)) fileMap[`${path}.js`] = `window.__mpPreview.run(${JSON.stringify(path)})`;
  window.__FILE_MAP__ = fileMap;
  const loader = new ModuleLoader(manifest.modules);
  window.__mpPreview = { run: (path) => loader.run(path) };

  registerBuiltIns();
  writeIdsToDom();
  const phone = byId('phone');
  bridgeMouseToTouch(phone);
  const overlays = new Overlays(byId('overlays'));
  const pages = new PageHost(manifest.app, manifest.files, loader, {
    pages: byId('pages'),
    title: byId('title'),
    back: byId('back'),
    navigationBar: byId('navbar'),
    tabBar: byId('tabbar'),
    onChange(route, query) {
      const search = Object.entries(query).map(([key, value]) => `${key}=${value}`).join('&');
      const url = `/${route}${search ? `?${search}` : ''}`;
      byId('route').textContent = url;
      history.replaceState(null, '', `${location.pathname}${location.search}#${url}`);
    },
  });

  const engineComponent = window.Component;
  window.Component = (options: ComponentOptions) => engineComponent(pages.decorate(options));
  const title = manifest.app.window?.navigationBarTitleText ?? 'Mini program';
  Object.assign(window.wx, createWx({ overlays, pages, openid: () => openid, appName: title, device: () => device }));
  window.getCurrentPages = () => pages.instances();
  let app: Record<string, unknown> = {};
  window.App = (options) => {
    app = options;
  };
  window.getApp = () => app;
  if (loader.has('app')) loader.require('app');
  // Local mode: the client module calls the runtime that serves this page (same origin).
  app.globalData = { ...((app.globalData as Record<string, unknown> | undefined) ?? {}), localRuntimeUrl: '' };

  const first = manifest.app.entryPagePath ?? manifest.app.pages?.[0];
  const fromHash = location.hash.startsWith('#/') ? location.hash.slice(1) : null;
  const start = fromHash && manifest.app.pages?.includes(fromHash.slice(1).split('?')[0] ?? '') ? fromHash : `/${first ?? ''}`;
  const launch = { path: start.slice(1).split('?')[0], query: {}, scene: 1001 };
  for (const hook of ['onLaunch', 'onShow'] as const) {
    const run = app[hook];
    if (typeof run === 'function') run.call(app, launch);
  }
  byId<HTMLFormElement>('user-form').addEventListener('submit', (event) => {
    event.preventDefault();
    openid = userInput.value.trim() || 'preview-user';
    localStorage.setItem(USER_KEY, openid);
    renderMessages(lastMessages, openid);
    void pages.relaunch(`/${first ?? ''}`).catch((error: unknown) => reportError(String(error)));
  });
  // Another phone: the mini program starts again on it, as when the user opens it there.
  deviceSelect.addEventListener('change', () => {
    device = deviceById(deviceSelect.value) ?? DEFAULT_DEVICE;
    localStorage.setItem(DEVICE_KEY, device.id);
    document.body.dataset.platform = device.platform;
    void pages.relaunch(`/${first ?? ''}`).catch((error: unknown) => reportError(String(error)));
  });
  try {
    await pages.relaunch(start);
  } catch (error) {
    reportError(error instanceof Error ? (error.stack ?? error.message) : String(error));
  }
  document.body.dataset.previewReady = 'true';
  void pollMessages(() => openid);
}

void boot().catch((error: unknown) => reportError(error instanceof Error ? (error.stack ?? error.message) : String(error)));
