// The floor plan (DESIGN.md §7): imports point down, ui → state → canvas/gpu → convert →
// models/preprocess/image → diffusion, the CLI reuses the floors below gpu, and no two
// modules import each other, directly or around a loop. Each folder's CONTEXT.md says the
// same in words; this test keeps both true.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname);

/** What each folder may import besides itself. Tests may also use src/test and the CLI's Node runtime. */
export const MAY_IMPORT: Record<string, string[]> = {
  diffusion: [],
  image: ['diffusion'],
  preprocess: ['diffusion'],
  models: ['diffusion'],
  convert: ['models', 'diffusion'],
  canvas: ['preprocess', 'image', 'diffusion'],
  gpu: ['convert', 'models', 'preprocess', 'image', 'diffusion'],
  cli: ['convert', 'models', 'preprocess', 'image', 'diffusion'],
  state: ['gpu', 'canvas', 'convert', 'models', 'preprocess', 'image', 'diffusion'],
  ui: ['state', 'canvas', 'gpu', 'convert', 'models', 'preprocess', 'image', 'diffusion'],
  test: ['scripts', 'gpu', 'cli', 'convert', 'models', 'preprocess', 'image', 'diffusion'],
};

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
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(import type\s[^;]*?from\s+|from\s+|import\s*\(\s*|import\s+)'(\.{1,2}\/[^']+)'/g)]
    .filter((m) => !valuesOnly || !(m[1]!.startsWith('import type') || m[1]!.startsWith('import(')))
    .map((m) => m[2]!);
  return specs.filter((s) => !s.includes('?')).map((s) => resolve(dirname(file), s));
}

const production = sourceFiles(SRC).filter((f) => !isTest(f) && f !== join(SRC, 'main.tsx'));

describe('imports', () => {
  it('point down the floor plan, in every production file', () => {
    const upward: string[] = [];
    for (const file of production) {
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
      const context = readFileSync(join(SRC, folder, 'CONTEXT.md'), 'utf8');
      const line = context.split('\n').find((l) => l.startsWith('May import:'));
      expect(line, `${folder}/CONTEXT.md has a "May import:" line`).toBeDefined();
      const named = [...line!.matchAll(/`(?:src\/(\w+)|(scripts)\/)/g)].map((m) => m[1] ?? m[2]!);
      expect([...new Set(named)].sort(), `${folder}/CONTEXT.md`).toEqual([...allowed].sort());
    }
  });
});
