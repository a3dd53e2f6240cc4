// A generation that starts from an image, as A1111's img2img and inpaint tabs run it: the input
// (at its own size) is fitted to the generation size with the resize mode, or, for "only masked",
// the padded box around the mask is cropped and scaled to it; the masked area is filled when
// asked; the pipeline denoises; and the result is pasted back and composited with the blurred
// mask. The studio's engine and the CLI both run generations through here.
import type { ControlUnit } from '../diffusion/control-units.ts';
import { generate, type GenerateParams, type GenerateResult, type PipelineControl, type PipelineModels } from '../diffusion/pipeline.ts';
import type { InitImage } from '../diffusion/pipeline-init.ts';
import { fitToSize, type ResizeMode, type Rgba } from './image-ops.ts';
import {
  blurMask,
  compositeMasked,
  cropImage,
  cropMask,
  cropRegion,
  DEFAULT_INPAINT,
  fillMasked,
  hasMaskedPixels,
  INPAINT_AREA_LABELS,
  MASKED_CONTENT_LABELS,
  maskFromRgba,
  maskToRgba,
  pasteInto,
  type InpaintOptions,
  type Box,
  type PixelMask,
} from './inpaint-image.ts';

export interface ImageInput {
  /** The start image at its own size. */
  image: Rgba;
  /** Denoising strength, (0, 1]. */
  strength: number;
  /** How an input of another size becomes the generation size (as units' resize modes). */
  resizeMode: ResizeMode;
  /** Inpainting: the input's size, 255 where to repaint. */
  mask?: PixelMask | null;
  inpaint?: InpaintOptions;
}

export interface PreparedInput {
  init: InitImage;
  /** The generated image → what the person gets (pasted back, composited outside the mask). */
  finish: (generated: Rgba) => Rgba;
  /** "Only masked": the box of the input that is generated, so other units' maps are cropped to it too. */
  crop?: { box: Box; width: number; height: number };
}

/** The pipeline's start image (and mask) at the generation size, and how its result is finished. */
export function prepareInput(input: ImageInput, width: number, height: number): PreparedInput {
  const options = input.inpaint ?? DEFAULT_INPAINT;
  const rawMask = input.mask && hasMaskedPixels(input.mask) ? input.mask : null;
  if (rawMask && (rawMask.width !== input.image.width || rawMask.height !== input.image.height)) {
    throw new Error(`The mask is ${rawMask.width}×${rawMask.height} and the input image ${input.image.width}×${input.image.height}; they must be the same size.`);
  }
  if (!rawMask) return { init: { image: fitToSize(input.image, width, height, input.resizeMode), strength: input.strength }, finish: (g) => g };
  const mask = blurMask(rawMask, options.maskBlur);
  const latentContent = options.content === 'fill' ? 'original' : options.content;
  if (options.area === 'masked') {
    // Only masked: the padded box around the mask is generated at the full generation size and pasted back.
    const box = cropRegion(mask, options.padding, { width, height });
    const fit = (image: Rgba) => fitToSize(cropImage(image, box), width, height, 'just-resize');
    const genMask = maskFromRgba(fitToSize(maskToRgba(cropMask(mask, box)), width, height, 'just-resize'));
    const image = options.content === 'fill' ? fillMasked(fit(input.image), genMask) : fit(input.image);
    return {
      init: { image, strength: input.strength, mask: genMask, content: latentContent },
      finish: (g) => compositeMasked(input.image, pasteInto(input.image, g, box), mask),
      crop: { box, width: input.image.width, height: input.image.height },
    };
  }
  const base = fitToSize(input.image, width, height, input.resizeMode);
  const genMask = maskFromRgba(fitToSize(maskToRgba(mask), width, height, input.resizeMode));
  const image = options.content === 'fill' ? fillMasked(base, genMask) : base;
  return { init: { image, strength: input.strength, mask: genMask, content: latentContent }, finish: (g) => compositeMasked(base, g, genMask) };
}

/**
 * The part of a unit's map (at the generation size, fitted to the whole picture) that "only masked"
 * generates: the input's box scaled to the map, then scaled up to the generation size — as the
 * ControlNet extension crops its units' maps for an inpaint area of "Only masked".
 */
export function cropToInputBox(map: Rgba, crop: NonNullable<PreparedInput['crop']>): Rgba {
  const [sx, sy] = [map.width / crop.width, map.height / crop.height];
  const x = Math.min(map.width - 1, Math.round(crop.box.x * sx));
  const y = Math.min(map.height - 1, Math.round(crop.box.y * sy));
  const box = { x, y, width: Math.max(1, Math.min(map.width - x, Math.round(crop.box.width * sx))), height: Math.max(1, Math.min(map.height - y, Math.round(crop.box.height * sy))) };
  return fitToSize(cropImage(map, box), map.width, map.height, 'just-resize');
}

/** A unit whose hint is the run's input (`inpaint_only`) gets it now, its masked pixels marked; with "only masked", the others are cropped to the generated box. */
function withInputHints(units: ControlUnit[], init: InitImage | undefined, crop: PreparedInput['crop']): ControlUnit[] {
  return units.map((u) => {
    if (!u.fromInput) return crop ? { ...u, image: cropToInputBox(u.image, crop) } : u;
    if (!init) throw new Error('An inpaint_only unit takes its hint from the input image, and this run has none. Turn on "Start from an image" or pick another preprocessor.');
    return { ...u, image: init.image, inpaintMask: init.mask };
  });
}

/** generate(), starting from `input` when there is one. */
export async function generateFromInput(models: PipelineModels, params: GenerateParams & { input?: ImageInput | null }, control: PipelineControl = {}): Promise<GenerateResult> {
  const { input, ...rest } = params;
  const prepared = input ? prepareInput(input, params.width, params.height) : null;
  const init = prepared?.init ?? params.init;
  const result = await generate(models, { ...rest, init, units: withInputHints(params.units, init, prepared?.crop) }, control);
  return prepared ? { ...result, image: prepared.finish(result.image) } : result;
}

/** The `parameters` fields A1111 writes for a run from an image: Denoising strength, and inpainting's Mask blur, Inpaint area, Masked area padding, Masked content. */
export function inputParameterFields(input: ImageInput): [string, string | number][] {
  const fields: [string, string | number][] = [['Denoising strength', input.strength]];
  if (!input.mask || !hasMaskedPixels(input.mask)) return fields;
  const o = input.inpaint ?? DEFAULT_INPAINT;
  fields.push(['Mask blur', o.maskBlur], ['Inpaint area', INPAINT_AREA_LABELS[o.area]]);
  if (o.area === 'masked') fields.push(['Masked area padding', o.padding]);
  fields.push(['Masked content', MASKED_CONTENT_LABELS[o.content]]);
  return fields;
}
