import { ConfigurationError, type ConfigurationErrorOptions } from './errors.js';
import type { FieldMap, GroupValues, SettingsGroup } from './group.js';
import { resolveGroup, type GroupResolution } from './resolve.js';
import type { SettingsSources } from './sources.js';

/**
 * Cached access to settings groups. Sources are read once and each group is
 * resolved once, until `clear()`; a getter hands out the same frozen object.
 */
export class SettingsStore {
  private sourcesSnapshot: SettingsSources | null = null;
  private readonly cache = new Map<SettingsGroup, object>();

  constructor(
    private readonly readSources: () => SettingsSources,
    private readonly errorOptions: ConfigurationErrorOptions = {},
  ) {}

  sources(): SettingsSources {
    this.sourcesSnapshot ??= this.readSources();
    return this.sourcesSnapshot;
  }

  resolve<F extends FieldMap>(group: SettingsGroup<F>): GroupResolution<F> {
    return resolveGroup(group, this.sources());
  }

  /** The group's values; throws `ConfigurationError` naming every bad variable of the group. */
  get<F extends FieldMap>(group: SettingsGroup<F>): GroupValues<F> {
    const cached = this.cache.get(group as unknown as SettingsGroup);
    if (cached) return cached as GroupValues<F>;
    const resolution = this.resolve(group);
    if (!resolution.values) throw new ConfigurationError(resolution.issues, this.errorOptions);
    this.cache.set(group as unknown as SettingsGroup, resolution.values);
    return resolution.values;
  }

  /** Forget everything read, so the next access sees the current environment and file. */
  clear(): void {
    this.sourcesSnapshot = null;
    this.cache.clear();
  }

  /** Returns a getter bound to one group, e.g. `getWorkerSettings`. */
  getter<F extends FieldMap>(group: SettingsGroup<F>): () => GroupValues<F> {
    return () => this.get(group);
  }
}
