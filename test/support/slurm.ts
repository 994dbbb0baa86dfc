/**
 * A throwaway single-node Slurm for tests (Debian's slurmctld, slurmd and munge): munged with a
 * private key and socket, a slurm.conf that names this host with free ports, both daemons in the
 * foreground under SLURM_CONF. Needs root (slurmd starts jobs as their user); `start` throws with
 * the reason when it cannot run here.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, hostname } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis';

export function slurmUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'not root: slurmd must run as root';
  for (const bin of ['slurmctld', 'slurmd', 'munged', 'sbatch', 'sinfo']) {
    if (spawnSync('which', [bin]).status !== 0) return `${bin} is not installed (Debian: slurmctld slurmd slurm-client munge)`;
  }
  return null;
}

export interface TestSlurm {
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startSlurm(dir: string): Promise<TestSlurm> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const key = join(dir, 'munge.key');
  writeFileSync(key, randomBytes(1024), { mode: 0o600 });
  const socket = join(dir, 'munge.socket');
  const children: ChildProcess[] = [];
  const munged = spawn('munged', ['-F', '-f', `--key-file=${key}`, `--socket=${socket}`, `--pid-file=${join(dir, 'munged.pid')}`, `--log-file=${join(dir, 'munged.log')}`, `--seed-file=${join(dir, 'munged.seed')}`], { stdio: 'ignore' });
  children.push(munged);
  const [ctldPort, dPort] = [await freePort(), await freePort()];
  const host = hostname();
  for (const sub of ['state', 'spool']) mkdirSync(join(dir, sub), { recursive: true });
  const conf = join(dir, 'slurm.conf');
  writeFileSync(
    conf,
    [
      'ClusterName=sweeplabtest',
      `SlurmctldHost=${host}`,
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${dPort}`,
      'AuthType=auth/munge',
      'CredType=cred/munge',
      `AuthInfo=socket=${socket}`,
      'SlurmUser=root',
      'SlurmdUser=root',
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_CPU',
      'SchedulerType=sched/builtin',
      'MpiDefault=none',
      'JobAcctGatherType=jobacct_gather/none',
      'AccountingStorageType=accounting_storage/none',
      'ReturnToService=2',
      `StateSaveLocation=${join(dir, 'state')}`,
      `SlurmdSpoolDir=${join(dir, 'spool')}`,
      `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
      `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
      `SlurmctldLogFile=${join(dir, 'slurmctld.log')}`,
      `SlurmdLogFile=${join(dir, 'slurmd.log')}`,
      `NodeName=${host} CPUs=${cpus().length} State=UNKNOWN`,
      'PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP',
      '',
    ].join('\n'),
  );
  const env = { ...process.env, SLURM_CONF: conf };
  await sleep(300);
  children.push(spawn('slurmctld', ['-D', '-i'], { env, stdio: 'ignore' }));
  await sleep(500);
  children.push(spawn('slurmd', ['-D'], { env, stdio: 'ignore' }));
  const stop = async () => {
    spawnSync('scancel', ['--user=root'], { env });
    for (const c of children.reverse()) if (c.exitCode === null) c.kill('SIGTERM');
    await sleep(300);
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  };
  for (let i = 0; i < 60; i++) {
    const info = spawnSync('sinfo', ['-h', '-o', '%t'], { env, encoding: 'utf8' });
    if (info.status === 0 && /idle|mix/.test(info.stdout)) return { env, stop };
    await sleep(250);
  }
  await stop();
  throw new Error(`the test Slurm did not come up (see ${dir}/slurmctld.log, slurmd.log)`);
}
