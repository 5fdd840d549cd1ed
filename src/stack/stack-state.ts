/**
 * The state file of a running `ktrdr up` (`ktrdr-up.json` in KTRDR_DATA_DIR):
 * the supervisor's pid and its children, rewritten when a worker is restarted,
 * removed when the stack stops. `ktrdr ps` reads it, `ktrdr down` signals the
 * pid in it, and a second `ktrdr up` on the same data directory refuses to start.
 * A file left by a supervisor that was killed names a dead pid: it counts as absent.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../common/files.js';

export const STACK_STATE_FILE = 'ktrdr-up.json';
export const STACK_LOG_FILE = 'ktrdr-up.log';

export const StackChildState = z.object({
  name: z.string(),
  pid: z.number().int(),
  port: z.number().int(),
  started_at: z.iso.datetime(),
  restarts: z.number().int().min(0),
});
export type StackChildState = z.infer<typeof StackChildState>;

export const StackState = z.object({
  pid: z.number().int(),
  started_at: z.iso.datetime(),
  api_url: z.string(),
  /** Where a detached stack writes its output; null in the foreground. */
  log_file: z.string().nullable(),
  processes: z.array(StackChildState),
});
export type StackState = z.infer<typeof StackState>;

export const stackStatePath = (dataDir: string): string => join(dataDir, STACK_STATE_FILE);

/** True when a process with this pid exists (signal 0 checks without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The state of the stack running on `dataDir`, or null when none is (no file, an unreadable one, or a dead pid). */
export async function readStackState(dataDir: string): Promise<StackState | null> {
  const state = await readStateFile(dataDir);
  return state && processAlive(state.pid) ? state : null;
}

async function readStateFile(dataDir: string): Promise<StackState | null> {
  const text = await readFile(stackStatePath(dataDir), 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    const state = StackState.safeParse(JSON.parse(text));
    return state.success ? state.data : null;
  } catch {
    return null;
  }
}

export async function writeStackState(dataDir: string, state: StackState): Promise<void> {
  await writeFileAtomic(stackStatePath(dataDir), `${JSON.stringify(state, null, 2)}\n`);
}

/** Removes the file if it is still this supervisor's (a newer stack may have replaced a stale one). */
export async function removeStackState(dataDir: string, pid: number): Promise<void> {
  const state = await readStateFile(dataDir);
  if (state && state.pid !== pid) return;
  await rm(stackStatePath(dataDir), { force: true });
}
