// The tiny set is stale when any generator source changed since it was written:
// a hash of those sources is stored beside the set.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const STAMP_FILE = 'generator.sha256';
const SOURCES = ['scripts/models', 'src/convert', 'src/models/onnx-graph.ts', 'src/models/set-layout.ts', 'src/diffusion/float16.ts', 'src/diffusion/byte-unicode.ts', 'src/diffusion/residuals.ts'];

export function generatorHash(root = process.cwd()): string {
  const hash = createHash('sha256');
  for (const source of SOURCES) {
    const path = join(root, source);
    const files = source.endsWith('.ts')
      ? [path]
      : readdirSync(path)
          .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
          .sort()
          .map((f) => join(path, f));
    for (const f of files) hash.update(f.slice(root.length)).update(readFileSync(f));
  }
  return hash.digest('hex');
}
