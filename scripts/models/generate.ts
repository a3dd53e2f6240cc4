// Writes a model set in the diffusers ONNX folder layout.
//   npm run models:tiny       → public/models/tiny-sd15 (tests, offline studio)
//   npm run models:fullsize   → .models/fullsize-sd15 (benchmarks; git-ignored)
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FULLSIZE, SD15_SCHEDULER_CONFIG, TINY, type SetConfig } from './config.ts';
import { mergesText, trainTokenizer } from './tokenizer.ts';
import { buildTextEncoder } from './text-encoder.ts';
import { buildControlNet, buildUnet } from './unet.ts';
import { buildVaeDecoder, buildVaeEncoder } from './vae.ts';
import type { GraphBuilder } from '../../src/models/onnx-graph.ts';
import { generatorHash, STAMP_FILE } from './stamp.ts';
import { buildDepthModel, buildPoseModel } from './preprocessor-models.ts';

export const TINY_OUT = 'public/models/tiny-sd15';
const FULLSIZE_OUT = '.models/fullsize-sd15';

function writeJson(path: string, value: unknown) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(value, null, 2) + '\n');
}

export function generateSet(baseCfg: SetConfig, outDir: string, log = console.log): Record<string, number> {
  rmSync(outDir, { recursive: true, force: true });
  const sizes: Record<string, number> = {};
  const tokenizer = trainTokenizer(256);
  const tokenCount = Object.keys(tokenizer.vocab).length;
  if (new Set(Object.values(tokenizer.vocab)).size !== tokenCount) throw new Error('tokenizer vocabulary has duplicate tokens');
  const cfg = { ...baseCfg, vocabSize: Math.max(tokenCount, baseCfg.vocabSize) };

  const emit = (relPath: string, graph: GraphBuilder, doc: string) => {
    const path = join(outDir, relPath);
    mkdirSync(dirname(path), { recursive: true });
    let total = 0;
    if (cfg.externalData) {
      // Each graph gets its own data file, named after it (model.onnx → model.onnx_data), as optimum writes them.
      const dataName = `${relPath.split('/').pop()}_data`;
      const fd = openSync(`${path}_data`, 'w');
      try {
        for (const chunk of graph.externalizeWeights(dataName)) total += writeSync(fd, chunk);
      } finally {
        closeSync(fd);
      }
    }
    const bytes = graph.toBytes(doc);
    writeFileSync(path, bytes);
    total += bytes.length;
    sizes[relPath] = total;
    log(`  ${relPath}  ${(total / 1024).toFixed(0)} KiB, ${graph.nodes.length} nodes`);
  };

  log(`Generating ${cfg.name} into ${outDir}`);
  emit('text_encoder/model.onnx', buildTextEncoder(cfg), 'CLIP text encoder in miniature');
  emit('unet/model.onnx', buildUnet(cfg, 'float32'), 'SD 1.5 UNet in miniature, with ControlNet residual inputs');
  if (cfg.fp16Unet) emit('unet/model_fp16.onnx', buildUnet(cfg, 'float16'), 'SD 1.5 UNet in miniature, fp16');
  for (const cn of cfg.controlnets) {
    emit(`controlnet/${cn.name}/model.onnx`, buildControlNet(cfg, cn.seed, cn.zeroInit ?? false), `ControlNet "${cn.name}" in miniature`);
  }
  emit('vae_decoder/model.onnx', buildVaeDecoder(cfg), 'AutoencoderKL decoder in miniature');
  emit('vae_encoder/model.onnx', buildVaeEncoder(cfg), 'AutoencoderKL encoder in miniature');
  if (baseCfg === TINY) {
    // Preprocessor models live beside the set (the real ones are separate downloads).
    emit('preprocessors/depth/model.onnx', buildDepthModel(), 'Depth Anything V2 I/O in miniature');
    emit('preprocessors/pose/model.onnx', buildPoseModel(), 'DWPose (RTMPose SimCC) I/O in miniature');
  }

  writeJson(join(outDir, 'tokenizer/vocab.json'), tokenizer.vocab);
  writeFileSync(join(outDir, 'tokenizer/merges.txt'), mergesText(tokenizer.merges));
  writeJson(join(outDir, 'tokenizer/tokenizer_config.json'), {
    tokenizer_class: 'CLIPTokenizer',
    model_max_length: 77,
    bos_token: '<|startoftext|>',
    eos_token: '<|endoftext|>',
    pad_token: '<|endoftext|>',
    unk_token: '<|endoftext|>',
    do_lower_case: true,
  });
  writeJson(join(outDir, 'scheduler/scheduler_config.json'), SD15_SCHEDULER_CONFIG);
  writeJson(join(outDir, 'model_index.json'), {
    _class_name: 'OnnxStableDiffusionPipeline',
    _diffusers_version: '0.27.2',
    feature_extractor: [null, null],
    requires_safety_checker: false,
    safety_checker: [null, null],
    scheduler: ['diffusers', 'PNDMScheduler'],
    text_encoder: ['diffusers', 'OnnxRuntimeModel'],
    tokenizer: ['transformers', 'CLIPTokenizer'],
    unet: ['diffusers', 'OnnxRuntimeModel'],
    vae_decoder: ['diffusers', 'OnnxRuntimeModel'],
    vae_encoder: ['diffusers', 'OnnxRuntimeModel'],
    // Not part of diffusers' layout: the ControlNets and variants this folder also holds.
    controlnet_studio: {
      controlnets: cfg.controlnets.map((c) => c.name),
      unet_fp16: cfg.fp16Unet ? 'unet/model_fp16.onnx' : null,
      text_dim: cfg.textDim,
    },
  });
  return sizes;
}

function main() {
  const fullsize = process.argv.includes('--fullsize');
  const out = fullsize ? FULLSIZE_OUT : TINY_OUT;
  const sizes = generateSet(fullsize ? FULLSIZE : TINY, out);
  const total = Object.values(sizes).reduce((a, b) => a + b, 0);
  console.log(`Total ONNX bytes: ${(total / 1024 / 1024).toFixed(2)} MiB`);
  if (!fullsize) writeFileSync(join(out, STAMP_FILE), generatorHash() + '\n');
}

if (import.meta.url === `file://${process.argv[1]}`) main();
