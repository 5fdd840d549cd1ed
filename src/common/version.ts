import { packageManifest } from './package-root.js';

/** ktrdr's version, from package.json. */
export function packageVersion(): string {
  try {
    return packageManifest().version;
  } catch {
    return '0.0.0';
  }
}
