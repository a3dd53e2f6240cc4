import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { saveWithExternalData } from '../test/external-data-set.ts';
import { externalDataReferences } from './external-data.ts';

const TINY_DEPTH = 'public/models/tiny-sd15/preprocessors/depth/model.onnx';

describe('externalDataReferences', () => {
  it('finds the weight file an ONNX graph saved with external data names, and none in a plain graph', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ext-'));
    const out = join(dir, 'model.onnx');
    // Threshold 0: every initializer of this small graph moves into model.onnx_data.
    saveWithExternalData(TINY_DEPTH, out, 0);
    expect(externalDataReferences(new Uint8Array(readFileSync(out)))).toEqual(['model.onnx_data']);
    expect(externalDataReferences(new Uint8Array(readFileSync(TINY_DEPTH)))).toEqual([]);
  });
});
