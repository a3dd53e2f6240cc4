// The generated tiny set: valid ONNX (onnx.checker, full check), the real SD 1.5 I/O
// contract, the op types real exports use, dynamic sizes, determinism, and its size budget.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { generateSet } from './generate-set.ts';
import { TINY } from '../../src/convert/presets.ts';
import { ensurePythonWithOnnx } from '../test-tools.ts';

let dir: string;
const graphs = () => listOnnx(dir);
const modelPath = (rel: string) => join(dir, rel);

function listOnnx(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.onnx')) out.push(relative(root, p));
    }
  };
  walk(root);
  return out.sort();
}

function tensor(type: 'float32' | 'int64' | 'int32', dims: number[], fill: (i: number) => number): ort.Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  if (type === 'int64')
    return new ort.Tensor(
      'int64',
      BigInt64Array.from({ length: n }, (_, i) => BigInt(fill(i))),
      dims,
    );
  if (type === 'int32')
    return new ort.Tensor(
      'int32',
      Int32Array.from({ length: n }, (_, i) => fill(i)),
      dims,
    );
  return new ort.Tensor(
    'float32',
    Float32Array.from({ length: n }, (_, i) => fill(i)),
    dims,
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tiny-sd15-'));
  await generateSet(TINY, dir, () => {});
});

