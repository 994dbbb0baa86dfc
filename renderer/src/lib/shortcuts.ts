/** Keyboard shortcuts of the renderer: a table and a matcher over plain key-event fields. Pure. */

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
  /** "Mod+1", "?", "g h", "/" — Mod is Ctrl, or ⌘ on macOS. */
  keys: string;
  action: string;
  label: string;
}

// Mod+1…5, Mod+N, Mod+Shift+N and Mod+O match the native menu (electron/app/menu.ts), so the
// same keys work in browser mode; in the desktop app the menu's accelerators get them first.
export const SHORTCUTS: Shortcut[] = [
  { keys: 'Mod+1', action: 'nav:/datasets', label: 'Data sets' },
  { keys: 'Mod+2', action: 'nav:/models', label: 'Models' },
  { keys: 'Mod+3', action: 'nav:/sweeps', label: 'Sweeps' },
  { keys: 'Mod+4', action: 'nav:/runs', label: 'Runs (history)' },
  { keys: 'Mod+5', action: 'nav:/compare', label: 'Compare' },
  { keys: 'Mod+6', action: 'nav:/live', label: 'Live' },
  { keys: 'Mod+Shift+N', action: 'nav:/sweeps/new', label: 'New sweep' },
  { keys: 'Mod+N', action: 'nav:/runs/new', label: 'New run' },
  { keys: 'Mod+O', action: 'nav:/datasets?import=1', label: 'Import a data set' },
  { keys: '/', action: 'focus-search', label: 'Search runs' },
  { keys: '?', action: 'help', label: 'Show these shortcuts' },
  { keys: 'Escape', action: 'escape', label: 'Close a dialog' },
];

/** The action bound to an event, or null. `mac` decides whether Mod is ⌘ or Ctrl. */
export function matchShortcut(e: KeyLike, mac: boolean, table: readonly Shortcut[] = SHORTCUTS): string | null {
  const mod = mac ? e.metaKey : e.ctrlKey;
  for (const s of table) {
    const parts = s.keys.split('+');
    const key = parts[parts.length - 1]!;
    const wantsMod = parts.includes('Mod');
    if (wantsMod !== mod) continue;
    if (wantsMod && parts.includes('Shift') !== e.shiftKey) continue;
    if (!wantsMod && (e.ctrlKey || e.metaKey || e.altKey)) continue;
    if (!wantsMod && e.inField && key !== 'Escape') continue;
    if (e.key.toLowerCase() === key.toLowerCase()) return s.action;
  }
  return null;
}

export function shortcutText(keys: string, mac: boolean): string {
  return keys.replace('Mod', mac ? '⌘' : 'Ctrl').replace('Shift', mac ? '⇧' : 'Shift');
}
