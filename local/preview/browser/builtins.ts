import { engine, type BuiltInDefinition, type ComponentInstance } from './engine';

/**
 * miniprogram-simulate registers WeChat's built-in components as empty `<slot/>` shells (enough for
 * unit tests, which fire events by hand). A person needs real fields and buttons, so the preview
 * registers working ones under the same names (`input` → `<wx-input>`), built the way WeChat's own
 * renderer builds them: a native element inside the component, its events re-emitted as the
 * component's events with WeChat's `detail` shapes.
 */

const host = (component: ComponentInstance): HTMLElement => component._exparserNode.$$;

/** WeChat reflects some properties to attributes, which its default styles (and ours) select on. */
function reflect(component: ComponentInstance, names: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(names)) {
    if (value === false || value === undefined || value === null || value === '') host(component).removeAttribute(name);
    else host(component).setAttribute(name, value === true ? '' : String(value));
  }
}

type Field = HTMLInputElement | HTMLTextAreaElement;
const fields = new WeakMap<ComponentInstance, Field>();

/** auto-height: the textarea grows with its text (never below the height its styles give it). */
function fitHeight(component: ComponentInstance, native: Field): void {
  if (!(native instanceof HTMLTextAreaElement) || !component.data.autoHeight) return;
  native.style.height = 'auto';
  native.style.height = `${native.scrollHeight}px`;
}

function field(kind: 'input' | 'textarea'): BuiltInDefinition {
  const sync = function (this: ComponentInstance) {
    const native = fields.get(this);
    if (!native) return;
    const data = this.data as { value?: unknown; placeholder?: string; disabled?: boolean; maxlength?: number; password?: boolean; type?: string; focus?: boolean };
    const value = data.value === undefined || data.value === null ? '' : String(data.value);
    if (native.value !== value) native.value = value;
    native.placeholder = data.placeholder ?? '';
    native.disabled = Boolean(data.disabled);
    // WeChat's default maxlength is 140; -1 means no limit.
    const max = Number(data.maxlength ?? 140);
    if (max >= 0) native.maxLength = max;
    else native.removeAttribute('maxlength');
    if (native instanceof HTMLInputElement) {
      // WeChat's number/digit/idcard types choose a keyboard; the value stays a string.
      native.type = data.password || data.type === 'safe-password' ? 'password' : 'text';
      native.inputMode = data.type === 'digit' ? 'decimal' : data.type === 'number' ? 'numeric' : 'text';
    }
    reflect(this, { disabled: data.disabled, 'auto-height': (this.data as { autoHeight?: boolean }).autoHeight && kind === 'textarea' });
    fitHeight(this, native);
    if (data.focus && document.activeElement !== native) window.setTimeout(() => native.focus(), 0);
  };
  return {
    id: kind,
    tagName: `wx-${kind}`,
    template: '<slot/>',
    properties: {
      value: { type: null, value: '' },
      placeholder: { type: String, value: '' },
      disabled: { type: Boolean, value: false },
      maxlength: { type: Number, value: 140 },
      focus: { type: Boolean, value: false },
      autoFocus: { type: Boolean, value: false },
      password: { type: Boolean, value: false },
      type: { type: String, value: 'text' },
      confirmType: { type: String, value: kind === 'input' ? 'done' : 'return' },
      autoHeight: { type: Boolean, value: false },
      name: { type: String, value: '' },
    },
    observers: {
      'value, placeholder, disabled, maxlength, password, type, focus, autoHeight': function (this: ComponentInstance) {
        sync.call(this);
      },
    },
    lifetimes: {
      created(this: ComponentInstance) {
        const native = document.createElement(kind);
        native.className = `mp-native-${kind}`;
        fields.set(this, native);
        host(this).append(native);
        const detail = () => ({ value: native.value, cursor: native.selectionStart ?? native.value.length, keyCode: 0 });
        native.addEventListener('input', () => {
          fitHeight(this, native);
          this.triggerEvent('input', detail());
        });
        native.addEventListener('focus', () => this.triggerEvent('focus', { value: native.value, height: 0 }));
        native.addEventListener('blur', () => this.triggerEvent('blur', { value: native.value, cursor: native.selectionStart ?? 0 }));
        native.addEventListener('keydown', (event: Event) => {
          if (!(event instanceof KeyboardEvent)) return;
          const confirms = kind === 'input' || this.data.confirmType !== 'return';
          if (event.key === 'Enter' && confirms && !event.shiftKey) {
            if (kind === 'textarea') event.preventDefault();
            this.triggerEvent('confirm', { value: native.value });
          }
        });
        sync.call(this);
      },
      attached(this: ComponentInstance) {
        const native = fields.get(this);
        if (native) fitHeight(this, native);
        if (this.data.autoFocus || this.data.focus) window.setTimeout(() => fields.get(this)?.focus(), 0);
      },
    },
  };
}