describe('tiny model set', () => {
  it('writes the diffusers ONNX folder layout', () => {
    expect(graphs()).toEqual([
      'controlnet/canny/model.onnx',
      'controlnet/inpaint/model.onnx',
      'controlnet/scribble/model.onnx',
      'controlnet/zero-init/model.onnx',
      'preprocessors/depth/model.onnx',
      'preprocessors/pose/model.onnx',
      'preprocessors/seg/model.onnx',
      'taesd_decoder/model.onnx',
      'taesd_encoder/model.onnx',
      'text_encoder/model.onnx',
      'unet/model.onnx',
      'unet/model_fp16.onnx',
      'vae_decoder/model.onnx',
      'vae_encoder/model.onnx',
    ]);
    const index = JSON.parse(readFileSync(modelPath('model_index.json'), 'utf8'));
    expect(index.unet).toEqual(['diffusers', 'OnnxRuntimeModel']);
    expect(index.tokenizer).toEqual(['transformers', 'CLIPTokenizer']);
    const scheduler = JSON.parse(readFileSync(modelPath('scheduler/scheduler_config.json'), 'utf8'));
    expect(scheduler).toMatchObject({ beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', num_train_timesteps: 1000, steps_offset: 1, set_alpha_to_one: false });
  });

  it('stays under 20 MB in all', () => {
    const total = graphs().reduce((sum, g) => sum + statSync(modelPath(g)).size, 0);
    expect(total).toBeLessThan(20 * 1024 * 1024);
  });

  it('is deterministic: a second run writes identical bytes', async () => {
    const again = mkdtempSync(join(tmpdir(), 'tiny-sd15-again-'));
    await generateSet(TINY, again, () => {});
    for (const g of graphs()) expect(readFileSync(join(again, g)).equals(readFileSync(modelPath(g))), g).toBe(true);
  });

  it('passes onnx.checker with full checking (strict shape inference)', () => {
    const python = ensurePythonWithOnnx();
    const script = 'import onnx,sys\nfor p in sys.argv[1:]:\n  onnx.checker.check_model(onnx.load(p), full_check=True)\nprint("ok", len(sys.argv)-1)';
    const out = execFileSync(python, ['-c', script, ...graphs().map(modelPath)], { encoding: 'utf8' });
    expect(out.trim()).toBe(`ok ${graphs().length}`);
  }, 120_000);

  it("uses real SD 1.5 exports' op types, with onnxruntime's fused attention and skip-LayerNorm in the UNet, ControlNets and VAE", () => {
    const ops = (rel: string) => new Set(onnxProto.onnx.ModelProto.decode(readFileSync(modelPath(rel))).graph!.node!.map((n) => (n.domain ? `${n.domain}.${n.opType}` : n.opType!)));
    for (const graph of ['unet/model.onnx', 'controlnet/canny/model.onnx']) {
      const ops_ = ops(graph);
      for (const op of [
        'Conv',
        'InstanceNormalization',
        'LayerNormalization',
        'MatMul',
        'Resize',
        'Concat',
        'Gemm',
        'Erf',
        'Sigmoid',
        'Split',
        'Sin',
        'Cos',
        'com.microsoft.MultiHeadAttention',
        'com.microsoft.SkipLayerNormalization',
      ]) {
        if (graph.startsWith('controlnet') && (op === 'Resize' || op === 'Concat')) continue; // the encoder half: no upsampling
        expect(ops_, `${graph}: ${op}`).toContain(op);
      }
      expect(ops_, graph).not.toContain('Softmax');
    }
    const text = ops('text_encoder/model.onnx');
    // CLIP's causal mask has no place in MultiHeadAttention: the text encoder keeps Softmax attention.
    for (const op of ['Gather', 'LayerNormalization', 'Softmax', 'ArgMax', 'Sigmoid']) expect(text, op).toContain(op);
    const vae = ops('vae_decoder/model.onnx');
    for (const op of ['Conv', 'InstanceNormalization', 'Resize', 'com.microsoft.MultiHeadAttention']) expect(vae, op).toContain(op);
  });

  it("matches the UNet's 13 residual inputs to each ControlNet's 13 outputs, in name order and shape", async () => {
    const unet = await ort.InferenceSession.create(modelPath('unet/model.onnx'));
    const residualInputs = unet.inputMetadata.slice(3);
    expect(residualInputs.map((m) => m.name)).toEqual([...Array.from({ length: 12 }, (_, i) => `down_block_additional_residual_${i}`), 'mid_block_additional_residual']);
    for (const name of TINY.controlnets.map((c: { name: string }) => c.name)) {
      const cn = await ort.InferenceSession.create(modelPath(`controlnet/${name}/model.onnx`));
      expect(cn.inputNames).toEqual(['sample', 'timestep', 'encoder_hidden_states', 'controlnet_cond', 'conditioning_scale']);
      expect(cn.outputNames).toEqual([...Array.from({ length: 12 }, (_, i) => `down_block_res_samples_${i}`), 'mid_block_res_sample']);
      cn.outputMetadata.forEach((out, i) => expect(out.isTensor && out.shape, out.name).toEqual(residualInputs[i]!.isTensor && residualInputs[i]!.shape));
    }
  });

  it.each([
    [64, 64, 1],
    [128, 64, 2],
  ])('runs text encoder → ControlNet → UNet → VAE at %i×%i px, batch %i (dynamic dims)', async (width, height, batch) => {
    const [lw, lh] = [width / 8, height / 8];
    const text = await ort.InferenceSession.create(modelPath('text_encoder/model.onnx'));
    const ids = tensor('int32', [batch, 77], (i) => (i % 77 === 0 ? 768 : i % 77 < 4 ? 40 + i : 769));
    const { last_hidden_state: context } = await text.run({ input_ids: ids });
    expect(context!.dims).toEqual([batch, 77, TINY.arch.text.hidden]);

    const sample = tensor('float32', [batch, 4, lh, lw], (i) => Math.sin(i));
    const timestep = tensor('float32', [1], () => 500);
    const cond = tensor('float32', [batch, 3, height, width], (i) => (i % 13) / 13);
    const scale = new ort.Tensor('float32', Float32Array.from([1]), []);
    const cn = await ort.InferenceSession.create(modelPath('controlnet/canny/model.onnx'));
    const residuals = await cn.run({ sample, timestep, encoder_hidden_states: context!, controlnet_cond: cond, conditioning_scale: scale });

    const unet = await ort.InferenceSession.create(modelPath('unet/model.onnx'));
    const feeds: Record<string, ort.Tensor> = { sample, timestep, encoder_hidden_states: context! };
    cn.outputNames.forEach((name, i) => (feeds[unet.inputNames[3 + i]!] = residuals[name]!));
    const { out_sample } = await unet.run(feeds);
    expect(out_sample!.dims).toEqual([batch, 4, lh, lw]);

    const vae = await ort.InferenceSession.create(modelPath('vae_decoder/model.onnx'));
    const { sample: image } = await vae.run({ latent_sample: out_sample! });
    expect(image!.dims).toEqual([batch, 3, height, width]);
    expect((image!.data as Float32Array).every(Number.isFinite)).toBe(true);

    const enc = await ort.InferenceSession.create(modelPath('vae_encoder/model.onnx'));
    const { latent_parameters } = await enc.run({ sample: image! });
    expect(latent_parameters!.dims).toEqual([batch, 8, lh, lw]);
  });

  it('has a zero-init ControlNet whose residuals are exactly zero, and non-zero, distinct canny/scribble nets', async () => {
    const feeds = {
      sample: tensor('float32', [1, 4, 8, 8], (i) => Math.cos(i)),
      timestep: tensor('float32', [1], () => 321),
      encoder_hidden_states: tensor('float32', [1, 77, TINY.arch.text.hidden], (i) => Math.sin(i * 0.1)),
      controlnet_cond: tensor('float32', [1, 3, 64, 64], (i) => (i % 5) / 5),
      conditioning_scale: new ort.Tensor('float32', Float32Array.from([1]), []),
    };
    const run = async (name: string) => {
      const cn = await ort.InferenceSession.create(modelPath(`controlnet/${name}/model.onnx`));
      const out = await cn.run(feeds);
      return cn.outputNames.flatMap((n) => [...(out[n]!.data as Float32Array)]);
    };
    const zero = await run('zero-init');
    expect(zero.every((v) => v === 0)).toBe(true);
    const canny = await run('canny');
    const scribble = await run('scribble');
    const rms = (a: number[]) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
    expect(rms(canny)).toBeGreaterThan(0.1);
    expect(rms(scribble)).toBeGreaterThan(0.1);
    expect(rms(canny.map((v, i) => v - scribble[i]!))).toBeGreaterThan(0.1);
  });

  it("ships a CLIP-layout BPE tokenizer whose ids fit the text encoder's vocabulary", async () => {
    const vocab = JSON.parse(readFileSync(modelPath('tokenizer/vocab.json'), 'utf8')) as Record<string, number>;
    const merges = readFileSync(modelPath('tokenizer/merges.txt'), 'utf8').trim().split('\n');
    expect(merges[0]).toBe('#version: 0.2');
    const size = Object.keys(vocab).length;
    expect(size).toBe(512 + (merges.length - 1) + 2);
    expect(vocab['<|startoftext|>']).toBe(size - 2);
    expect(vocab['<|endoftext|>']).toBe(size - 1);
    expect(new Set(Object.values(vocab)).size).toBe(size);
    const model = onnxProto.onnx.ModelProto.decode(readFileSync(modelPath('text_encoder/model.onnx')));
    const table = model.graph!.initializer!.find((t) => t.name === 'text_model.embeddings.token_embedding.weight')!;
    expect(Number(table.dims![0])).toBe(size);
  });

  it("pools CLIP's way: pooler_output is the hidden state at the end token", async () => {
    const text = await ort.InferenceSession.create(modelPath('text_encoder/model.onnx'));
    const eosAt = 5;
    const ids = tensor('int32', [1, 77], (i) => (i === 0 ? 768 : i < eosAt ? 100 + i : 769));
    const out = await text.run({ input_ids: ids });
    const hidden = out.last_hidden_state!.data as Float32Array;
    const pooled = out.pooler_output!.data as Float32Array;
    const D = TINY.arch.text.hidden;
    expect([...pooled]).toEqual([...hidden.slice(eosAt * D, eosAt * D + D)]);
  });
});
