/**
 * Who holds a TCP port, so that "port 8000 is already in use" can name the
 * process. Linux only, and only for processes whose file descriptors this user
 * may read: a listening socket's inode from /proc/net/tcp{,6}, then the process
 * with a descriptor on `socket:[inode]`. Anything else answers null, and the
 * caller says "another process".
 */
import { readdir, readFile, readlink } from 'node:fs/promises';

export interface PortHolder {
  readonly pid: number;
  /** Its command line, shortened for a message. */
  readonly command: string;
}

/** TCP state 0A is LISTEN in /proc/net/tcp. */
const LISTEN = '0A';
const COMMAND_CHARS = 80;

async function listeningInodes(port: number, procRoot: string): Promise<Set<string>> {
  const inodes = new Set<string>();
  for (const table of ['net/tcp', 'net/tcp6']) {
    const text = await readFile(`${procRoot}/${table}`, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      if (local === undefined || fields[3] !== LISTEN) continue;
      const hexPort = local.slice(local.lastIndexOf(':') + 1);
      if (Number.parseInt(hexPort, 16) === port && fields[9] !== undefined && fields[9] !== '0') inodes.add(fields[9]);
    }
  }
  return inodes;
}

async function commandOf(pid: number, procRoot: string): Promise<string> {
  const raw = await readFile(`${procRoot}/${pid}/cmdline`, 'utf8').catch(() => '');
  const command = raw.split('\0').filter(Boolean).join(' ');
  return command.length > COMMAND_CHARS ? `${command.slice(0, COMMAND_CHARS - 3)}...` : command;
}

/** The process listening on `port`, or null when it cannot be told. */
export async function findPortHolder(port: number, procRoot = '/proc'): Promise<PortHolder | null> {
  const inodes = await listeningInodes(port, procRoot);
  if (inodes.size === 0) return null;
  const entries = await readdir(procRoot).catch(() => [] as string[]);
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const fds = await readdir(`${procRoot}/${entry}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`${procRoot}/${entry}/fd/${fd}`).catch(() => '');
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (match && inodes.has(match[1] as string)) {
        const pid = Number(entry);
        return { pid, command: await commandOf(pid, procRoot) };
      }
    }
  }
  return null;
}

/** "by process 1234 (node server.js)" or "by another process". */
export function describeHolder(holder: PortHolder | null): string {
  if (!holder) return 'by another process';
  return holder.command ? `by process ${holder.pid} (${holder.command})` : `by process ${holder.pid}`;
}
