// LoRAs against kohya's merge_lora.py (the fixture references, element-wise within
// 1e-4 + 1e-3·|expected|): baked into a conversion and applied at load, each LoRA alone at
// several multipliers and two stacked, in kohya's and PEFT's files and in the other layouts
// people's files come in (LDM module names, diffusers' older attention-processor names).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { main as convertCli } from '../../cli/convert.ts';
import { fileBytes } from '../../cli/fs-bytes.ts';
import { folderSource } from '../../cli/fs-source.ts';
import { folderStore } from '../../cli/fs-store.ts';
import { inputFiles } from '../../cli/convert.ts';
import { nodeLoraMerger } from '../../cli/loras.ts';
import { nodeOps, NodeSession, nodeSession } from '../../cli/node-runtime.ts';
import { loadModelSet } from '../../models/load-set.ts';
import { TEXT_ENCODER, UNET } from '../../models/set-layout.ts';
import { CHECKPOINTS, writeSafetensorsFile } from '../../test/checkpoint-cases.ts';
import { LORA_DIR, loraCaseGroups, loraCaseWorst, type LoraCase } from '../../test/lora-cases.ts';
import { openCheckpoint, type OpenedPipeline } from '../open-checkpoint.ts';
import { readSafetensors } from '../safetensors.ts';
import { pipelineGraphs } from '../set-graphs.ts';
import { writeGraphs } from '../write-set.ts';
import { bakeLoras } from './bake.ts';
import { LoadedLoras } from './lora-at-load.ts';
import { readLora, type LoraFile } from './lora-file.ts';
import type { AppliedLora } from './lora-targets.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'lora-'));
const merger = nodeLoraMerger();
const groups = [...loraCaseGroups()];
const files = new Map<string, LoraFile>();
const lora = async (file: string, path = join(LORA_DIR(), file)) => files.get(path) ?? files.set(path, await readLora(await fileBytes(path))).get(path)!;
const appliedFor = async (cases: LoraCase[], path?: (file: string) => string): Promise<AppliedLora[]> =>
  Promise.all(cases[0]!.loras.map(async (l) => ({ lora: await lora(l.file, path?.(l.file)), unet: l.multiplier, text: l.multiplier })));

/** The family's base model with `applied` baked in: its text encoder and UNet, fp32, written to a folder. */
async function bake(applied: AppliedLora[]): Promise<string> {
  const opened = (await openCheckpoint({ files: await inputFiles(join(CHECKPOINTS(), 'single-file/model.safetensors')), overrides: { textHeads: 2 }, precision: 'fp32' })) as OpenedPipeline;
  const graphs = bakeLoras(pipelineGraphs(opened.arch, 'float32', opened), { applied, merger }).filter((g) => g.path === TEXT_ENCODER || g.path === UNET);
  const dir = tmp();
  await writeGraphs(graphs, { store: folderStore(dir), root: '', external: true });
  return dir;
}

async function worstOf(cases: LoraCase[], sessions: { text_encoder: ort.InferenceSession; unet: ort.InferenceSession }) {
  const worst: Record<string, number> = {};
  for (const c of cases) worst[c.base_case] = await loraCaseWorst(c, sessions);
  return worst;
}

let base: string;
beforeAll(async () => {
  base = join(tmp(), 'set');
  await convertCli(['--checkpoint', join(CHECKPOINTS(), 'single-file/model.safetensors'), '--out', base, '--precision', 'fp32', '--text-heads', '2'], () => {});
}, 60_000);

/** The base set loaded with `applied` applied at load (the loader's own path), as onnxruntime sessions. */
async function atLoad(applied: AppliedLora[]) {
  const loras = new LoadedLoras(merger);
  const { models } = await loadModelSet(folderSource(base), { createSession: nodeSession(), ops: nodeOps(), patchGraph: (g) => loras.patchGraph(g, applied) });
  return { text_encoder: (models.textEncoder.session as NodeSession).session, unet: (models.unet.session as NodeSession).session };
}

describe('LoRA files against kohya merge_lora.py', () => {
  it.each(groups)('%s: baked into a conversion, every case matches', async (_, cases) => {
    const dir = await bake(await appliedFor(cases));
    const sessions = { text_encoder: await ort.InferenceSession.create(join(dir, TEXT_ENCODER)), unet: await ort.InferenceSession.create(join(dir, UNET)) };
    const worst = await worstOf(cases, sessions);
    for (const [name, w] of Object.entries(worst)) expect(w, name).toBeLessThanOrEqual(1);
  });

  it.each(groups)('%s: applied at load, every case matches', async (_, cases) => {
    const worst = await worstOf(cases, await atLoad(await appliedFor(cases)));
    for (const [name, w] of Object.entries(worst)) expect(w, name).toBeLessThanOrEqual(1);
  });
});

