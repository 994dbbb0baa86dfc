#!/usr/bin/env node
/**
 * Builds Sweeplab for the OS it runs on (electron-builder builds each OS's installers on that OS):
 *
 *   node scripts/release/build.mjs          the installers (electron-builder.yml: NSIS, dmg + zip,
 *                                           AppImage + deb) into dist/, never published
 *   node scripts/release/build.mjs --dir    an unpacked app only (dist/<os>-unpacked), for the
 *                                           smoke test (scripts/release/smoke.mjs)
 *
 * The --dir build flips one fuse from the shipped configuration: Playwright drives Electron
 * through the Node inspector (--inspect), which the shipped app refuses
 * (electronFuses.enableNodeCliInspectArguments: false). Everything else (the bundle, app.asar, the
 * unpacked native modules, the trainer) is the same build the installers hold.
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
const dir = process.argv.includes('--dir');
const run = (cmd, args) => {
  console.log(`[build] ${cmd} ${args.join(' ')}`);
  execFileSync(cmd, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
};
run('npx', ['electron-vite', 'build']);
const platform = { linux: '--linux', darwin: '--mac', win32: '--win' }[process.platform];
if (!platform) throw new Error(`no installers for ${process.platform}`);
run('npx', [
  'electron-builder',
  platform,
  '--publish',
  'never',
  ...(dir ? ['--dir', '--config.electronFuses.enableNodeCliInspectArguments=true'] : []),
]);
