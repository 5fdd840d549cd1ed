import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/common/files.js';

describe('writeFileAtomic', () => {
  it('writes the file and leaves nothing else behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ktrdr-files-'));
    await writeFileAtomic(join(dir, 'sub', 'a.json'), '{"a":1}');
    expect(readFileSync(join(dir, 'sub', 'a.json'), 'utf8')).toBe('{"a":1}');
    expect(readdirSync(join(dir, 'sub'))).toEqual(['a.json']);
  });

  it('removes its temporary file when the rename fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ktrdr-files-'));
    // A directory where the file should go: the write of the temporary succeeds, the rename cannot.
    mkdirSync(join(dir, 'taken.json'));
    await expect(writeFileAtomic(join(dir, 'taken.json'), 'x')).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['taken.json']);
  });

  it('fails without creating anything when the directory is a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ktrdr-files-'));
    writeFileSync(join(dir, 'not-a-dir'), '');
    await expect(writeFileAtomic(join(dir, 'not-a-dir', 'a.json'), 'x')).rejects.toThrow(/EEXIST|ENOTDIR/);
    expect(readdirSync(dir)).toEqual(['not-a-dir']);
  });
});
