#!/usr/bin/env node
// The `sweeplab` command. The CLI is TypeScript run through tsx, so a clone works right after
// `npm install` with no build step; the packaged desktop app bundles its own compiled copy.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../electron/cli/index.ts');
process.exitCode = await main(process.argv);
