import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
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
});
