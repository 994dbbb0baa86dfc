/**
 * The Electron main process: one window (context isolation, sandbox, no Node in the page, a CSP,
 * no navigation, no new windows), the contract bound to IPC, the back end from createRuntime.
 * Thin by design: no domain logic here.
 */
import { app, BrowserWindow, ipcMain, session, shell } from 'electron';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createRuntime, type Runtime } from '../runtime';
import { bindIpc } from './ipc';
import { CONTENT_SECURITY_POLICY } from '../server/static';
import { appRoot } from '../paths';

let runtime: Runtime | null = null;
let window: BrowserWindow | null = null;

function dataDirFromArgs(): string {
  const index = process.argv.indexOf('--data-dir');
  if (index > 0 && process.argv[index + 1]) return process.argv[index + 1]!;
  return process.env.SWEEPLAB_HOME ?? app.getPath('userData');
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
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
  win.once('ready-to-show', () => win.show());
  // No navigation away from the app and no new windows; external links open in the browser.
  win.webContents.on('will-navigate', (event) => event.preventDefault());
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  if (process.env.ELECTRON_RENDERER_URL) void win.loadURL(process.env.ELECTRON_RENDERER_URL);
  else void win.loadFile(join(import.meta.dirname, '../renderer/index.html'));
  return win;
}

async function start(): Promise<void> {
  // In development better-sqlite3 for Electron's ABI is built beside node_modules (scripts/native.mjs),
  // so the copy in node_modules stays built for Node and `npm test` never needs a rebuild.
  const devBinding = join(appRoot(), '.native', 'electron', 'better_sqlite3.node');
  if (!app.isPackaged && !process.env.SWEEPLAB_SQLITE_BINDING && existsSync(devBinding)) process.env.SWEEPLAB_SQLITE_BINDING = devBinding;

  await app.whenReady();
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  runtime = await createRuntime({ dataDir: dataDirFromArgs(), transport: 'electron' });
  bindIpc(ipcMain, runtime.service, runtime.events, () => window?.webContents ?? null);
  window = createWindow();
  window.on('closed', () => (window = null));
  app.on('activate', () => {
    if (!window) window = createWindow();
  });
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
app.on('will-quit', () => {
  void runtime?.close();
});

start().catch((error) => {
  console.error('Sweeplab failed to start:', error);
  app.exit(1);
});
