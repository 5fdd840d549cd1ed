/**
 * Depth and size bounds of a JSON text, checked in one linear scan of the text
 * before it is parsed. Nothing downstream (zod, the store, JSON.stringify) then
 * meets a value deep enough to overflow a stack or wide enough to exhaust the heap.
 */

export interface JsonLimits {
  /** Most nested arrays and objects (the top-level value counts as depth 1). */
  readonly maxDepth: number;
  /** Most elements of one array or members of one object. */
  readonly maxEntries: number;
}

/** Real payloads (model weights, optimizer state, results) stay under 10 levels; 64 leaves room without risk. */
export const JSON_MAX_DEPTH = 64;
/** A backtest's thinned equity curve or a weight matrix row is far below this. */
export const JSON_MAX_ENTRIES = 1_000_000;

export const DEFAULT_JSON_LIMITS: JsonLimits = { maxDepth: JSON_MAX_DEPTH, maxEntries: JSON_MAX_ENTRIES };

export interface JsonLimitViolation {
  /** Where, as `body.a.0.b` (the first levels only, for a deep value). */
  readonly path: string;
  readonly message: string;
}

const OPEN_OBJECT = 0x7b; // {
const CLOSE_OBJECT = 0x7d; // }
const OPEN_ARRAY = 0x5b; // [
const CLOSE_ARRAY = 0x5d; // ]
const COMMA = 0x2c;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Levels of a path named in a message; a deeper path ends in "…". */
const PATH_LEVELS_SHOWN = 8;

/**
 * The first bound `text` breaks, or null. One pass over the characters and
 * memory proportional to `maxDepth`; malformed JSON is left to the parser.
 */
export function checkJsonLimits(text: string, limits: JsonLimits = DEFAULT_JSON_LIMITS): JsonLimitViolation | null {
  const { maxDepth, maxEntries } = limits;
  // Per open container (index = depth - 1): is it an object, entries seen, where its current key starts and ends.
  const isObject = new Uint8Array(maxDepth);
  const entries = new Float64Array(maxDepth);
  const keyStart = new Int32Array(maxDepth);
  const keyEnd = new Int32Array(maxDepth);
  let depth = 0;
  let expectKey = false;

  const where = (levels: number): string => describePath(text, levels, isObject, entries, keyStart, keyEnd);

  for (let index = 0; index < text.length; index++) {
    const char = text.charCodeAt(index);
    if (char <= 0x20) continue; // JSON whitespace
    const closes = char === CLOSE_OBJECT || char === CLOSE_ARRAY;
    // The first value (or key) of a container starts: it counts as one entry.
    if (depth > 0 && entries[depth - 1] === 0 && !closes) entries[depth - 1] = 1;
    if (char === QUOTE) {
      const start = index;
      for (index++; index < text.length; index++) {
        const inner = text.charCodeAt(index);
        if (inner === BACKSLASH) index++;
        else if (inner === QUOTE) break;
      }
      if (expectKey) {
        keyStart[depth - 1] = start + 1;
        keyEnd[depth - 1] = index;
        expectKey = false;
      }
    } else if (char === OPEN_OBJECT || char === OPEN_ARRAY) {
      if (depth === maxDepth) {
        return { path: where(depth), message: `nested deeper than ${maxDepth} levels of arrays and objects (the limit of every request body)` };
      }
      isObject[depth] = char === OPEN_OBJECT ? 1 : 0;
      entries[depth] = 0;
      keyStart[depth] = -1;
      depth++;
      expectKey = char === OPEN_OBJECT;
    } else if (closes) {
      if (depth > 0) depth--;
      expectKey = false;
    } else if (char === COMMA && depth > 0) {
      const count = ++entries[depth - 1]!;
      if (count > maxEntries) {
        const kind = isObject[depth - 1] ? 'members' : 'elements';
        return { path: where(depth - 1), message: `has more than ${maxEntries} ${kind} (the limit of every array and object in a request body)` };
      }
      expectKey = isObject[depth - 1] === 1;
    }
  }
  return null;
}

/** `body.a.0.b` for the first `levels` open containers (only when a message needs it). */
function describePath(
  text: string,
  levels: number,
  isObject: Uint8Array,
  entries: Float64Array,
  keyStart: Int32Array,
  keyEnd: Int32Array,
): string {
  const segments = ['body'];
  // Each open container contributes its current key or index: together, the path of what comes next.
  for (let level = 0; level < Math.min(levels, PATH_LEVELS_SHOWN); level++) {
    if (isObject[level]) {
      const start = keyStart[level] ?? -1;
      segments.push(start < 0 ? '?' : text.slice(start, Math.min(keyEnd[level] ?? start, start + 40)));
    } else {
      segments.push(String(Math.max(0, (entries[level] ?? 1) - 1)));
    }
  }
  if (levels > PATH_LEVELS_SHOWN) segments.push('…');
  return segments.join('.');
}
