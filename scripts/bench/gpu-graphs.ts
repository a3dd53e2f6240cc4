// The graphs the GPU benchmark measures, written once per variant with the same seeded
// weights, so each row differs only in how the graph is built: op by op (as torch.onnx
// exports) or fused, with symbolic or fixed dims, fp32 or fp16.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { folderStore } from '../../src/cli/fs-store.ts';
import { controlNetArch } from '../../src/convert/architecture.ts';
import type { GraphOptions, ModelGraph } from '../../src/convert/model-graph.ts';
import type { GeneratedSet } from '../../src/convert/presets.ts';
import { buildControlNet, buildUnet } from '../../src/convert/unet.ts';
import { buildVaeDecoder } from '../../src/convert/vae.ts';
import { RandomWeights } from '../../src/convert/weights.ts';
import { writeGraph } from '../../src/convert/write-graph.ts';
import type { FloatType } from '../../src/models/onnx-graph.ts';

export type GraphKind = 'unet' | 'controlnet' | 'vae_decoder';

export interface GraphVariant {
  kind: GraphKind;
  precision: FloatType;
  fused: boolean;
  /** Dims written into the graph (static shapes), or symbolic. */
  fixed: boolean;
}

export const variantName = (v: GraphVariant) => `${v.kind} ${v.precision === 'float16' ? 'fp16' : 'fp32'} ${v.fused ? 'fused' : 'unfused'} ${v.fixed ? 'static' : 'dynamic'}`;

/** The dims every benchmark graph runs at: CFG batch 2, one 77-token prompt chunk. */
export function benchDims(latent: number): Record<string, number> {
  const image = latent * 8;
  return { batch: 2, timestep_batch: 2, sequence: 77, height: latent, width: latent, image_height: image, image_width: image, latent_height: latent, latent_width: latent };
}

function build(spec: GeneratedSet, v: GraphVariant, latent: number): ModelGraph {
  const options: GraphOptions = {
    fused: v.fused,
    ...(v.fixed ? { fixedDims: v.kind === 'vae_decoder' ? { ...benchDims(latent), batch: 1, height: latent * 8, width: latent * 8 } : benchDims(latent) } : {}),
  };
  if (v.kind === 'unet') return buildUnet(spec.arch.unet, v.precision, true, options);
  if (v.kind === 'controlnet') return buildControlNet(controlNetArch(spec.arch.unet, spec.hintChannels), v.precision, false, options);
  return buildVaeDecoder(spec.arch.vae, options);
}

/** Seeds as the generator uses them, so a variant's weights match the generated set's. */
const SEEDS: Record<GraphKind, number> = { unet: 1, controlnet: 101, vae_decoder: 11 };

/** Writes the variant under `dir` unless it is there; returns the graph's path. */
export async function ensureVariant(spec: GeneratedSet, v: GraphVariant, latent: number, dir: string): Promise<string> {
  const name = `${variantName(v).replaceAll(' ', '-')}${v.fixed ? `-${latent}` : ''}.onnx`;
  const path = join(dir, name);
  if (existsSync(join(dir, `${name}.done`))) return path;
  mkdirSync(dir, { recursive: true });
  const graph = build(spec, v, latent);
  await writeGraph(graph, new RandomWeights(SEEDS[v.kind]), folderStore(dir), name, { external: spec.externalData });
  writeFileSync(join(dir, `${name}.done`), '');
  return path;
}
