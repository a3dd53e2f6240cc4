import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensurePythonWithOnnx } from '../../scripts/test-tools.ts';
import { externalDataReferences } from './external-data.ts';

const TINY_DEPTH = 'public/models/tiny-sd15/preprocessors/depth/model.onnx';

describe('externalDataReferences', () => {
  it('finds the weight file an ONNX graph saved with external data names, and none in a plain graph', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ext-'));
    const out = join(dir, 'model.onnx');
    // onnx's own writer moves every initializer into model.onnx_data.
    execFileSync(ensurePythonWithOnnx(), ['-c', `import onnx,sys; m=onnx.load(sys.argv[1]); onnx.save_model(m, sys.argv[2], save_as_external_data=True, all_tensors_to_one_file=True, location='model.onnx_data', size_threshold=0)`, TINY_DEPTH, out]);
    expect(externalDataReferences(new Uint8Array(readFileSync(out)))).toEqual(['model.onnx_data']);
    expect(externalDataReferences(new Uint8Array(readFileSync(TINY_DEPTH)))).toEqual([]);
  });
});
