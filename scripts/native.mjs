#!/usr/bin/env node
/**
 * better-sqlite3 is a native module: Node (tests, CLI, browser mode) and Electron (the desktop
 * app) need it built for different ABIs. Rather than rebuilding node_modules back and forth, the
 * copy in node_modules always stays built for Node, and the Electron build lives beside it in
 * .native/electron/better_sqlite3.node, which the main process passes as `nativeBinding` in
 * development (packaged apps get electron-builder's own rebuild).
 *
 *   node scripts/native.mjs node       check the Node build loads; rebuild it if it does not
 *   node scripts/native.mjs electron   build the Electron copy once per Electron version
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const require = createRequire(join(root, 'package.json'));
const target = process.argv[2];

function run(command, args, cwd = root) {
  const result = spawnSync(command, args, { cwd, stdio: 'inherit', shell: process.platform === 'win32' });
  return result.status === 0;
}

if (target === 'node') {
  const probe = spawnSync(process.execPath, ['-e', "new (require('better-sqlite3'))(':memory:').close()"], { cwd: root, encoding: 'utf8' });
  if (probe.status !== 0) {
    console.log('better-sqlite3 is not built for this Node (ABI mismatch or missing build); rebuilding it…');
    if (!run('npm', ['rebuild', 'better-sqlite3'])) {
      console.error('Could not rebuild better-sqlite3 for Node: see the output above (a C++ toolchain and Python are needed).');
      process.exit(1);
    }
  }
} else if (target === 'electron') {
  const electronVersion = JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version;
  const sqliteDir = join(require.resolve('better-sqlite3/package.json'), '..');
  const sqliteVersion = JSON.parse(readFileSync(join(sqliteDir, 'package.json'), 'utf8')).version;
  const outDir = join(root, '.native', 'electron');
  const stamp = join(outDir, 'stamp.json');
  const wanted = JSON.stringify({ electronVersion, sqliteVersion, platform: process.platform, arch: process.arch });
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted && existsSync(join(outDir, 'better_sqlite3.node'))) process.exit(0);

  console.log(`Building better-sqlite3 ${sqliteVersion} for Electron ${electronVersion}…`);
  const work = join(root, '.native', 'build', 'better-sqlite3');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  cpSync(sqliteDir, work, { recursive: true, filter: (src) => !src.includes(`${join(sqliteDir, 'build')}`) });
  const ok =
    run('npx', ['--yes', 'prebuild-install', '--runtime', 'electron', '--target', electronVersion, '--arch', process.arch], work) ||
    run('npx', ['--yes', 'node-gyp', 'rebuild', '--release', '--runtime=electron', `--target=${electronVersion}`, '--dist-url=https://electronjs.org/headers'], work);
  const built = join(work, 'build', 'Release', 'better_sqlite3.node');
  if (!ok || !existsSync(built)) {
    console.error('Could not build better-sqlite3 for Electron (a download of prebuilt binaries or Electron headers is needed).');
    process.exit(1);
  }
  mkdirSync(outDir, { recursive: true });
  cpSync(built, join(outDir, 'better_sqlite3.node'));
  writeFileSync(stamp, wanted);
  rmSync(join(root, '.native', 'build'), { recursive: true, force: true });
} else {
  console.error('usage: node scripts/native.mjs node|electron');
  process.exit(2);
}
