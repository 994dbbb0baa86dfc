/** Keyboard shortcuts of the renderer: a table per mode and a matcher over plain key-event fields. Pure. */

export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
  /** The focused element is a text field (shortcuts without a modifier are left to it). */
  inField: boolean;
}

export interface Shortcut {
  /** "Mod+1", "Shift+N", "?", "g d" (g, then d) — Mod is Ctrl, or ⌘ on macOS. */
  keys: string;
  action: string;
  label: string;
}

const COMMON: Shortcut[] = [
  { keys: '/', action: 'focus-search', label: 'Search runs' },
  { keys: '?', action: 'help', label: 'Show these shortcuts' },
  { keys: 'Escape', action: 'escape', label: 'Close a dialog' },
];

// Desktop: Mod+1…6, Mod+N, Mod+Shift+N and Mod+O match the native menu (electron/app/menu.ts);
// the menu's accelerators get them first, the table lists them for the help dialog.
export const DESKTOP_SHORTCUTS: Shortcut[] = [
  { keys: 'Mod+1', action: 'nav:/datasets', label: 'Data sets' },
  { keys: 'Mod+2', action: 'nav:/models', label: 'Models' },
  { keys: 'Mod+3', action: 'nav:/sweeps', label: 'Sweeps' },
  { keys: 'Mod+4', action: 'nav:/runs', label: 'Runs (history)' },
  { keys: 'Mod+5', action: 'nav:/compare', label: 'Compare' },
  { keys: 'Mod+6', action: 'nav:/live', label: 'Live' },
  { keys: 'Mod+Shift+N', action: 'nav:/sweeps/new', label: 'New sweep' },
  { keys: 'Mod+N', action: 'nav:/runs/new', label: 'New run' },
  { keys: 'Mod+O', action: 'nav:/datasets?import=1', label: 'Import a data set' },
  ...COMMON,
];

// Browser mode: a browser keeps Ctrl/⌘+N (new window), +Shift+N (private window), +1…8 (tabs) for
// itself and Ctrl/⌘+O opens its own file dialog, so the page uses plain keys outside text fields,
// as web apps do (g then a letter to go somewhere).
export const BROWSER_SHORTCUTS: Shortcut[] = [
  { keys: 'g d', action: 'nav:/datasets', label: 'Data sets' },
  { keys: 'g m', action: 'nav:/models', label: 'Models' },
  { keys: 'g s', action: 'nav:/sweeps', label: 'Sweeps' },
  { keys: 'g r', action: 'nav:/runs', label: 'Runs (history)' },
  { keys: 'g c', action: 'nav:/compare', label: 'Compare' },
  { keys: 'g l', action: 'nav:/live', label: 'Live' },
  { keys: 'Shift+N', action: 'nav:/sweeps/new', label: 'New sweep' },
  { keys: 'n', action: 'nav:/runs/new', label: 'New run' },
  { keys: 'i', action: 'nav:/datasets?import=1', label: 'Import a data set' },
  ...COMMON,
];

export function shortcutsFor(desktop: boolean): Shortcut[] {
  return desktop ? DESKTOP_SHORTCUTS : BROWSER_SHORTCUTS;
}

/**
 * The action bound to an event, or null. `mac` decides whether Mod is ⌘ or Ctrl; `prior` is the
 * key pressed just before (for two-key sequences such as "g d").
 */
export function matchShortcut(e: KeyLike, mac: boolean, table: readonly Shortcut[] = DESKTOP_SHORTCUTS, prior: string | null = null): string | null {
  const mod = mac ? e.metaKey : e.ctrlKey;
  for (const s of table) {
    if (s.keys.includes(' ')) {
      const [first, second] = s.keys.split(' ') as [string, string];
      if (mod || e.ctrlKey || e.metaKey || e.altKey || e.inField || e.shiftKey) continue;
      if (prior === first && e.key.toLowerCase() === second) return s.action;
      continue;
    }
    const parts = s.keys.split('+');
    const key = parts[parts.length - 1]!;
    const wantsMod = parts.includes('Mod');
    if (wantsMod !== mod) continue;
    if (wantsMod && parts.includes('Shift') !== e.shiftKey) continue;
    if (!wantsMod && (e.ctrlKey || e.metaKey || e.altKey)) continue;
    if (!wantsMod && e.inField && key !== 'Escape') continue;
    // A letter without a modifier: Shift must be as written ("n" is not "Shift+N").
    if (!wantsMod && /^[a-z]$/i.test(key) && parts.includes('Shift') !== e.shiftKey) continue;
    if (e.key.toLowerCase() === key.toLowerCase()) return s.action;
  }
  return null;
}

/** Whether a key starts a two-key sequence of the table (the matcher then needs it as `prior`). */
export function startsSequence(e: KeyLike, table: readonly Shortcut[]): boolean {
  if (e.ctrlKey || e.metaKey || e.altKey || e.shiftKey || e.inField) return false;
  return table.some((s) => s.keys.includes(' ') && s.keys.split(' ')[0] === e.key.toLowerCase());
}

export function shortcutText(keys: string, mac: boolean): string {
  if (keys.includes(' ')) return keys.split(' ').join(' then ');
  return keys.replace('Mod', mac ? '⌘' : 'Ctrl').replace('Shift', mac ? '⇧' : 'Shift');
}
