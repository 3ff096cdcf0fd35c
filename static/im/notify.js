/**
 * Desktop notifications and a sound for new messages (issue 15), while the tab is
 * hidden or another conversation is open. Permission is asked only when the user
 * clicks "Turn on notifications", never on load; whether to notify and whether to
 * play the sound are remembered in localStorage. Muted conversations stay quiet. The
 * sound is a short tone made with WebAudio: no file to fetch.
 */
import TIM from './tim.js';

const DESKTOP_KEY = 'hutong.notify.desktop';
const SOUND_KEY = 'hutong.notify.sound';

/**
 * Which of `messages` call for a notification: incoming, not tips nor notices of what
 * this account did itself, in a conversation that is not muted, and not the one open
 * in a visible tab. One per conversation (its newest), as a catch-up may bring several.
 * @param {Object[]} messages TIM's Messages, oldest first
 * @param {{me: string, activeID: string|null, visible: boolean,
 *   quiet: function(string): boolean}} now
 */
export function worthNotifying(messages, {me, activeID, visible, quiet}) {
  const newest = new Map();
  for (const message of messages) {
    const id = message.conversationID;
    if (message.flow !== 'in' || message.type === TIM.TYPES.MSG_GRP_TIP) continue;
    if (message.type === TIM.TYPES.MSG_GRP_SYS_NOTICE && message.payload?.operatorID === me) continue;
    if (message.isRevoked || quiet(id)) continue;
    if (visible && id === activeID) continue;
    newest.set(id, message);
  }
  return [...newest.values()];
}

function stored(key, fallback) {
  try {
    const value = window.localStorage.getItem(key);
    return value === null ? fallback : value === '1';
  } catch {
    return fallback; // storage refused (private mode, a policy): the default, not remembered
  }
}

function store(key, on) {
  try {
    window.localStorage.setItem(key, on ? '1' : '0');
  } catch {
    // Not remembered; the setting still holds for this page.
  }
}

export class Notifier {
  #i18n;
  #deps;
  #audio = null; // the AudioContext, made on the first gesture that wants sound
  #button;
  #desktop;
  #sound;
  #state;

  /**
   * @param {Object} deps
   * @param {Object} deps.i18n Django's catalog functions
   * @param {HTMLElement} deps.after where the settings go (they are put after it)
   * @param {function(): string} deps.me this account's userID
   * @param {function(): (string|null)} deps.activeID the open conversation
   * @param {function(string): boolean} deps.quiet whether a conversation is muted
   * @param {function(string): string} deps.nameOf a conversation's shown name
   * @param {function(Object): string} deps.textOf a message as a line of text
   * @param {function(string): void} deps.open open a conversation
   */
  constructor(deps) {
    this.#deps = deps;
    this.#i18n = deps.i18n;
    const {gettext} = this.#i18n;
    const box = document.createElement('div');
    box.className = 'notify-settings';
    box.dataset.testid = 'notify-settings';

    this.#button = document.createElement('button');
    this.#button.type = 'button';
    this.#button.className = 'link';
    this.#button.dataset.testid = 'notify-enable';
    this.#button.textContent = gettext('Turn on notifications');
    this.#button.addEventListener('click', () => this.#askPermission());

    this.#desktop = this.#checkbox('notify-desktop', gettext('Desktop notifications'), DESKTOP_KEY, true);
    this.#sound = this.#checkbox('notify-sound', gettext('Sound'), SOUND_KEY, false);
    this.#sound.input.addEventListener('change', () => {
      if (this.#sound.input.checked) this.#wakeAudio();
    });

    this.#state = document.createElement('span');
    this.#state.className = 'hint';
    this.#state.dataset.testid = 'notify-state';
    box.append(this.#button, this.#desktop.label, this.#sound.label, this.#state);
    deps.after.after(box);
    // A page's audio may start only after a gesture: the first click or key wakes it.
    const wake = () => {
      if (this.#sound.input.checked) this.#wakeAudio();
    };
    document.addEventListener('pointerdown', wake, {capture: true});
    document.addEventListener('keydown', wake, {capture: true});
    this.#render();
  }

  /** New messages from the SDK: notify (and sound) for those that call for it. */
  onMessages(messages) {
    const due = worthNotifying(messages, {
      me: this.#deps.me(),
      activeID: this.#deps.activeID(),
      visible: document.visibilityState === 'visible',
      quiet: this.#deps.quiet,
    });
    if (!due.length) return;
    if (this.#sound.input.checked) this.#beep();
    if (!this.#desktopOn()) return;
    for (const message of due) this.#show(message);
  }

  #desktopOn() {
    return (
      'Notification' in window &&
      window.Notification.permission === 'granted' &&
      this.#desktop.input.checked
    );
  }

  #show(message) {
    const id = message.conversationID;
    let notification;
    try {
      notification = new window.Notification(this.#deps.nameOf(id), {
        body: this.#deps.textOf(message),
        // One per conversation: a newer message replaces the last one, on every tab.
        tag: id,
      });
    } catch {
      return; // some browsers allow them only from a service worker
    }
    notification.onclick = () => {
      window.focus();
      this.#deps.open(id);
      notification.close();
    };
  }

  #checkbox(testid, text, key, fallback) {
    const label = document.createElement('label');
    label.className = 'notify-option';
    const input = document.createElement('input');
    input.type = 'checkbox';
    input.dataset.testid = testid;
    input.checked = stored(key, fallback);
    input.addEventListener('change', () => store(key, input.checked));
    label.append(input, ` ${text}`);
    return {label, input};
  }

  async #askPermission() {
    if (!('Notification' in window)) return;
    try {
      await window.Notification.requestPermission();
    } catch {
      // An old browser's callback form, or a refusal: the state below says which.
    }
    this.#render();
  }

  #render() {
    const {gettext} = this.#i18n;
    const supported = 'Notification' in window;
    const permission = supported ? window.Notification.permission : 'unsupported';
    this.#button.hidden = permission !== 'default';
    this.#desktop.label.hidden = permission !== 'granted';
    this.#state.hidden = permission !== 'denied' && permission !== 'unsupported';
    this.#state.textContent =
      permission === 'denied'
        ? gettext('Notifications are blocked in your browser’s settings.')
        : gettext('This browser has no desktop notifications.');
  }

  #wakeAudio() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    this.#audio ??= new Context();
    if (this.#audio.state === 'suspended') this.#audio.resume().catch(() => {});
  }

  /** Two short soft tones, about a quarter of a second in all. */
  #beep() {
    this.#wakeAudio();
    const audio = this.#audio;
    if (!audio || audio.state !== 'running') return;
    const start = audio.currentTime;
    [880, 1320].forEach((frequency, i) => {
      const at = start + i * 0.12;
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.type = 'sine';
      tone.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.15, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.11);
      tone.connect(gain).connect(audio.destination);
      tone.start(at);
      tone.stop(at + 0.12);
    });
  }
}
