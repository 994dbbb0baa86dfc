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
  electron(spec, target) {
    if (target && layerOf(target) === 'renderer') return `electron/ must not import renderer code (${relative(root, target)})`;
    return null;
  },
};

const violations = [];
for (const layer of Object.keys(rules)) {
  for (const file of files(join(root, layer))) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(IMPORT_RE)) {
      const spec = match[1];
      const target = spec.startsWith('.') ? resolve(dirname(file), spec) : null;
      const problem = rules[layer](spec, target);
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
