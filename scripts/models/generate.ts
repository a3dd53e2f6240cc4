// The model-set generator's command line:
//   npm run models:tiny       → public/models/tiny-sd15 (tests, offline studio)
//   npm run models:fullsize   → .models/fullsize-sd15 (benchmarks; git-ignored)
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FULLSIZE, TINY } from '../../src/convert/presets.ts';
import { FULLSIZE_OUT, generateSet, TINY_OUT } from './generate-set.ts';
import { generatorHash, STAMP_FILE } from './stamp.ts';

async function main() {
  const fullsize = process.argv.includes('--fullsize');
  const out = fullsize ? FULLSIZE_OUT : TINY_OUT;
  const sizes = await generateSet(fullsize ? FULLSIZE : TINY, out);
  const total = Object.values(sizes).reduce((a, b) => a + b, 0);
  console.log(`Total ONNX bytes: ${(total / 1024 / 1024).toFixed(2)} MiB`);
  if (!fullsize) writeFileSync(join(out, STAMP_FILE), generatorHash() + '\n');
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
