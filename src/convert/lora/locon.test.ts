// LoCon layers (3×3 convs of ResBlocks, 1×1 shortcuts, down- and upsamplers, time-embedding
// projections, conv_in), in kohya's diffusers-style and LDM-style names, applied at load,
// against the same family with the merge done by hand: each weight W + m·(α/r)·Σ_r up·down
// summed in float64 in plain loops, written into the checkpoint, and converted.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main as convertCli } from '../../cli/convert.ts';
import { fileBytes } from '../../cli/fs-bytes.ts';
import { folderSource } from '../../cli/fs-source.ts';
import { nodeLoraMerger } from '../../cli/loras.ts';
import { nodeOps, nodeSession, type NodeSession } from '../../cli/node-runtime.ts';
import { loadModelSet } from '../../models/load-set.ts';
import { CHECKPOINTS, caseFeed, referenceCases, tensorValues, worstAllowance, writeSafetensorsFile } from '../../test/checkpoint-cases.ts';
import { readSafetensors } from '../safetensors.ts';
import { numel, toFloat32, type StoredTensor } from '../stored-tensor.ts';
import { SeededRandom } from '../weights.ts';
import { LoadedLoras } from './lora-at-load.ts';
import { readLora } from './lora-file.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'locon-'));
const MULTIPLIER = 0.8;
const RANK = 2;
const ALPHA = 1;

/** diffusers module → the LDM module kohya's LDM-style names use (from the fixture README's key layout). */
const MODULES: [diffusers: string, ldm: string][] = [
  ['down_blocks.0.resnets.0.conv1', 'input_blocks.1.0.in_layers.2'],
  ['down_blocks.3.resnets.0.conv_shortcut', 'input_blocks.10.0.skip_connection'],
  ['down_blocks.0.downsamplers.0.conv', 'input_blocks.3.0.op'],
  ['up_blocks.0.upsamplers.0.conv', 'output_blocks.2.1.conv'],
  ['down_blocks.1.resnets.1.time_emb_proj', 'input_blocks.5.0.emb_layers.1'],
  ['mid_block.resnets.0.conv2', 'middle_block.0.out_layers.3'],
  ['conv_in', 'input_blocks.0.0'],
  ['time_embedding.linear_1', 'time_embed.0'],
];

const tensor = (key: string, shape: number[], values: Float32Array): StoredTensor => ({ key, file: 'test', dtype: 'float32', shape, bytes: async () => new Uint8Array(values.buffer) });

interface Factors {
  down: Float32Array;
  up: Float32Array;
  downShape: number[];
  upShape: number[];
}

/** Seeded LoCon factors for a weight of `shape`: down [r, in, k, k] (or [r, in]), up [out, r, 1, 1] (or [out, r]). */
function factors(shape: number[], rng: SeededRandom): Factors {
  const [out, inDim, ...kernel] = shape as [number, number, ...number[]];
  const downShape = [RANK, inDim, ...kernel];
  const upShape = kernel.length ? [out, RANK, 1, 1] : [out, RANK];
  const draw = (n: number) => Float32Array.from({ length: n }, () => rng.normal() * 0.1);
  return { down: draw(numel(downShape)), up: draw(numel(upShape)), downShape, upShape };
}

/** W + m·(α/r)·Σ_r up[o, r]·down[r, i, …], in float64, by hand. */
function mergedByHand(w: Float32Array, shape: number[], f: Factors): Float32Array {
  const [out, inner] = [shape[0]!, numel(shape.slice(1))];
  const out32 = new Float32Array(w.length);
  for (let o = 0; o < out; o++) {
    for (let j = 0; j < inner; j++) {
      let delta = 0;
      for (let r = 0; r < RANK; r++) delta += f.up[o * RANK + r]! * f.down[r * inner + j]!;
      out32[o * inner + j] = w[o * inner + j]! + MULTIPLIER * (ALPHA / RANK) * delta;
    }
  }
  return out32;
}

