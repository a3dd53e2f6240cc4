// Test fixtures with ONNX external data, written by onnx's own Python writer (the way real
// exports over 2 GB store weights): a graph, or a copy of the tiny set whose UNet keeps its
// weights in unet/model.onnx_data.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePythonWithOnnx } from '../../scripts/test-tools.ts';

/** Rewrites `graph` into `out` + `out`'s folder/model.onnx_data; tensors under `sizeThreshold` bytes stay inline (onnx's default is 1024). */
export function saveWithExternalData(graph: string, out: string, sizeThreshold = 1024): void {
  const script = `import onnx,sys; m=onnx.load(sys.argv[1]); onnx.save_model(m, sys.argv[2], save_as_external_data=True, all_tensors_to_one_file=True, location='model.onnx_data', size_threshold=int(sys.argv[3]))`;
  execFileSync(ensurePythonWithOnnx(), ['-c', script, graph, out, String(sizeThreshold)]);
}

/** A temporary copy of the tiny set with its UNet's weights in unet/model.onnx_data; returns its folder. */
export function tinySetWithExternalUnet(tinySet = 'public/models/tiny-sd15'): string {
  const root = join(mkdtempSync(join(tmpdir(), 'ext-set-')), 'set');
  cpSync(tinySet, root, { recursive: true });
  const unet = join(root, 'unet/model.onnx');
  saveWithExternalData(unet, unet);
  return root;
}
