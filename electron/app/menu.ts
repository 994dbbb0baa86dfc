/**
 * The native menu. Navigation items send the renderer a route (`sweeplab:navigate`), which the
 * renderer's router follows; everything else is Electron's standard roles.
 */
import { Menu, shell, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';

export const NAVIGATE_CHANNEL = 'sweeplab:navigate';

export function buildMenu(getWindow: () => BrowserWindow | null): Menu {
  const go = (route: string) => () => getWindow()?.webContents.send(NAVIGATE_CHANNEL, route);
  const isMac = process.platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Import Data Set…', accelerator: 'CmdOrCtrl+O', click: go('/datasets?import=1') },
        { label: 'New Run…', accelerator: 'CmdOrCtrl+N', click: go('/runs/new') },
        { label: 'New Sweep…', accelerator: 'CmdOrCtrl+Shift+N', click: go('/sweeps/new') },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { label: 'Data Sets', accelerator: 'CmdOrCtrl+1', click: go('/datasets') },
        { label: 'Models', accelerator: 'CmdOrCtrl+2', click: go('/models') },
        { label: 'Sweeps', accelerator: 'CmdOrCtrl+3', click: go('/sweeps') },
        { label: 'Runs', accelerator: 'CmdOrCtrl+4', click: go('/runs') },
        { label: 'Compare', accelerator: 'CmdOrCtrl+5', click: go('/compare') },
        { label: 'Live', accelerator: 'CmdOrCtrl+6', click: go('/live') },
        { type: 'separator' },
        { role: 'reload' },
        { role: 'toggleDevTools' },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [{ label: 'Sweeplab on GitHub', click: () => void shell.openExternal('https://github.com/') }],
    },
  ];
  return Menu.buildFromTemplate(template);
}
