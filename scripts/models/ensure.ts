// Runs before dev, start and test: regenerates the tiny set only when missing or stale.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatorHash, STAMP_FILE } from './stamp.ts';
import { generateSet, TINY_OUT } from './generate-set.ts';
import { TINY } from '../../src/convert/presets.ts';
import { writeFileSync } from 'node:fs';

const stampPath = join(TINY_OUT, STAMP_FILE);
const want = generatorHash();
const have = existsSync(stampPath) ? readFileSync(stampPath, 'utf8').trim() : null;
if (have === want) {
  console.log(`tiny model set is up to date (${TINY_OUT})`);
} else {
  console.log(have ? 'tiny model set is stale; regenerating' : 'tiny model set is missing; generating');
  await generateSet(TINY, TINY_OUT);
  writeFileSync(stampPath, want + '\n');
}