/**
 * Agree buttons the user has tapped (`<button open-type="agreePrivacyAuthorization">`), by id: the
 * base library checks, when the app calls `resolve({ buttonId, event: 'agree' })`, that this very
 * button was tapped (wx.onNeedPrivacyAuthorization docs).
 */
export const tappedAgreeButtons = new Set<string>();

const button: BuiltInDefinition = {
  id: 'button',
  tagName: 'wx-button',
  template: '<slot/>',
  properties: {
    type: { type: String, value: 'default' },
    size: { type: String, value: 'default' },
    plain: { type: Boolean, value: false },
    disabled: { type: Boolean, value: false },
    loading: { type: Boolean, value: false },
    formType: { type: String, value: '' },
    openType: { type: String, value: '' },
  },
  observers: {
    'type, size, plain, disabled, loading': function (this: ComponentInstance, type: unknown, size: unknown, plain: unknown, disabled: unknown, loading: unknown) {
      reflect(this, { type, size, plain, disabled, loading });
    },
  },
  lifetimes: {
    created(this: ComponentInstance) {
      host(this).setAttribute('role', 'button');
      reflect(this, { type: 'default', size: 'default' });
      this._exparserNode.addListener('tap', () => {
        if (this.data.disabled || this.data.openType !== 'agreePrivacyAuthorization') return;
        tappedAgreeButtons.add(host(this).id);
        // WeChat's event for this open-type (bindagreeprivacyauthorization).
        this.triggerEvent('agreeprivacyauthorization', {});
      });
    },
  },
};

/** The elements rich-text renders and the attributes it keeps (WeChat docs: rich-text, 受信任的 HTML 节点及属性). */
const RICH_TEXT_ELEMENTS: Record<string, string[]> = {
  a: [], abbr: [], address: [], article: [], aside: [], b: [], bdi: [], bdo: ['dir'], big: [], blockquote: [], br: [], caption: [], center: [],
  cite: [], code: [], col: ['span', 'width'], colgroup: ['span', 'width'], dd: [], del: [], div: [], dl: [], dt: [], em: [], fieldset: [],
  font: [], footer: [], h1: [], h2: [], h3: [], h4: [], h5: [], h6: [], header: [], hr: [], i: [], img: ['alt', 'src', 'height', 'width'],
  ins: [], label: [], legend: [], li: [], mark: [], nav: [], ol: ['start', 'type'], p: [], pre: [], q: [], rt: [], ruby: [], s: [],
  section: [], small: [], span: [], strong: [], sub: [], sup: [], table: ['width'], tbody: [], td: ['colspan', 'height', 'rowspan', 'width'],
  tfoot: [], th: ['colspan', 'height', 'rowspan', 'width'], thead: [], tr: [], tt: [], u: [], ul: [],
};

interface RichTextNode {
  type?: 'node' | 'text';
  name?: string;
  text?: string;
  attrs?: Record<string, unknown>;
  children?: RichTextNode[];
}

const decoder = document.createElement('textarea');
/** A text node's text "supports entities" (WeChat docs): decoded, never parsed as markup. */
function decodeEntities(text: string): string {
  decoder.innerHTML = text;
  return decoder.value;
}

