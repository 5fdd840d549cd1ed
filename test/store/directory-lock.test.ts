import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DirectoryLockedError, LOCK_FILE_NAME, lockDirectory } from '../../src/store/directory-lock.js';

const scratch = () => mkdtempSync(join(tmpdir(), 'ktrdr-lock-'));

/** The pid of a process that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  return child.pid as number;
}

describe('directory lock', () => {
  it('writes the holder pid, refuses a second holder naming the pid and the directory, and is released', async () => {
    const dir = scratch();
    const lock = await lockDirectory(dir, { pid: 4242, isAlive: () => true });
    expect(readFileSync(join(dir, LOCK_FILE_NAME), 'utf8').trim()).toBe('4242');

    const error: unknown = await lockDirectory(dir, { pid: 5151, isAlive: () => true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DirectoryLockedError);
    expect((error as DirectoryLockedError).holderPid).toBe(4242);
    expect((error as Error).message).toContain(`${dir} is in use by process 4242`);

    await lock.release();
    expect(existsSync(join(dir, LOCK_FILE_NAME))).toBe(false);
    const again = await lockDirectory(dir, { pid: 5151, isAlive: () => true });
    await again.release();
    // No candidate files are left behind, whoever won.
    expect(readdirSync(dir)).toEqual([]);
  });

  it('takes over a lock whose process no longer exists, saying so', async () => {
    const dir = scratch();
    const dead = deadPid();
    writeFileSync(join(dir, LOCK_FILE_NAME), `${dead}\n`);
    const notices: string[] = [];
    const lock = await lockDirectory(dir, { onStaleLock: (message) => notices.push(message) });
    expect(readFileSync(join(dir, LOCK_FILE_NAME), 'utf8').trim()).toBe(String(process.pid));
    expect(notices).toEqual([`taking over the lock of ${dir}: process ${dead} that held it no longer exists`]);
    await lock.release();
  });

  it('refuses the same process twice (two stores on one directory are two writers)', async () => {
    const dir = scratch();
    const lock = await lockDirectory(dir);
    await expect(lockDirectory(dir)).rejects.toThrow(`in use by process ${process.pid}`);
    await lock.release();
  });

  it('does not remove a lock another process took over meanwhile', async () => {
    const dir = scratch();
    const lock = await lockDirectory(dir, { pid: 1111, isAlive: () => false });
    await lockDirectory(dir, { pid: 2222, isAlive: () => false }); // took it over: 1111 looked dead
    await lock.release();
    expect(readFileSync(join(dir, LOCK_FILE_NAME), 'utf8').trim()).toBe('2222');
  });

  it('of many concurrent takers exactly one wins', async () => {
    const dir = scratch();
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, index) => lockDirectory(dir, { pid: 100 + index, isAlive: () => true })));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((result) => result.status === 'rejected').every((result) => (result as PromiseRejectedResult).reason instanceof DirectoryLockedError)).toBe(true);
  });
});
