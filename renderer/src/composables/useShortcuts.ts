import { onBeforeUnmount, onMounted } from 'vue';
import { matchShortcut, startsSequence, type Shortcut } from '../lib/shortcuts';

export const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);

const NON_TEXT_INPUTS = new Set(['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file']);

/** How long the first key of a sequence ("g", then "d") waits for the second. */
const SEQUENCE_MS = 1500;

/** Window-wide shortcuts; `handle` gets the action name and returns true when it used it. */
export function useShortcuts(table: readonly Shortcut[], handle: (action: string) => boolean) {
  let prior: { key: string; at: number } | null = null;
  const onKey = (e: KeyboardEvent) => {
    const target = e.target as HTMLElement | null;
    // Where typing goes into the element (a checkbox or a button takes no text: shortcuts still work).
    const inField =
      !!target &&
      (target.isContentEditable ||
        ['TEXTAREA', 'SELECT'].includes(target.tagName) ||
        (target.tagName === 'INPUT' && !NON_TEXT_INPUTS.has((target as HTMLInputElement).type)));
    const key = { key: e.key, ctrlKey: e.ctrlKey, metaKey: e.metaKey, altKey: e.altKey, shiftKey: e.shiftKey, inField };
    const before = prior && e.timeStamp - prior.at < SEQUENCE_MS ? prior.key : null;
    prior = null;
    const action = matchShortcut(key, isMac, table, before);
    if (action && handle(action)) {
      e.preventDefault();
      return;
    }
    if (!action && startsSequence(key, table)) prior = { key: e.key.toLowerCase(), at: e.timeStamp };
  };
  onMounted(() => window.addEventListener('keydown', onKey));
  onBeforeUnmount(() => window.removeEventListener('keydown', onKey));
}
