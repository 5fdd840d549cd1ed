/**
 * A migrated PGlite data directory shared by the process tests: a backend started on a fresh directory runs
 * PostgreSQL's initdb and every migration first (11–14 s on the busy 2-core machine, most of a backend's start-up),
 * while a copy of this template starts as an existing database. One template per PGlite version and migrations
 * text, under the OS temporary directory, built once by whichever test file needs it first (concurrent builders
 * race with a rename; the loser uses the winner's).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCK_FILE_NAME } from '../../src/store/directory-lock.js';
import { openStore, type MemoryImageCache } from '../../src/store/index.js';
import { REPO_ROOT } from './processes.js';

const READY = 'template-ready';

function templateKey(): string {
  const hash = createHash('sha256');
  hash.update(readFileSync(join(REPO_ROOT, 'node_modules/@electric-sql/pglite/package.json')));
  hash.update(readFileSync(join(REPO_ROOT, 'src/store/migrations.ts')));
  return hash.digest('hex').slice(0, 16);
}

let building: Promise<string> | null = null;

/** The template's path, built when missing. */
export function pgliteTemplate(): Promise<string> {
  building ??= (async () => {
    const target = join(tmpdir(), `ktrdr-test-pglite-${templateKey()}`);
    if (existsSync(join(target, READY))) return target;
    const scratch = await mkdtemp(join(tmpdir(), 'ktrdr-test-pglite-build-'));
    const store = await openStore({ driver: 'pglite', dir: scratch, host: '', port: 0, name: '', user: '', password: '', echo: false });
    await store.close();
    await writeFile(join(scratch, READY), '');
    try {
      await rename(scratch, target);
    } catch (error) {
      // Another file built it meanwhile (the target exists and is not empty): use theirs.
      await rm(scratch, { recursive: true, force: true });
      if (!existsSync(join(target, READY))) throw error;
    }
    return target;
  })();
  building.catch(() => (building = null));
  return building;
}

/** Gives `dbDir` a copy of the migrated template, unless it already holds a database (a restarted backend's). */
export async function seedPgliteDir(dbDir: string): Promise<void> {
  if (existsSync(dbDir)) return;
  await cp(await pgliteTemplate(), dbDir, { recursive: true, filter: (source) => !source.endsWith(READY) && !source.endsWith(LOCK_FILE_NAME) });
}

/**
 * The migrated in-memory image of `MemoryStoreTemplate`, kept as a file beside the template directory so that only
 * the first test file of a run pays for initdb (11–50 s on the busy 2-core machine; a restore takes 1–3 s).
 * Written to a scratch file and renamed, so a concurrent reader never sees half of it.
 */
export function memoryImageCache(): MemoryImageCache {
  const file = join(tmpdir(), `ktrdr-test-pglite-${templateKey()}.image`);
  return {
    async load() {
      return existsSync(file) ? new Blob([await readFile(file)]) : null;
    },
    async save(image) {
      const scratch = `${file}.${process.pid}.tmp`;
      await writeFile(scratch, new Uint8Array(await image.arrayBuffer()));
      await rename(scratch, file);
    },
  };
}
