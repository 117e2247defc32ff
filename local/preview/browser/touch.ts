/**
 * The engine turns touch events into `tap` (touchstart + touchend without moving), as WeChat does.
 * A desktop browser sends mouse events, so a mouse press inside the phone is replayed as a touch on
 * the same element; real touches (a phone, or a browser emulating one) are left alone.
 */
interface WithCapabilities {
  sourceCapabilities?: { firesTouchEvents?: boolean } | null;
}

export function bridgeMouseToTouch(root: HTMLElement): void {
  let pressed: EventTarget | null = null;
  const touch = (event: MouseEvent, target: EventTarget) =>
    new Touch({ identifier: 1, target, clientX: event.clientX, clientY: event.clientY, pageX: event.pageX, pageY: event.pageY, screenX: event.screenX, screenY: event.screenY });
  const send = (target: EventTarget, type: string, event: MouseEvent, active: boolean) => {
    const point = touch(event, target);
    target.dispatchEvent(new TouchEvent(type, { bubbles: true, cancelable: true, composed: true, touches: active ? [point] : [], targetTouches: active ? [point] : [], changedTouches: [point] }));
  };
  root.addEventListener(
    'mousedown',
    (event) => {
      if (event.button !== 0 || (event as MouseEvent & WithCapabilities).sourceCapabilities?.firesTouchEvents || !event.target) return;
      pressed = event.target;
      send(pressed, 'touchstart', event, true);
    },
    true,
  );
  window.addEventListener('mousemove', (event) => {
    if (pressed && event.buttons === 1) send(pressed, 'touchmove', event, true);
  });
  window.addEventListener('mouseup', (event) => {
    if (!pressed) return;
    const target = pressed;
    pressed = null;
    send(target, 'touchend', event, false);
  });
}
