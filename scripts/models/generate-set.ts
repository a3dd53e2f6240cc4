// Writes a generated model set in our diffusers ONNX layout, with seeded weights, through
// the same graph builder that converts checkpoints (src/convert). The CLI is generate.ts.
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { folderStore } from '../../src/cli/fs-store.ts';
import { controlNetArch } from '../../src/convert/architecture.ts';
import { TINY, type GeneratedSet } from '../../src/convert/presets.ts';
import { controlNetSetGraph, pipelineGraphs, pipelineIndex, SD15_SCHEDULER_CONFIG, TOKENIZER_CONFIG, unetShape } from '../../src/convert/set-graphs.ts';
import { buildUnet } from '../../src/convert/unet.ts';
import { RandomWeights } from '../../src/convert/weights.ts';
import type { GraphOptions } from '../../src/convert/model-graph.ts';
import { writeGraphs, type SetGraph } from '../../src/convert/write-set.ts';
import { TAESD_DECODER, TAESD_ENCODER, UNET_FP16_VARIANT } from '../../src/models/set-layout.ts';
import { buildTaesdDecoder, buildTaesdEncoder } from '../../src/convert/taesd.ts';
import { mergesText, trainTokenizer } from './tokenizer.ts';
import { buildDepthModel, buildPoseModel, buildSegModel } from './stand-in-preprocessors.ts';

export const TINY_OUT = 'public/models/tiny-sd15';
export const FULLSIZE_OUT = '.models/fullsize-sd15';

function writeJson(path: string, value: unknown) {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, JSON.stringify(value, null, 2) + '\n');
}

/** `options`: how graphs are written (the GPU benchmark also writes an unfused set). */
export async function generateSet(spec: GeneratedSet, outDir: string, log = console.log, options: GraphOptions = {}): Promise<Record<string, number>> {
  rmSync(outDir, { recursive: true, force: true });
  const tokenizer = trainTokenizer(256);
  const tokenCount = Object.keys(tokenizer.vocab).length;
  if (new Set(Object.values(tokenizer.vocab)).size !== tokenCount) throw new Error('tokenizer vocabulary has duplicate tokens');
  const arch = { ...spec.arch, text: { ...spec.arch.text, vocab: Math.max(tokenCount, spec.arch.text.vocab) } };
  const cnArch = controlNetArch(arch.unet, spec.hintChannels);

  // Seeds per graph keep each graph's weights stable when another graph changes.
  const graphs: SetGraph[] = [
    ...pipelineGraphs(arch, 'float32', { text: new RandomWeights(7), unet: new RandomWeights(1), vae: new RandomWeights(11), vaeEncoder: new RandomWeights(13) }, options),
    ...(spec.fp16Unet ? [{ path: UNET_FP16_VARIANT, graph: buildUnet(arch.unet, 'float16', true, options), source: new RandomWeights(1) }] : []),
    ...spec.controlnets.map((c) => controlNetSetGraph(c.name, cnArch, 'float32', new RandomWeights(c.seed), c.zeroInit, undefined, options)),
    { path: TAESD_DECODER, graph: buildTaesdDecoder(spec.taesd), source: new RandomWeights(29) },
    { path: TAESD_ENCODER, graph: buildTaesdEncoder(spec.taesd), source: new RandomWeights(31) },
  ];
  if (spec === TINY) {
    // Preprocessor models live beside the set (the real ones are separate downloads).
    graphs.push({ path: 'preprocessors/depth/model.onnx', graph: buildDepthModel(), source: new RandomWeights(17) });
    graphs.push({ path: 'preprocessors/pose/model.onnx', graph: buildPoseModel(), source: new RandomWeights(19) });
    graphs.push({ path: 'preprocessors/seg/model.onnx', graph: buildSegModel(), source: new RandomWeights(23) });
  }
  log(`Generating ${spec.name} into ${outDir}`);
  mkdirSync(outDir, { recursive: true });
  const files = await writeGraphs(graphs, { store: folderStore(outDir), root: '', external: spec.externalData });
  const sizes: Record<string, number> = {};
  for (const { path, graph } of graphs) {
    sizes[path] = [path, ...files[path]!].reduce((sum, f) => sum + statSync(join(outDir, f)).size, 0);
    log(`  ${path}  ${(sizes[path]! / 1024).toFixed(0)} KiB, ${graph.nodes.length} nodes`);
  }

  writeJson(join(outDir, 'tokenizer/vocab.json'), tokenizer.vocab);
  writeFileSync(join(outDir, 'tokenizer/merges.txt'), mergesText(tokenizer.merges));
  writeJson(join(outDir, 'tokenizer/tokenizer_config.json'), TOKENIZER_CONFIG);
  writeJson(join(outDir, 'scheduler/scheduler_config.json'), SD15_SCHEDULER_CONFIG);
  writeJson(
    join(outDir, 'model_index.json'),
    pipelineIndex({
      controlnets: spec.controlnets.map((c) => c.name),
      unet_fp16: spec.fp16Unet ? UNET_FP16_VARIANT : null,
      text_dim: arch.text.hidden,
      unet_shape: unetShape(arch.unet),
      // The weight files of graphs that have them (the full-size fp32 UNet's are split in two), as
      // converted sets list them; a set with inline weights lists none, so a copy whose graph is
      // re-saved with external data (as tests do) is still found by the usual names.
      ...(spec.externalData ? { data_files: files } : {}),
      taesd: { decoder: TAESD_DECODER, encoder: TAESD_ENCODER, converted_from: 'seeded weights' },
    }),
  );
  return sizes;
}
