/**
 * The desktop shell's IPC binding, without Electron's binary: every call's sender frame is checked
 * before the service sees it.
 */
import { describe, expect, it } from 'vitest';
import type { IpcMain, WebFrameMain } from 'electron';
import { bindIpc } from '../../electron/app/ipc';
import { testRuntime } from '../support/runtime';
import { callChannel } from '../../shared/contract';
import { CONTENT_SECURITY_POLICY, DESKTOP_CONTENT_SECURITY_POLICY } from '../../electron/server/static';

describe('desktop IPC', () => {
  it('answers only frames the shell trusts', async () => {
    const t = await testRuntime();
    const handlers = new Map<string, (event: { senderFrame: WebFrameMain | null }, payload: unknown) => unknown>();
    const ipcMain = {
      handle: (channel: string, fn: never) => handlers.set(channel, fn),
      removeHandler: (channel: string) => handlers.delete(channel),
    } as unknown as IpcMain;
    const app = { url: 'app://sweeplab/index.html' } as WebFrameMain;
    const unbind = bindIpc(ipcMain, t.runtime.service, t.runtime.events, () => null, (frame) => frame === app);
    try {
      const info = handlers.get(callChannel('app.info'))!;
      expect(await info({ senderFrame: app }, {})).toMatchObject({ ok: true, value: { transport: 'browser' } });
      for (const senderFrame of [null, { url: 'https://evil.example/' } as WebFrameMain]) {
        expect(await info({ senderFrame }, {})).toEqual({ ok: false, error: { code: 'permission_denied', message: 'IPC from a frame that is not the app' } });
      }
    } finally {
      unbind();
      await t.dispose();
    }
    expect(handlers.size).toBe(0);
  });

  it('keeps connect-src to what each front end uses', () => {
    expect(DESKTOP_CONTENT_SECURITY_POLICY).toContain("connect-src 'none'");
    expect(CONTENT_SECURITY_POLICY).toContain("connect-src 'self';");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/ws:|wss:/);
  });
});
