/**
 * The chat page's panes on a phone: the conversation list or the open conversation, one at
 * a time, as mobile chat apps show them; on a wider screen both, side by side.
 *
 * The pane shown is the chat root's data-pane ("list" or "chat"); chat.css hides the other
 * below PHONE_WIDTH only, so the desktop layout never depends on it. Opening a conversation
 * on a phone adds a history entry, so the browser's Back (or the back button in the
 * conversation's head, which goes back through history) returns to the list, where the
 * conversation's row gets the focus again.
 *
 * The page's height follows the visual viewport: an on-screen keyboard shrinks it, and the
 * composer and the conversation's head stay on screen above the keyboard.
 */

/** Below this width (chat.css's media queries say the same) one pane shows at a time. */
export const PHONE_QUERY = '(max-width: 720px)';

const CHAT_STATE = 'hutong-chat';

export class Panes {
  /**
   * @param {HTMLElement} root the chat (its data-pane is set here)
   * @param {object} parts
   * @param {HTMLButtonElement} parts.back the back control in the conversation's head
   * @param {HTMLElement} parts.title the conversation's heading (focused on a phone)
   * @param {HTMLElement} parts.composer the message input (focused on a wider screen)
   * @param {() => HTMLElement | null} parts.openRow the open conversation's row in the list
   */
  constructor(root, {back, title, composer, openRow}) {
    this.root = root;
    this.back = back;
    this.title = title;
    this.composer = composer;
    this.openRow = openRow;
    this.phone = window.matchMedia(PHONE_QUERY);
    this.root.dataset.pane = 'list';
    // A reload keeps the history entry of a conversation that is no longer open.
    if (window.history.state?.[CHAT_STATE]) window.history.replaceState(null, '');
    back.addEventListener('click', () => this.toList());
    window.addEventListener('popstate', () => this.showList());
    followViewport();
  }

  /** Whether the page is in the one-pane layout. */
  get onPhone() {
    return this.phone.matches;
  }

  /** Whether the open conversation is on screen (so its new messages are read). */
  get chatShown() {
    return !this.onPhone || this.root.dataset.pane === 'chat';
  }

  /**
   * The user opened a conversation: on a phone it takes the screen (one history entry per
   * visit to it, however many conversations are opened from the list meanwhile) and its
   * heading gets the focus, so a screen reader says where it is; elsewhere the composer.
   */
  showChat() {
    if (this.onPhone && this.root.dataset.pane !== 'chat') {
      window.history.pushState({[CHAT_STATE]: true}, '');
    }
    this.root.dataset.pane = 'chat';
    if (this.onPhone) this.title.focus();
    else this.composer.focus();
  }

  /** The back control: through history when the chat added an entry, so Back stays in step. */
  toList() {
    if (window.history.state?.[CHAT_STATE]) window.history.back();
    else this.showList();
  }

  /** Back on the list, its open conversation's row focused. */
  showList() {
    if (this.root.dataset.pane === 'list') return;
    this.root.dataset.pane = 'list';
    if (this.onPhone) this.openRow()?.focus();
  }

  /** No conversation is open any more (it was closed or the group went away). */
  closed() {
    if (this.root.dataset.pane === 'chat' && this.onPhone) this.toList();
  }
}

/**
 * Keep --app-height (the body's height in chat.css) at the visual viewport's height, which an
 * on-screen keyboard shrinks where dvh does not follow it, so the composer sits above it.
 */
function followViewport() {
  const viewport = window.visualViewport;
  if (!viewport) return;
  const style = document.documentElement.style;
  const fit = () => {
    // Times the zoom: pinching in shrinks the visual viewport too, but not the screen.
    style.setProperty('--app-height', `${viewport.height * viewport.scale}px`);
    // A browser that scrolled the page to show the focused composer: the page fits now.
    if (window.scrollY) window.scrollTo(0, 0);
  };
  viewport.addEventListener('resize', fit);
  fit();
}

const focusBehind = new WeakMap();

/**
 * Show or hide `overlay`, a modal laid over the rest of `root` (aria-modal): behind it, root's
 * other parts are inert (no focus, no click, not read out). Once it goes, the focus returns to
 * what had it before, or to `fallback()` when nothing had (a control disabled as the overlay
 * came, say), unless the user has moved it meanwhile; after the current task, so that what
 * hid the overlay has enabled the page again.
 */
export function showOverlay(root, overlay, show, fallback = () => null) {
  overlay.hidden = !show;
  for (const part of root.children) if (part !== overlay) part.inert = show;
  if (show) {
    const active = document.activeElement;
    if (!focusBehind.has(overlay)) focusBehind.set(overlay, active === document.body ? null : active);
    return;
  }
  if (!focusBehind.has(overlay)) return;
  const behind = focusBehind.get(overlay);
  focusBehind.delete(overlay);
  setTimeout(() => {
    const lost = document.activeElement === document.body || overlay.contains(document.activeElement);
    if (!lost) return;
    const target = behind?.isConnected && !behind.disabled ? behind : fallback();
    target?.focus();
  });
}
