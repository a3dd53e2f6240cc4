// The picture a generation starts from (img2img) and its mask (inpainting): the chosen unit's
// canvas, rasterised as the person sees it, with A1111's options from the settings.
import { hasMask } from '../canvas/mask.ts';
import { rasterizeMask, rasterizeSource } from '../canvas/rasterize.ts';
import type { ImageInput } from '../preprocess/img2img.ts';
import { hwc3 } from '../preprocess/image-ops.ts';
import { useEngineStore } from './engine-store.ts';
import type { GalleryItem, InputSettings } from './settings.ts';
import { studioRecords } from './studio-records.ts';
import { useStudio } from './studio-store.ts';
import { InputProblem, type Unit } from './units.ts';

/** The run's input, or null for txt2img; an input canvas that is gone or empty is a problem in words. */
export async function runInput(input: InputSettings, units: Unit[]): Promise<ImageInput | null> {
  if (input.unitId === null) return null;
  const index = units.findIndex((u) => u.id === input.unitId);
  if (index < 0) throw new InputProblem('Not generating: the canvas chosen under "Start from" is gone. Pick another canvas, or "Nothing (txt2img)".');
  const src = units[index]!.source.present;
  if (!src.image && !src.strokes.length) throw new InputProblem(`Not generating: unit ${index + 1}'s canvas, the one to start from, is empty. Upload or draw a picture on it first.`);
  const image = hwc3(await rasterizeSource(src));
  return { image, strength: input.strength, resizeMode: input.resizeMode, mask: hasMask(src) ? rasterizeMask(src) : null, inpaint: input.inpaint };
}

/**
 * Gallery "Use as input": the image goes on a canvas of its own (a new unit, off as a
 * ControlNet, so no drawing is lost), which becomes the canvas the next run starts from.
 * The file is stored before the canvas shows it.
 */
export async function startFromGalleryImage(item: GalleryItem): Promise<void> {
  const imageId = `img-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  await studioRecords.put('images', imageId, item.png);
  const studio = useStudio.getState();
  studio.addUnit(useEngineStore.getState().controlnets ?? []);
  const unitId = useStudio.getState().selectedUnitId!;
  const s = useStudio.getState();
  s.placeImage(unitId, { blob: item.png, imageId, name: `${item.id}.png`, width: item.width, height: item.height, x: 0, y: 0, scale: 1 });
  s.updateUnit(unitId, { enabled: false, preprocessor: 'none' });
  s.setSettings({ input: { ...s.settings.input, unitId } });
  await studioRecords.flush();
}
