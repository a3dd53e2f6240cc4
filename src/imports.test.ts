// The floor plan (DESIGN.md §7): imports point down, ui → state → canvas / gpu → engine → convert →
// models/preprocess/image → diffusion, the CLI reuses the floors below gpu, the scripts and the
// browser tests use what runs without the UI, no two modules import each other, directly or
// around a loop, and the big packages stay in their rooms: onnxruntime-web in the gpu backend,
// React and Konva in the UI. Each folder's CONTEXT.md says the same in words; this test keeps both true.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname);
const ROOT = resolve(SRC, '..');

/** What each folder may import besides itself. Tests may also use src/test and the CLI's Node runtime. */
export const MAY_IMPORT: Record<string, string[]> = {
  diffusion: [],
  image: ['diffusion'],
  preprocess: ['diffusion'],
  models: ['diffusion'],
  convert: ['models', 'diffusion'],
  canvas: ['preprocess', 'image', 'diffusion'],
  engine: ['convert', 'models', 'preprocess', 'image', 'diffusion'],
  gpu: ['engine', 'convert', 'models', 'preprocess', 'image', 'diffusion'],
  cli: ['convert', 'models', 'preprocess', 'image', 'diffusion'],
  state: ['engine', 'canvas', 'convert', 'models', 'preprocess', 'image', 'diffusion'],
  ui: ['state', 'canvas', 'engine', 'convert', 'models', 'preprocess', 'image', 'diffusion'],
  test: ['scripts', 'engine', 'cli', 'convert', 'models', 'preprocess', 'image', 'diffusion'],
  scripts: ['test', 'engine', 'gpu', 'cli', 'convert', 'models', 'preprocess', 'image', 'diffusion'],
  e2e: ['scripts', 'test', 'canvas', 'engine', 'cli', 'convert', 'models', 'preprocess', 'image', 'diffusion'],
};

/** Packages only some files may import (subpaths included): the engine's runtime, and the UI's libraries. */
const PACKAGE_ROOMS: [RegExp, (rel: string) => boolean, string][] = [
  [/^onnxruntime-web(\/|$)/, (rel) => rel === 'gpu/backend.ts' || rel === 'gpu/captured-io.ts', 'gpu/backend.ts and gpu/captured-io.ts'],
  [/^(react|react-dom|react-konva|konva)(\/|$)/, (rel) => rel.startsWith('ui/') || rel === 'main.tsx', 'src/ui (and main.tsx, the entry)'],
];

/** Where a folder's CONTEXT.md is: src/<folder>/, or the top-level scripts/ and e2e/. */
const contextOf = (folder: string) => (folder === 'scripts' || folder === 'e2e' ? join(ROOT, folder, 'CONTEXT.md') : join(SRC, folder, 'CONTEXT.md'));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

const isTest = (file: string) => /\.test\.tsx?$/.test(file);
/** The top folder under src/, or "scripts" (the project's Node scripts) for files outside it. */
const folderOf = (file: string) => {
  const rel = relative(SRC, file);
  return rel.startsWith('../') ? rel.split('/')[1]! : rel.split('/')[0]!;
};

/**
 * Relative imports of a file, resolved to files: value and type imports alike, `import()`
 * types too, unless `valuesOnly`. A type import costs nothing at run time, and zustand's
 * slices pattern (CONVENTIONS.md §12) types each slice against the whole store, so loops
 * are checked over the imports that load code.
 */
function importsOf(file: string, valuesOnly = false): string[] {
  return specifiers(file, valuesOnly)
    .filter((s) => s.startsWith('.') && !s.includes('?'))
    .map((s) => withExtension(resolve(dirname(file), s)));
}

/** Every module a file names, in either quote style: relative paths and packages. */
function specifiers(file: string, valuesOnly = false): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(import type\s[^;]*?from\s+|export\s[^;]*?from\s+|from\s+|import\s*\(\s*|import\s+)(['"])([^'"\n]+)\2/g)]
    .filter((m) => !valuesOnly || !(m[1]!.startsWith('import type') || m[1]!.startsWith('import(')))
    .map((m) => m[3]!);
}

/** An extensionless import resolves as the bundler resolves it: .ts, .tsx, then a folder's index. */
function withExtension(path: string): string {
  if (/\.(tsx?|m?js|json|wgsl|css)$/.test(path)) return path;
  for (const candidate of [`${path}.ts`, `${path}.tsx`, join(path, 'index.ts')]) if (existsSync(candidate)) return candidate;
  return path;
}

const production = sourceFiles(SRC).filter((f) => !isTest(f) && f !== join(SRC, 'main.tsx'));
/** The project's Node scripts and browser tests: held to their own rule, tests included. */
const outside = [...sourceFiles(join(ROOT, 'scripts')), ...sourceFiles(join(ROOT, 'e2e'))];

describe('imports', () => {
  it('point down the floor plan, in every production file, script and browser test', () => {
    const upward: string[] = [];
    for (const file of [...production, ...outside]) {
      const from = folderOf(file);
      const allowed = MAY_IMPORT[from];
      if (!allowed) {
        upward.push(`${relative(SRC, file)}: folder "${from}" has no rule in MAY_IMPORT`);
        continue;
      }
      for (const target of importsOf(file)) {
        const to = folderOf(target);
        if (to !== from && !allowed.includes(to)) upward.push(`${relative(SRC, file)} imports ${relative(SRC, target)} (${from} may import ${allowed.join(', ') || 'nothing outside itself'})`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('keep onnxruntime-web in the gpu backend and React and Konva in the UI', () => {
    const misplaced: string[] = [];
    for (const file of sourceFiles(SRC).filter((f) => !isTest(f))) {
      const rel = relative(SRC, file);
      for (const spec of specifiers(file)) for (const [pkg, allowed, where] of PACKAGE_ROOMS) if (pkg.test(spec) && !allowed(rel)) misplaced.push(`${rel} imports ${spec} (only ${where} may)`);
    }
    expect(misplaced).toEqual([]);
  });

  it('form no loops between modules', () => {
    const graph = new Map(production.map((f) => [f, importsOf(f, true).filter((t) => production.includes(t))]));
    const loops: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const walk = (file: string, path: string[]) => {
      state.set(file, 'open');
      for (const next of graph.get(file) ?? []) {
        if (state.get(next) === 'open') loops.push([...path.slice(path.indexOf(next)), next].map((f) => relative(SRC, f)).join(' → '));
        else if (!state.has(next)) walk(next, [...path, next]);
      }
      state.set(file, 'done');
    };
    for (const file of production) if (!state.has(file)) walk(file, [file]);
    expect(loops).toEqual([]);
  });

  it('are listed in each folder’s CONTEXT.md, in the same words as the rule', () => {
    for (const [folder, allowed] of Object.entries(MAY_IMPORT)) {
      const context = readFileSync(contextOf(folder), 'utf8');
      const line = context.split('\n').find((l) => l.startsWith('May import:'));
      expect(line, `${folder}/CONTEXT.md has a "May import:" line`).toBeDefined();
      const named = [...line!.matchAll(/`(?:src\/(\w+)|(scripts)\/)/g)].map((m) => m[1] ?? m[2]!);
      expect([...new Set(named)].sort(), `${folder}/CONTEXT.md`).toEqual([...allowed].sort());
    }
  });
});
