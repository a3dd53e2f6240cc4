// The committed kernel is what its AssemblyScript source compiles to (run scripts/build-wasm.ts after editing it).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileCanny, MODULE, moduleText } from '../../../scripts/build-wasm.ts';

describe('Canny kernel module', () => {
  it('matches canny.as.ts compiled now', async () => {
    expect(readFileSync(MODULE, 'utf8')).toBe(moduleText(await compileCanny()));
  }, 60_000);
});
