import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { appRoot } from '../../electron/paths';
import { tempDir } from '../support/fixtures';

const script = join(appRoot(), 'scripts', 'check-layers.mjs');
const check = (root?: string) => spawnSync(process.execPath, root ? [script, root] : [script], { encoding: 'utf8' });

describe('layers check', () => {
  it('passes on the project', () => {
    const result = check();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('fails on planted violations, naming file and line', () => {
    const dir = tempDir();
    try {
      for (const folder of ['renderer/src', 'shared', 'electron/store']) mkdirSync(join(dir.path, folder), { recursive: true });
      writeFileSync(join(dir.path, 'renderer/src/a.ts'), "import { ref } from 'vue';\nimport { ipcRenderer } from 'electron';\n");
      writeFileSync(join(dir.path, 'renderer/src/b.vue'), "<script setup lang=\"ts\">\nimport { readFileSync } from 'node:fs';\n</script>\n");
      writeFileSync(join(dir.path, 'renderer/src/c.ts'), "import {\n  openStore,\n} from '../../electron/store';\nimport type { SweeplabBridge } from '../../electron/app/bridge';\n");
      writeFileSync(join(dir.path, 'shared/d.ts'), "import { z } from 'zod';\nimport { EventEmitter } from 'events';\n");
      writeFileSync(join(dir.path, 'shared/e.ts'), "export { x } from '../electron/store';\n");
      writeFileSync(join(dir.path, 'electron/store/f.ts'), "import App from '../../renderer/src/App.vue';\n");
      const result = check(dir.path);
      expect(result.status).toBe(1);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toEqual([
        "shared/d.ts:2: shared/ must stay platform-free: it may import only zod, not 'events'",
        'shared/e.ts:1: shared/ may only import shared/ files, not ../electron/store',
        "renderer/src/a.ts:2: renderer/ must not import 'electron' (use the API client)",
        "renderer/src/b.vue:2: renderer/ must not import Node built-in 'node:fs'",
        'renderer/src/c.ts:1: renderer/ must not import main-process code (electron/store)',
        'electron/store/f.ts:1: electron/ must not import renderer code (renderer/src/App.vue)',
        'layers check: 6 violations',
      ]);
    } finally {
      dir.remove();
    }
  });

  it('fails on a back-arrow planted inside a copy of electron/, and on the raw database or a folder importing its own index', () => {
    const dir = tempDir();
    try {
      // A copy of the real tree: it passes as it is …
      for (const folder of ['electron', 'shared', 'renderer']) cpSync(join(appRoot(), folder), join(dir.path, folder), { recursive: true });
      expect(check(dir.path).status).toBe(0);
      // … then the store (bottom floor) reaches up to the scheduler, the scheduler to the service,
      // the engine to the raw database, and a CLI subcommand to cli/index.ts.
      const plant = (file: string, line: string) => writeFileSync(join(dir.path, file), `${line}\n`, { flag: 'a' });
      plant('electron/store/runs.ts', "import type { SweepScheduler } from '../sweeps/scheduler';");
      plant('electron/sweeps/grid.ts', "import { createService } from '../service';");
      plant('electron/engine/rng.ts', "import { openDatabase } from '../store/db';");
      plant('electron/cli/runs.ts', "import { buildProgram } from './index';");
      const result = check(dir.path);
      expect(result.status).toBe(1);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(5);
      expect(lines).toContainEqual(expect.stringMatching(/^electron\/store\/runs\.ts:\d+: electron\/store \(floor 0\) must not import electron\/sweeps \(floor 2\)/));
      expect(lines).toContainEqual(expect.stringMatching(/^electron\/sweeps\/grid\.ts:\d+: electron\/sweeps \(floor 2\) must not import electron\/service \(floor 7\)/));
      expect(lines).toContainEqual(expect.stringMatching(/^electron\/engine\/rng\.ts:\d+: only electron\/store\/ may reach the raw database/));
      expect(lines).toContainEqual(expect.stringMatching(/^electron\/cli\/runs\.ts:\d+: .*imports its own folder's index\.ts/));
      expect(lines.at(-1)).toBe('layers check: 4 violations');
    } finally {
      dir.remove();
    }
  });

  it('asks for a floor for a new folder inside electron/', () => {
    const dir = tempDir();
    try {
      mkdirSync(join(dir.path, 'electron/newthing'), { recursive: true });
      mkdirSync(join(dir.path, 'electron/store'), { recursive: true });
      writeFileSync(join(dir.path, 'electron/newthing/a.ts'), "import { x } from '../store/b';\n");
      writeFileSync(join(dir.path, 'electron/store/b.ts'), 'export const x = 1;\n');
      const result = check(dir.path);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('electron/newthing has no floor in scripts/check-layers.mjs');
    } finally {
      dir.remove();
    }
  });
});
