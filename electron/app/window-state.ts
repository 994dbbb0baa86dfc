/**
 * Remembers the window's size, place and maximised state across launches (a JSON file beside the
 * database), and ignores a saved place that no longer lies on any screen.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserWindow, Rectangle } from 'electron';

export interface WindowState {
  bounds: Rectangle;
  maximized: boolean;
}

const DEFAULT: WindowState = { bounds: { x: -1, y: -1, width: 1280, height: 820 }, maximized: false };

export function loadWindowState(dataDir: string, displays: Rectangle[]): WindowState {
  try {
    const saved = JSON.parse(readFileSync(join(dataDir, 'window-state.json'), 'utf8')) as WindowState;
    const b = saved.bounds;
    const visible = displays.some((d) => b.x < d.x + d.width - 50 && b.x + b.width > d.x + 50 && b.y >= d.y - 10 && b.y < d.y + d.height - 50);
    if (Number.isFinite(b.width) && b.width >= 600 && b.height >= 400 && visible) return saved;
  } catch {
    // first launch, or an unreadable file: defaults
  }
  return DEFAULT;
}

export function trackWindowState(win: BrowserWindow, dataDir: string): void {
  let timer: NodeJS.Timeout | undefined;
  const save = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (win.isDestroyed()) return;
      const state: WindowState = { bounds: win.getNormalBounds(), maximized: win.isMaximized() };
      try {
        writeFileSync(join(dataDir, 'window-state.json'), JSON.stringify(state));
      } catch {
        // not worth bothering the user over
      }
    }, 300);
  };
  for (const event of ['resize', 'move', 'maximize', 'unmaximize'] as const) win.on(event as 'resize', save);
  win.on('close', save);
}
