// Where each LoRA layer lands: the weight of our UNet or text encoder graph it changes. A
// graph's weights are named as diffusers names them ("down_blocks.0.attentions.0.proj_in.weight"),
// so a dotted module name is looked up as it is; kohya's underscore names are looked up in a
// table made from every weight's name in both spellings kohya uses — diffusers'
// ("down_blocks_0_attentions_0_proj_in") and LDM's ("input_blocks_1_1_proj_in"), the latter
// through the same LDM key map the converter uses. Each layer's shapes are checked against its
// weight, so a LoRA made for another model is refused before anything is written.
import { CheckpointError } from '../errors.ts';
import { ldmUnetKey, type UnetLayout } from '../key-map.ts';
import { layerScale, type LoraFile, type LoraLayer, type LoraPart } from './lora-file.ts';

/** A weight a LoRA may change: its graph parameter name and its diffusers shape ([out, in] or [out, in, kh, kw]). */
export interface WeightTarget {
  name: string;
  shape: number[];
}

/** One LoRA layer's contribution to a weight: W += scale · up @ down, scale = multiplier · alpha / rank. */
export interface MergeTerm {
  layer: LoraLayer;
  scale: number;
}

/** Weight name → the terms added to it, in the order the LoRAs were given. */
export type MergePlan = Map<string, MergeTerm[]>;

/** A LoRA and its multiplier for one part (the UNet's or the text encoder's). */
export interface LoraUse {
  lora: LoraFile;
  multiplier: number;
}

/** A LoRA as a person applies it: one multiplier for the UNet and one for the text encoder (A1111's unet= and te=). */
export interface AppliedLora {
  lora: LoraFile;
  unet: number;
  text: number;
}

export const usesFor = (part: LoraPart, applied: AppliedLora[]): LoraUse[] => applied.map((a) => ({ lora: a.lora, multiplier: part === 'unet' ? a.unet : a.text }));

const PART_NAME: Record<LoraPart, string> = { unet: 'UNet', text: 'text encoder' };
const underscore = (dotted: string) => dotted.replace(/\./g, '_');
const moduleOf = (weight: string) => weight.slice(0, -'.weight'.length);

/** The UNet's layout (ResNets per level, levels with attention), read off its weight names. */
function unetLayout(names: string[]): UnetLayout {
  const levels = new Set(names.map((n) => /^down_blocks\.(\d+)\./.exec(n)?.[1]).filter((v) => v !== undefined)).size;
  const resnets = new Set(names.map((n) => /^down_blocks\.0\.resnets\.(\d+)\./.exec(n)?.[1]).filter((v) => v !== undefined)).size;
  return { layersPerBlock: resnets, attention: Array.from({ length: levels }, (_, i) => names.some((n) => n.startsWith(`down_blocks.${i}.attentions.`))) };
}

/** The weights of one graph a LoRA layer can name, under every spelling files use. */
export class LoraTargets {
  private readonly byName = new Map<string, WeightTarget>();

  constructor(
    readonly part: LoraPart,
    weights: WeightTarget[],
  ) {
    // Linear and convolution weights only: norms are 1-D, and an embedding table is not a layer LoRAs change.
    const layers = weights.filter((w) => w.name.endsWith('.weight') && (w.shape.length === 2 || w.shape.length === 4) && !w.name.includes('embeddings.'));
    const layout = part === 'unet' ? unetLayout(layers.map((w) => w.name)) : null;
    for (const w of layers) {
      const module = moduleOf(w.name);
      this.add(`dotted:${module}`, w);
      this.add(`underscore:${underscore(module)}`, w);
      if (layout) this.add(`underscore:${underscore(moduleOf(ldmUnetKey(w.name, layout)))}`, w);
    }
  }

  private add(key: string, w: WeightTarget) {
    const had = this.byName.get(key);
    // Two weights with one spelling would make a kohya name ambiguous; SD 1.5's names never collide.
    if (had && had !== w) throw new Error(`LoRA targets: ${key} names both ${had.name} and ${w.name}`);
    this.byName.set(key, w);
  }

  find(layer: LoraLayer): WeightTarget | null {
    return this.byName.get(`${layer.module.naming}:${layer.module.name}`) ?? null;
  }
}

/** Why a layer's tensors do not fit its weight, or null when they do. */
function misfit(layer: LoraLayer, target: WeightTarget): string | null {
  const [out, inDim, kh = 1, kw = 1] = target.shape;
  const [upOut, , ...upK] = layer.up.shape;
  const [, downIn, dh = 1, dw = 1] = layer.down.shape;
  const upIsPointwise = upK.every((d) => d === 1);
  if (upOut === out && downIn === inDim && upIsPointwise && dh === kh && dw === kw && layer.up.shape.length <= 4 && layer.down.shape.length <= 4) return null;
  const kernel = kh > 1 || kw > 1 ? ` ${kh}×${kw}` : '';
  return `${layer.key} changes a [${upOut} × ${downIn}${dh > 1 ? ` ${dh}×${dw}` : ''}] weight, the model's ${target.name} is [${out} × ${inDim}${kernel}]`;
}

/** What a LoRA's widths say it was made for, when they are another model's. */
function whichBase(file: LoraFile): string {
  const widthOf = (pattern: RegExp) => file.layers.find((l) => pattern.test(l.module.name))?.down.shape[1];
  const context = widthOf(/attn2[._]to_k$/);
  const text = file.layers.find((l) => l.module.part === 'text')?.down.shape[1];
  if (context === 2048 || text === 1280) return ' Its widths are SDXL’s (2048-wide text embeddings): it is an SDXL LoRA.';
  if (context === 1024 || text === 1024) return ' Its widths are Stable Diffusion 2.x’s (1024-wide text embeddings): it is an SD 2.x LoRA.';
  return ' It was made for a model of other widths than this SD 1.5 set.';
}

/** Each layer of `part` in `uses` on its weight, with its scale; refuses (naming the layers) what lands nowhere or does not fit. */
export function planMerge(uses: LoraUse[], targets: LoraTargets): MergePlan {
  const plan: MergePlan = new Map();
  for (const { lora, multiplier } of uses) {
    const layers = lora.layers.filter((l) => l.module.part === targets.part);
    const unmatched = layers.filter((l) => !targets.find(l));
    if (unmatched.length) {
      const names = unmatched.slice(0, 4).map((l) => l.key);
      throw new CheckpointError(
        `${lora.label}: ${unmatched.length} of its ${layers.length} ${PART_NAME[targets.part]} layers match no weight of this model (${names.join(', ')}${unmatched.length > 4 ? ', …' : ''}). Nothing was applied.${whichBase(lora)}`,
      );
    }
    const misfits = layers.map((l) => misfit(l, targets.find(l)!)).filter((m): m is string => m !== null);
    if (misfits.length)
      throw new CheckpointError(`${lora.label} does not fit this model: ${misfits.slice(0, 2).join('; ')}${misfits.length > 2 ? `; and ${misfits.length - 2} more` : ''}.${whichBase(lora)}`);
    if (multiplier === 0) continue;
    for (const layer of layers) {
      const target = targets.find(layer)!;
      plan.set(target.name, [...(plan.get(target.name) ?? []), { layer, scale: multiplier * layerScale(layer) }]);
    }
  }
  return plan;
}
