import { defineConfig } from 'electron-vite';
import vue from '@vitejs/plugin-vue';
import { resolve } from 'node:path';

/**
 * Three builds: the main process (plus the trainer child-process entry), the sandboxed preload
 * (CommonJS, every import bundled: a sandboxed preload cannot require packages), the Vue renderer.
 */
export default defineConfig({
  main: {
    build: {
      externalizeDeps: true,
      rollupOptions: {
        // CommonJS, not ESM: electron-vite's ESM "CommonJS shim" is inserted after the last text
        // that looks like an import, and strings such as 'import' in our code fooled it.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
        input: {
          index: resolve(import.meta.dirname, 'electron/app/main.ts'),
          // The trainer child process (utilityProcess), bundled beside the main process.
          trainer: resolve(import.meta.dirname, 'electron/trainer/entry.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(import.meta.dirname, 'electron/app/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(import.meta.dirname, 'renderer'),
    plugins: [vue()],
    build: {
      outDir: resolve(import.meta.dirname, 'out/renderer'),
      minify: true,
      rollupOptions: { input: resolve(import.meta.dirname, 'renderer/index.html') },
      chunkSizeWarningLimit: 2000,
    },
  },
});
