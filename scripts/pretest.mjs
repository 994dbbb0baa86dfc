#!/usr/bin/env node
/**
 * Before `npm test`: better-sqlite3 must be built for Node (scripts/native.mjs node), and the
 * renderer must be built, because the end-to-end tests drive the real built app in Chromium.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const step = (args) => {
  const result = spawnSync(args[0], args.slice(1), { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
};
step([process.execPath, join(root, 'scripts', 'native.mjs'), 'node']);
step([process.execPath, join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build', '--logLevel', 'error']);