let base: string;
let expected: string;
const loconFiles: Record<'diffusers' | 'ldm', string> = { diffusers: '', ldm: '' };

beforeAll(async () => {
  const checkpoint = join(CHECKPOINTS(), 'single-file/model.safetensors');
  const { tensors } = await readSafetensors(await fileBytes(checkpoint));
  const rng = new SeededRandom(7);
  const modified = new Map<string, StoredTensor>();
  const lora: Record<'diffusers' | 'ldm', StoredTensor[]> = { diffusers: [], ldm: [] };
  for (const [diffusers, ldm] of MODULES) {
    const w = tensors.get(`model.diffusion_model.${ldm}.weight`)!;
    const f = factors(w.shape, rng);
    modified.set(w.key, tensor(w.key, w.shape, mergedByHand(toFloat32(w.dtype, await w.bytes()), w.shape, f)));
    for (const [naming, name] of [
      ['diffusers', diffusers],
      ['ldm', ldm],
    ] as const) {
      const key = `lora_unet_${name.replace(/\./g, '_')}`;
      lora[naming].push(tensor(`${key}.lora_down.weight`, f.downShape, f.down), tensor(`${key}.lora_up.weight`, f.upShape, f.up), tensor(`${key}.alpha`, [], Float32Array.of(ALPHA)));
    }
  }
  const dir = tmp();
  const byHand = join(dir, 'by-hand.safetensors');
  await writeSafetensorsFile(
    byHand,
    [...tensors.values()].map((t) => modified.get(t.key) ?? t),
  );
  for (const naming of ['diffusers', 'ldm'] as const) await writeSafetensorsFile((loconFiles[naming] = join(dir, `locon-${naming}.safetensors`)), lora[naming]);
  [base, expected] = [join(dir, 'base'), join(dir, 'expected')];
  for (const [file, out] of [
    [checkpoint, base],
    [byHand, expected],
  ] as const)
    await convertCli(['--checkpoint', file, '--out', out, '--precision', 'fp32', '--text-heads', '2'], () => {});
}, 60_000);

async function unetOutputs(set: string, applied: Parameters<LoadedLoras['patchGraph']>[1]) {
  const loras = new LoadedLoras(nodeLoraMerger());
  const { models } = await loadModelSet(folderSource(set), { createSession: nodeSession(), ops: nodeOps(), patchGraph: (g) => loras.patchGraph(g, applied) });
  const session = (models.unet.session as NodeSession).session;
  const out: Float32Array[] = [];
  for (const c of referenceCases().filter((c) => c.graph === 'unet')) {
    const feeds = Object.fromEntries(
      session.inputMetadata.map((m) => [
        m.name,
        caseFeed(
          m,
          c.inputs.find((i) => i.name === m.name)!,
        ),
      ]),
    );
    out.push(tensorValues((await session.run(feeds)).out_sample!));
  }
  return out;
}

describe('LoCon layers', () => {
  it.each(['diffusers', 'ldm'] as const)('in %s-style names, applied at load, give the hand-merged weights’ outputs', async (naming) => {
    const file = await readLora(await fileBytes(loconFiles[naming]));
    expect(file.layers).toHaveLength(MODULES.length);
    const actual = await unetOutputs(base, [{ lora: file, unet: MULTIPLIER, text: MULTIPLIER }]);
    const wanted = await unetOutputs(expected, []);
    const unchanged = await unetOutputs(base, []);
    actual.forEach((a, i) => {
      expect(worstAllowance(a, wanted[i]!, { atol: 1e-4, rtol: 1e-3 })).toBeLessThanOrEqual(1);
      // The LoRA moves the output well past the tolerance, so a LoRA left out would fail.
      expect(worstAllowance(unchanged[i]!, wanted[i]!, { atol: 1e-4, rtol: 1e-3 })).toBeGreaterThan(10);
    });
  });
});
