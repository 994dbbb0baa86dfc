#!/usr/bin/env node
/**
 * The layers check: code says where it runs by the folder it is in, and may only import what runs
 * there too (after vscode's build/lib/layersChecker.ts). The tsconfigs already make a DOM or Node
 * *type* a compile error per layer; this script catches the imports that type-check anyway:
 *
 *   shared/    pure TypeScript: only zod and other shared/ files
 *   renderer/  the browser: no `electron`, no `node:*` or Node built-ins, nothing from electron/
 *              except the preload's type declaration (electron/app/bridge.d.ts)
 *   electron/  Node and Electron: nothing from renderer/
 *
 * Inside electron/, folders stand on floors (after vscode's code-layering rule): a file may import
 * its own folder, its floor, and the floors below, never a floor above. Bottom to top:
 *
 *   paths.ts files.ts store/ engine/ datasets/   the data folder, files, the database, training maths
 *   trainer/                                      the trainer process around the engine
 *   sweeps/                                       grids, statistics, the scheduler
 *   runs/                                         the run executor (trainer processes ↔ store)
 *   reports/                                      PDF reports
 *   exports/                                      bundles, CSV, model exports (may use reports/)
 *   cluster/                                      broker, coordinator, workers
 *   service/                                      the contract's handlers
 *   runtime.ts server/                            composition; browser-mode transport
 *   app/ cli/                                     the Electron shell and the command line
 *
 * Two more rules inside electron/: the raw database (store/db.ts, store/testing.ts) is reached only
 * from store/ itself (tests aside), and no file imports its own folder's index.ts (the folder's
 * front door faces outwards; cli/context.ts holds what the subcommands share).
 *
 * Usage: node scripts/check-layers.mjs [root]   (exit 1 and one line per violation)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(process.argv[2] ?? join(import.meta.dirname, '..'));
const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const IMPORT_RE = /(?:(?:^|;)[ \t]*import\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?|(?:^|;)[ \t]*export\s+(?:type\s+)?[\w*{}\s,$]*?\s+from\s+|\bimport\s*\(\s*|\brequire\s*\(\s*)['"]([^'"]+)['"]/gm;

function* files(dir) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (/\.(ts|mts|vue|js|mjs)$/.test(name)) yield path;
  }
}

const layerOf = (file) => relative(root, file).split(sep)[0];

/** electron/'s floors, bottom first (see the header). */
const FLOORS = [
  ['paths', 'files', 'store', 'engine', 'datasets'],
  ['trainer'],
  ['sweeps'],
  ['runs'],
  ['reports'],
  ['exports'],
  ['cluster'],
  ['service'],
  ['runtime', 'server'],
  ['app', 'cli'],
];
const floorOf = new Map(FLOORS.flatMap((names, floor) => names.map((name) => [name, floor])));
/** The folder (or top-level module, without extension) a path inside electron/ belongs to. */
const unitOf = (file) => relative(join(root, 'electron'), file).split(sep)[0].replace(/\.(ts|mts|js|mjs|d\.ts)$/, '');
const resolvesTo = (target, path) => [path, `${path}.ts`, join(path, 'index.ts')].some((p) => target === p || `${target}.ts` === p);

function electronInside(file, spec, target) {
  if (!target || layerOf(target) !== 'electron') return null;
  const from = unitOf(file);
  const to = unitOf(target);
  const store = join(root, 'electron', 'store');
  if (from !== 'store' && (resolvesTo(target, join(store, 'db')) || resolvesTo(target, join(store, 'testing')))) {
    return `only electron/store/ may reach the raw database (${relative(root, target)}); add a repository method`;
  }
  if (from === to) {
    if (dirname(file) === dirname(target) && /^index(\.ts)?$/.test(relative(dirname(file), target)) && !file.endsWith(`${sep}index.ts`)) {
      return `${relative(root, file)} imports its own folder's index.ts (move what it needs into a module of its own)`;
    }
    return null;
  }
  const a = floorOf.get(from);
  const b = floorOf.get(to);
  if (a === undefined) return `electron/${from} has no floor in scripts/check-layers.mjs: add it to FLOORS`;
  if (b === undefined) return `electron/${to} has no floor in scripts/check-layers.mjs: add it to FLOORS`;
  if (b > a) return `electron/${from} (floor ${a}) must not import electron/${to} (floor ${b}): an arrow running back up (${spec})`;
  return null;
}

const rules = {
  shared(spec, target) {
    if (spec === 'zod' || spec.startsWith('zod/')) return null;
    if (target) return layerOf(target) === 'shared' ? null : `shared/ may only import shared/ files, not ${spec}`;
    return `shared/ must stay platform-free: it may import only zod, not '${spec}'`;
  },
  renderer(spec, target) {
    if (spec === 'electron' || spec.startsWith('electron/')) return `renderer/ must not import 'electron' (use the API client)`;
    if (NODE_BUILTINS.has(spec) || spec.startsWith('node:')) return `renderer/ must not import Node built-in '${spec}'`;
    if (target && layerOf(target) === 'electron' && !target.endsWith(join('electron', 'app', 'bridge.d.ts')) && !target.endsWith(join('electron', 'app', 'bridge'))) {
      return `renderer/ must not import main-process code (${relative(root, target)})`;
    }
    return null;
  },
  electron(spec, target, file) {
    if (target && layerOf(target) === 'renderer') return `electron/ must not import renderer code (${relative(root, target)})`;
    return electronInside(file, spec, target);
  },
};

const violations = [];
for (const layer of Object.keys(rules)) {
  for (const file of files(join(root, layer))) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(IMPORT_RE)) {
      const spec = match[1];
      const target = spec.startsWith('.') ? resolve(dirname(file), spec) : null;
      const problem = rules[layer](spec, target, file);
      if (problem) {
        const line = text.slice(0, match.index).split('\n').length;
        violations.push(`${relative(root, file)}:${line}: ${problem}`);
      }
    }
  }
}

if (violations.length) {
  console.error(violations.join('\n'));
  console.error(`layers check: ${violations.length} violation${violations.length === 1 ? '' : 's'}`);
  process.exit(1);
}
console.log('layers check: ok');
