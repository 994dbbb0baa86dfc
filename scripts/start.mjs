#!/usr/bin/env node
/**
 * `npm start`: the desktop app when Electron's binary is installed; otherwise one line saying so,
 * then browser mode, so the app's main job runs on every machine.
 *
 * Electron's binary is a download from outside the npm registry (package.json's allowScripts keeps
 * npm from failing the whole install when it cannot be fetched); we try that download once here.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const require = createRequire(join(root, 'package.json'));
const args = process.argv.slice(2);

function electronBinary() {
  try {
    const path = require('electron');
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

function node(script, scriptArgs, options = {}) {
  return spawnSync(process.execPath, [join(root, script), ...scriptArgs], { cwd: root, stdio: 'inherit', ...options });
}

let binary = electronBinary();
if (!binary && !process.env.CI && existsSync(join(root, 'node_modules', 'electron', 'install.js'))) {
  node('node_modules/electron/install.js', [], { stdio: 'ignore', timeout: 120_000 });
  binary = electronBinary();
}

if (binary) {
  if (node('scripts/native.mjs', ['electron']).status !== 0) process.exit(1);
  const child = spawn(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'dev', '--', ...args], {
    cwd: root,
    stdio: 'inherit',
  });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  console.log("Electron's binary is not installed (its download needs internet access); starting browser mode instead.");
  if (!existsSync(join(root, 'out', 'renderer', 'index.html'))) {
    node('node_modules/electron-vite/bin/electron-vite.js', ['build', '--logLevel', 'error']);
  }
  const child = spawn(process.execPath, [join(root, 'bin', 'sweeplab.mjs'), ...args, 'serve'], { cwd: root, stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code) => process.exit(code ?? 0));
}