/** An HTML string as rich-text nodes (WeChat accepts both; the string is parsed, then filtered the same way). */
function nodesFromHtml(html: string): RichTextNode[] {
  const parsed = new DOMParser().parseFromString(`<body>${html}</body>`, 'text/html').body;
  const convert = (node: ChildNode): RichTextNode | null => {
    if (node.nodeType === Node.TEXT_NODE) return { type: 'text', text: (node.textContent ?? '').replace(/&/g, '&amp;').replace(/</g, '&lt;') };
    if (!(node instanceof Element)) return null;
    const attrs: Record<string, string> = {};
    for (const attr of Array.from(node.attributes)) attrs[attr.name] = attr.value;
    return { name: node.tagName.toLowerCase(), attrs, children: Array.from(node.childNodes).map(convert).filter((item): item is RichTextNode => item !== null) };
  };
  return Array.from(parsed.childNodes).map(convert).filter((item): item is RichTextNode => item !== null);
}

/** Builds the DOM WeChat's rich-text shows: trusted elements only (others are dropped with their children), no events, links inert. */
function richTextDom(nodes: RichTextNode[]): Node[] {
  const out: Node[] = [];
  for (const node of nodes) {
    if (node.type === 'text') {
      out.push(document.createTextNode(decodeEntities(String(node.text ?? ''))));
      continue;
    }
    const name = String(node.name ?? '').toLowerCase();
    const allowed = RICH_TEXT_ELEMENTS[name];
    if (!allowed) continue;
    const element = document.createElement(name);
    for (const [key, value] of Object.entries(node.attrs ?? {})) {
      if (value === undefined || value === null) continue;
      if (key === 'style' || key === 'class' || allowed.includes(key)) element.setAttribute(key, String(value));
    }
    element.append(...richTextDom(node.children ?? []));
    out.push(element);
  }
  return out;
}

const richTextRoots = new WeakMap<ComponentInstance, HTMLElement>();

const richText: BuiltInDefinition = {
  id: 'rich-text',
  tagName: 'wx-rich-text',
  template: '<slot/>',
  properties: { nodes: { type: null, value: [] }, space: { type: String, value: '' }, userSelect: { type: Boolean, value: false } },
  observers: {
    'nodes, userSelect': function (this: ComponentInstance, nodes: unknown, userSelect: unknown) {
      const root = richTextRoots.get(this);
      if (!root) return;
      const list = typeof nodes === 'string' ? nodesFromHtml(nodes) : Array.isArray(nodes) ? (nodes as RichTextNode[]) : [];
      root.replaceChildren(...richTextDom(list));
      root.style.userSelect = userSelect ? 'text' : 'none';
    },
  },
  lifetimes: {
    created(this: ComponentInstance) {
      const root = document.createElement('div');
      root.className = 'mp-rich-text';
      richTextRoots.set(this, root);
      host(this).append(root);
    },
  },
};

const scrollView: BuiltInDefinition = {
  id: 'scroll-view',
  tagName: 'wx-scroll-view',
  template: '<slot/>',
  properties: {
    scrollX: { type: Boolean, value: false },
    scrollY: { type: Boolean, value: false },
    scrollTop: { type: Number, value: 0 },
    lowerThreshold: { type: Number, value: 50 },
  },
  observers: {
    'scrollX, scrollY': function (this: ComponentInstance, x: unknown, y: unknown) {
      reflect(this, { 'scroll-x': x, 'scroll-y': y });
    },
    scrollTop(this: ComponentInstance, top: unknown) {
      host(this).scrollTop = Number(top) || 0;
    },
  },
  lifetimes: {
    created(this: ComponentInstance) {
      const node = host(this);
      let below = false;
      node.addEventListener('scroll', () => {
        this.triggerEvent('scroll', { scrollTop: node.scrollTop, scrollLeft: node.scrollLeft, scrollHeight: node.scrollHeight, scrollWidth: node.scrollWidth });
        const atBottom = node.scrollTop + node.clientHeight >= node.scrollHeight - Number(this.data.lowerThreshold ?? 50);
        if (atBottom && !below) this.triggerEvent('scrolltolower', { direction: 'bottom' });
        below = atBottom;
      });
    },
  },
};

