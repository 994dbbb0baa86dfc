/**
 * The Electron main process: one window (context isolation, sandbox, no Node in the page, a CSP,
 * no navigation, no new windows), the contract bound to IPC, the back end from createRuntime.
 * Thin by design: no domain logic here.
 */
import { app, BrowserWindow, ipcMain, Menu, Notification, screen, session, shell, type WebFrameMain } from 'electron';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createRuntime, type Runtime } from '../runtime';
import { bindIpc } from './ipc';
import { CONTENT_SECURITY_POLICY } from '../server/static';
import { appRoot } from '../paths';
import { buildMenu } from './menu';
import { loadWindowState, trackWindowState } from './window-state';
import { desktopForkTrainer } from './utility-trainer';
import { APP_ORIGIN, handleAppScheme, registerAppScheme } from './protocol';

/**
 * The development server's URL (electron-vite's HMR), honoured only in an unpackaged app: a
 * packaged one never loads its UI from an address an environment variable names.
 */
const devUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined;
const rendererDir = join(import.meta.dirname, '../renderer');

/** IPC is answered only for the app's own top-level page, never for a subframe or another origin. */
function trustedSender(frame: WebFrameMain | null): boolean {
  const main = window?.webContents.mainFrame;
  if (!frame || !main || frame.parent !== null || frame.processId !== main.processId || frame.routingId !== main.routingId) return false;
  const origin = new URL(frame.url).origin;
  return origin === APP_ORIGIN || (devUrl !== undefined && origin === new URL(devUrl).origin);
}

let runtime: Runtime | null = null;
let window: BrowserWindow | null = null;

function dataDirFromArgs(): string {
  const index = process.argv.indexOf('--data-dir');
  if (index > 0 && process.argv[index + 1]) return process.argv[index + 1]!;
  return process.env.SWEEPLAB_HOME ?? app.getPath('userData');
}

function createWindow(dataDir: string): BrowserWindow {
  const state = loadWindowState(dataDir, screen.getAllDisplays().map((d) => d.workArea));
  const win = new BrowserWindow({
    ...(state.bounds.x >= 0 ? { x: state.bounds.x, y: state.bounds.y } : {}),
    width: state.bounds.width,
    height: state.bounds.height,
    minWidth: 900,
    minHeight: 600,
    title: 'Sweeplab',
    show: false,
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  win.once('ready-to-show', () => {
    if (state.maximized) win.maximize();
    win.show();
  });
  trackWindowState(win, dataDir);
  // No navigation away from the app and no new windows; external links open in the browser.
  win.webContents.on('will-navigate', (event) => event.preventDefault());
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  void win.loadURL(devUrl ?? `${APP_ORIGIN}/index.html`);
  return win;
}

async function start(): Promise<void> {
  // In development better-sqlite3 for Electron's ABI is built beside node_modules (scripts/native.mjs),
  // so the copy in node_modules stays built for Node and `npm test` never needs a rebuild.
  const devBinding = join(appRoot(), '.native', 'electron', 'better_sqlite3.node');
  if (!app.isPackaged && !process.env.SWEEPLAB_SQLITE_BINDING && existsSync(devBinding)) process.env.SWEEPLAB_SQLITE_BINDING = devBinding;

  registerAppScheme();
  await app.whenReady();
  handleAppScheme(rendererDir);
  // The development server's responses get the CSP as a header (the app:// ones carry their own).
  if (devUrl) {
    session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
    });
  }
  const trainers = desktopForkTrainer();
  if (!trainers.node) console.log('[sweeplab] no Node.js 20+ found (SWEEPLAB_NODE or PATH): trainers run in utilityProcess, without WebGPU');
  // SWEEPLAB_BROKER makes the app a cluster coordinator (its sweeps train on the broker's workers).
  runtime = await createRuntime({ dataDir: dataDirFromArgs(), transport: 'electron', fork: trainers.fork, ...(process.env.SWEEPLAB_BROKER ? { broker: process.env.SWEEPLAB_BROKER } : {}) });
  bindIpc(ipcMain, runtime.service, runtime.events, () => window?.webContents ?? null, trustedSender);
  Menu.setApplicationMenu(buildMenu(() => window));
  notifyWhenSweepsEnd(runtime);
  const open = () => {
    window = createWindow(runtime!.dataDir);
    window.on('closed', () => (window = null));
  };
  open();
  app.on('activate', () => {
    if (!window) open();
  });
}

/** A desktop notification when a sweep finishes, fails or is cancelled; the renderer may be hidden. */
function notifyWhenSweepsEnd(rt: Runtime): void {
  const seen = new Map<string, string>();
  rt.events.on('sweep.updated', (sweep) => {
    const before = seen.get(sweep.id);
    seen.set(sweep.id, sweep.status);
    if (before === sweep.status || !['completed', 'failed', 'cancelled'].includes(sweep.status)) return;
    if (!Notification.isSupported()) return;
    const { done, failed, total } = sweep.trials;
    new Notification({ title: `Sweep ${sweep.status}: ${sweep.name}`, body: `${done} of ${total} trials finished${failed ? `, ${failed} failed` : ''}.` }).show();
  });
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
// Closing the app mid-sweep: trainers are stopped and their runs left 'interrupted', resumable
// from their checkpoints on the next start. Quit waits for that (a second or two at most).
let closing = false;
app.on('before-quit', (event) => {
  if (closing || !runtime) return;
  event.preventDefault();
  closing = true;
  void runtime.close().finally(() => app.quit());
});

// One desktop instance per machine: a second one would share the database and mark the first
// one's runs as interrupted; it focuses the running window instead.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (window?.isMinimized()) window.restore();
    window?.focus();
  });
  start().catch((error) => {
    console.error('Sweeplab failed to start:', error);
    app.exit(1);
  });
}

