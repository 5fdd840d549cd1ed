/**
 * One writer per PGlite directory. PGlite runs PostgreSQL inside the process,
 * so nothing stops a second process from opening the same files, and two
 * writers silently lose each other's data. A lock file holding the owner's pid
 * is created atomically before the database is opened (the pid is written to a
 * private file which is then hard-linked to the lock name: like O_EXCL, of two
 * processes racing one wins, and the lock is never seen empty), and removed
 * when the store closes. A lock left by a process that no longer exists
 * (kill -9, power loss) is taken over.
 */
import { randomUUID } from 'node:crypto';
import { link, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createError } from '../common/errors.js';

export const LOCK_FILE_NAME = 'ktrdr.lock';

/** Another live process holds the directory. */
export class DirectoryLockedError extends createError('DirectoryLockedError', {
  message: (directory: string, holderPid: number) =>
    `the PGlite directory ${directory} is in use by process ${holderPid} (lock file ${LOCK_FILE_NAME}); ` +
    'only one backend may use a PGlite directory at a time: stop that process, or point KTRDR_DB_DIR elsewhere',
  fields: (directory, holderPid) => ({ directory, holderPid }),
}) {}

export interface DirectoryLock {
  readonly path: string;
  /** Removes the lock file, unless another process took it over meanwhile. Idempotent. */
  release(): Promise<void>;
}

export interface DirectoryLockOptions {
  readonly pid?: number;
  /** Whether a process exists; injected by tests. */
  readonly isAlive?: (pid: number) => boolean;
  /** Told when a stale lock is taken over. */
  readonly onStaleLock?: (message: string) => void;
}

export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock of `directory` (which must exist); throws DirectoryLockedError when a live process holds it. */
export async function lockDirectory(directory: string, options: DirectoryLockOptions = {}): Promise<DirectoryLock> {
  const pid = options.pid ?? process.pid;
  const isAlive = options.isAlive ?? processIsAlive;
  const path = join(directory, LOCK_FILE_NAME);
  const candidate = `${path}.${pid}-${randomUUID()}`;
  await writeFile(candidate, `${pid}\n`, { encoding: 'utf8', flag: 'wx' });
  try {
    // Two rounds: the first may find a stale lock and remove it.
    for (let round = 0; round < 2; round++) {
      if (await linked(candidate, path)) return lockHeld(path, pid);
      await removeIfStale(directory, path, pid, isAlive, options.onStaleLock);
    }
    throw new DirectoryLockedError(directory, (await readHolder(path)) ?? -1);
  } finally {
    await rm(candidate, { force: true });
  }
}

async function linked(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

async function removeIfStale(
  directory: string,
  path: string,
  pid: number,
  isAlive: (pid: number) => boolean,
  onStaleLock: ((message: string) => void) | undefined,
): Promise<void> {
  const holder = await readHolder(path);
  if (holder === undefined) return; // released meanwhile
  // The same pid: this very process opened the directory already (two stores would still be two writers).
  if (holder !== null && (holder === pid || isAlive(holder))) throw new DirectoryLockedError(directory, holder);
  onStaleLock?.(
    `taking over the lock of ${directory}: ${holder === null ? 'its lock file names no process' : `process ${holder} that held it no longer exists`}`,
  );
  await rm(path, { force: true });
}

/** The pid in the lock file; null when it holds no pid, undefined when the file is gone. */
async function readHolder(path: string): Promise<number | null | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const pid = Number(text.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
}

function lockHeld(path: string, pid: number): DirectoryLock {
  let released = false;
  return {
    path,
    async release() {
      if (released) return;
      released = true;
      if ((await readHolder(path)) === pid) await rm(path, { force: true });
    },
  };
}
