/** Tiny DOM helpers: no framework, every page is plain HTML plus these. */
export const $ = <T extends HTMLElement = HTMLElement>(sel: string, root: ParentNode = document): T => {
  const el = root.querySelector<T>(sel);
  if (!el) throw new Error(`missing element ${sel}`);
  return el;
};

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, string>> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) if (v !== undefined) el.setAttribute(k, v);
  el.append(...children);
  return el;
}

/** Shows a line in the page's log (#log) and the console. */
export function log(text: string, kind: 'info' | 'error' = 'info'): void {
  (kind === 'error' ? console.error : console.log)(text);
  const box = document.querySelector('#log');
  if (!box) return;
  box.prepend(h('div', { class: kind }, `${new Date().toLocaleTimeString()} ${text}`));
}

export const param = (name: string): string | null => new URLSearchParams(location.search).get(name);

/** Shop amounts are in the currency's major unit (29.99). */
export function money(amount: number, currency = 'USD'): string {
  return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(amount);
}

/** Attaches a stream to a <video> once (re-attaching restarts playback). */
export function show(video: HTMLVideoElement, stream: MediaStream): void {
  if (video.srcObject === stream) return;
  video.srcObject = stream;
  video.play().catch(() => undefined);
}
