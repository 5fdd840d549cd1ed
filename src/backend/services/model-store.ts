/**
 * Trained models under KTRDR_DATA_MODELS_DIR: `<id>.json` holds the whole
 * artifact (weights included) and `<id>.summary.json` what `GET /models`
 * lists, so listing never reads weights. Both are written atomically, the
 * summary last, so a model is listed only once it is complete. A model id is
 * never overwritten: the same upload again (a retry) is accepted, another one
 * under a taken id is a conflict.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelArtifact, ModelId, ModelSummary } from '../../api/contract.js';
import { conflict, KtrdrError, notFound } from '../../common/errors.js';
import { safeFileName, writeFileAtomic, writeFileIfAbsent } from '../../common/files.js';

const SUMMARY_SUFFIX = '.summary.json';

function parseJsonOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export class ModelStore {
  constructor(private readonly directory: string) {}

  async save(artifact: ModelArtifact): Promise<void> {
    const name = safeFileName(artifact.model_id);
    const path = join(this.directory, `${name}.json`);
    const content = JSON.stringify(artifact);
    if (!(await writeFileIfAbsent(path, content)) && (await readFile(path, 'utf8')) !== content) {
      throw conflict(`model '${artifact.model_id}' already exists and a model id is never overwritten; upload it under another id`);
    }
    await writeFileAtomic(join(this.directory, `${name}${SUMMARY_SUFFIX}`), JSON.stringify(ModelSummary.parse(artifact)));
  }

  /** Newest first. Unreadable summaries are skipped: one bad file must not hide the others. */
  async list(): Promise<ModelSummary[]> {
    let files: string[];
    try {
      files = await readdir(this.directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const summaries = await Promise.all(
      files
        .filter((file) => file.endsWith(SUMMARY_SUFFIX))
        .map(async (file) => {
          const parsed = ModelSummary.safeParse(parseJsonOrNull(await readFile(join(this.directory, file), 'utf8').catch(() => 'null')));
          return parsed.success ? parsed.data : null;
        }),
    );
    return summaries.filter((s): s is ModelSummary => s !== null).sort((a, b) => b.created_at.localeCompare(a.created_at));
  }

  /** Deletes a model: its summary first (it leaves the list at once), then its artifact. NOT_FOUND when there is none. */
  async remove(modelId: string): Promise<void> {
    await this.get(modelId);
    const name = safeFileName(modelId);
    await rm(join(this.directory, `${name}${SUMMARY_SUFFIX}`), { force: true });
    await rm(join(this.directory, `${name}.json`), { force: true });
  }

  /**
   * The artifact of a model; NOT_FOUND when there is none, including when its id could not name a model (too long,
   * `..`, a summary file's name) and when its file does not hold a valid model (a corrupt or foreign file).
   */
  async get(modelId: string): Promise<ModelArtifact> {
    if (!ModelId.safeParse(modelId).success) throw notFound('model', modelId);
    let text: string;
    try {
      text = await readFile(join(this.directory, `${safeFileName(modelId)}.json`), 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENAMETOOLONG') throw notFound('model', modelId);
      throw error;
    }
    const parsed = ModelArtifact.safeParse(parseJsonOrNull(text));
    if (!parsed.success) {
      throw new KtrdrError('NOT_FOUND', `model '${modelId}' cannot be used: its file under KTRDR_DATA_MODELS_DIR does not hold a valid model (corrupt or not a model); train it again`);
    }
    return parsed.data;
  }
}