/** The fixture files re-saved in the layouts other tools write, with the same values. */
async function relayout(file: string, name: string, rename: (key: string) => string): Promise<string> {
  const { tensors } = await readSafetensors(await fileBytes(join(LORA_DIR(), file)));
  const path = join(tmp(), name);
  await writeSafetensorsFile(path, [...tensors.values()], rename);
  return path;
}

/** A1111's convert_diffusers_name_to_compvis, for SD 1.5's attention blocks (the fixture README's table). */
function ldmKohyaName(key: string): string {
  return key
    .replace(/^lora_unet_down_blocks_(\d)_attentions_(\d)_/, (_, b, a) => `lora_unet_input_blocks_${1 + 3 * Number(b) + Number(a)}_1_`)
    .replace(/^lora_unet_mid_block_attentions_0_/, 'lora_unet_middle_block_1_')
    .replace(/^lora_unet_up_blocks_(\d)_attentions_(\d)_/, (_, b, a) => `lora_unet_output_blocks_${3 * Number(b) + Number(a)}_1_`);
}

const OLD_PROCESSOR: Record<string, string> = {
  to_q: 'to_q_lora',
  to_k: 'to_k_lora',
  to_v: 'to_v_lora',
  'to_out.0': 'to_out_lora',
  q_proj: 'to_q_lora',
  k_proj: 'to_k_lora',
  v_proj: 'to_v_lora',
  out_proj: 'to_out_lora',
};
const AB: Record<string, string> = { A: 'down', B: 'up' };

const LAYOUTS: { label: string; file: string; rename: (k: string) => string; group: string }[] = [
  { label: 'kohya with LDM module names (input_blocks / middle_block / output_blocks)', file: 'kohya.safetensors', rename: ldmKohyaName, group: 'kohya_0.6' },
  {
    label: 'diffusers attention processors without the unet. prefix (to_q_lora.down), CLIP in to_q_lora too',
    file: 'peft.safetensors',
    rename: (k) =>
      k.replace(/^(unet\.|text_encoder\.)(.+)\.(to_q|to_k|to_v|to_out\.0|q_proj|k_proj|v_proj|out_proj)\.lora_([AB])\.weight$/, (_, prefix: string, path: string, proj: string, ab: string) =>
        prefix === 'unet.' ? `${path}.processor.${OLD_PROCESSOR[proj]}.${AB[ab]}.weight` : `${prefix}${path}.${OLD_PROCESSOR[proj]}.${AB[ab]}.weight`,
      ),
    group: 'peft_0.6',
  },
  {
    label: 'diffusers lora.down / lora_linear_layer.down',
    file: 'peft.safetensors',
    rename: (k) =>
      k
        .replace(/^unet\.(.+)\.lora_([AB])\.weight$/, (_, p: string, ab: string) => `unet.${p}.lora.${AB[ab]}.weight`)
        .replace(/^text_encoder\.(.+)\.lora_([AB])\.weight$/, (_, p: string, ab: string) => `text_encoder.${p}.lora_linear_layer.${AB[ab]}.weight`),
    group: 'peft_0.6',
  },
];

describe('the layouts other tools write', () => {
  it.each(LAYOUTS)('$label: the same numbers', async ({ file, rename, group }) => {
    const path = await relayout(file, `relaid-${file}`, rename);
    const cases = loraCaseGroups().get(group)!;
    const worst = await worstOf(cases, await atLoad(await appliedFor(cases, () => path)));
    for (const [name, w] of Object.entries(worst)) expect(w, name).toBeLessThanOrEqual(1);
  });
});

describe('changing a LoRA at load', () => {
  it('merges again only the weights the changed LoRA touches', async () => {
    const [kohya, peft] = [await lora('kohya.safetensors'), await lora('peft.safetensors')];
    const loras = new LoadedLoras(merger);
    const { graphs } = await loadModelSet(folderSource(base), {
      createSession: nodeSession(),
      ops: nodeOps(),
      patchGraph: (g) =>
        loras.patchGraph(g, [
          { lora: kohya, unet: 1, text: 1 },
          { lora: peft, unet: 0.5, text: 0.5 },
        ]),
    });
    const reopened: string[] = [];
    // PEFT's weight changes for the UNet only: its 128 UNet weights merge again, kohya's other 64 are kept, and the text encoder is not touched.
    const stats = await loras.apply(
      graphs,
      [
        { lora: kohya, unet: 1, text: 1 },
        { lora: peft, unet: 0.6, text: 0.5 },
      ],
      async (part) => void reopened.push(part),
    );
    expect(stats.parts).toEqual(['unet']);
    expect(reopened).toEqual(['unet']);
    expect({ merged: stats.merged, reused: stats.reused }).toEqual({ merged: 128, reused: 64 });
    // The same LoRAs again: nothing to do.
    expect(
      (
        await loras.apply(
          graphs,
          [
            { lora: kohya, unet: 1, text: 1 },
            { lora: peft, unet: 0.6, text: 0.5 },
          ],
          async () => {},
        )
      ).parts,
    ).toEqual([]);
  });
});