const image: BuiltInDefinition = {
  id: 'image',
  tagName: 'wx-image',
  template: '<slot/>',
  properties: { src: { type: String, value: '' }, mode: { type: String, value: 'scaleToFill' } },
  observers: {
    'src, mode': function (this: ComponentInstance, src: unknown, mode: unknown) {
      const img = host(this).querySelector('img');
      if (img) img.src = String(src ?? '');
      reflect(this, { mode });
    },
  },
  lifetimes: {
    created(this: ComponentInstance) {
      const img = document.createElement('img');
      img.alt = '';
      img.addEventListener('load', () => this.triggerEvent('load', { width: img.naturalWidth, height: img.naturalHeight }));
      img.addEventListener('error', () => this.triggerEvent('error', { errMsg: 'GET image failed' }));
      host(this).append(img);
    },
  },
};

const NAVIGATOR_APIS: Record<string, string> = { navigate: 'navigateTo', redirect: 'redirectTo', switchTab: 'switchTab', reLaunch: 'reLaunch', navigateBack: 'navigateBack' };

const navigator: BuiltInDefinition = {
  id: 'navigator',
  tagName: 'wx-navigator',
  template: '<slot/>',
  properties: { url: { type: String, value: '' }, openType: { type: String, value: 'navigate' }, delta: { type: Number, value: 1 } },
  lifetimes: {
    created(this: ComponentInstance) {
      this._exparserNode.addListener('tap', () => {
        const api = window.wx[NAVIGATOR_APIS[String(this.data.openType)] ?? 'navigateTo'] as (options: Record<string, unknown>) => void;
        api({ url: this.data.url, delta: this.data.delta, fail: () => undefined });
      });
    },
  },
};

const progress: BuiltInDefinition = {
  id: 'progress',
  tagName: 'wx-progress',
  template: '<slot/>',
  properties: { percent: { type: Number, value: 0 }, showInfo: { type: Boolean, value: false }, activeColor: { type: String, value: '#09BB07' } },
  observers: {
    'percent, showInfo, activeColor': function (this: ComponentInstance, percent: unknown, showInfo: unknown, color: unknown) {
      const value = Math.max(0, Math.min(100, Number(percent) || 0));
      host(this).style.setProperty('--mp-progress', `${value}%`);
      host(this).style.setProperty('--mp-progress-color', String(color));
      host(this).dataset.info = showInfo ? `${value}%` : '';
    },
  },
};

/** Registers the working built-ins; must run before any page is loaded. */
export function registerBuiltIns(): void {
  for (const definition of [field('input'), field('textarea'), button, richText, scrollView, image, navigator, progress]) engine().load(definition);
}

/**
 * WeChat's renderer writes a node's `id` into the page's DOM; j-component registers every
 * component with exparser's `writeIdToDOM: false`, so ids would be invisible to the browser's
 * inspector (and to selectors). The id setter on exparser's element prototype also writes the
 * attribute. Must run before any page is rendered.
 */
export function writeIdsToDom(): void {
  const probe = engine().render('view')._exparserNode;
  for (let proto = Object.getPrototypeOf(probe) as object | null; proto; proto = Object.getPrototypeOf(proto) as object | null) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, 'id');
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the element as `this`.
    const set = descriptor?.set;
    if (!descriptor || !set) continue;
    Object.defineProperty(proto, 'id', {
      ...descriptor,
      set(this: { $$?: unknown }, value: unknown) {
        set.call(this, value);
        if (this.$$ instanceof Element) {
          if (value) this.$$.setAttribute('id', String(value));
          else this.$$.removeAttribute('id');
        }
      },
    });
    return;
  }
  throw new Error('miniprogram-simulate changed: no id setter on its elements');
}
