// "Try an example": the whole path in one click. A picture (drawn here: a cottage under a sky,
// our own, so nothing is fetched) with a Canny unit, or a scribble of the same with a scribble
// unit; a prompt to match, and the unit's control map previewed. The picture is stored before
// the canvas shows it, as any upload is.
import type { Stroke } from '../canvas/strokes.ts';
import { useEngineStore } from './engine-store.ts';
import { previewUnit } from './previews.ts';
import { studioRecords } from './studio-records.ts';
import { useStudio } from './studio-store.ts';
import { pickModel } from './units.ts';

export type ExampleKind = 'photo-canny' | 'scribble';

const W = 512;
const H = 384;

/** A cottage in a meadow under a sky: shapes with clear edges, so Canny finds the house. */
export async function examplePicture(): Promise<Blob> {
  const canvas = new OffscreenCanvas(W, H);
  const ctx = canvas.getContext('2d')!;
  const sky = ctx.createLinearGradient(0, 0, 0, H * 0.65);
  sky.addColorStop(0, '#4a78c2');
  sky.addColorStop(1, '#b9d3ef');
  ctx.fillStyle = sky;
  ctx.fillRect(0, 0, W, H);
  ctx.fillStyle = '#f4d35e';
  ctx.beginPath();
  ctx.arc(420, 70, 34, 0, Math.PI * 2);
  ctx.fill();
  ctx.fillStyle = '#5b8c3a';
  ctx.fillRect(0, H * 0.65, W, H * 0.35);
  ctx.fillStyle = '#e8dcc2';
  ctx.fillRect(150, 170, 200, 120);
  ctx.fillStyle = '#9c3d2e';
  ctx.beginPath();
  ctx.moveTo(130, 175);
  ctx.lineTo(250, 95);
  ctx.lineTo(370, 175);
  ctx.closePath();
  ctx.fill();
  ctx.fillStyle = '#6b4226';
  ctx.fillRect(230, 220, 40, 70);
  ctx.fillStyle = '#7fb4e6';
  ctx.fillRect(170, 200, 40, 35);
  ctx.fillRect(290, 200, 40, 35);
  ctx.fillStyle = '#3f6b2a';
  ctx.beginPath();
  ctx.arc(440, 210, 45, 0, Math.PI * 2);
  ctx.fill();
  ctx.fillStyle = '#5a3a22';
  ctx.fillRect(432, 240, 16, 60);
  return canvas.convertToBlob({ type: 'image/png' });
}

/** The same cottage as a few black strokes on white, in document pixels. */
export function exampleScribble(): Stroke[] {
  const line = (points: number[]): Stroke => ({ kind: 'paint', color: 'black', size: 6, points });
  return [
    line([130, 175, 250, 95, 370, 175]),
    line([150, 175, 150, 290, 350, 290, 350, 175]),
    line([230, 290, 230, 220, 270, 220, 270, 290]),
    line([170, 200, 210, 200, 210, 235, 170, 235, 170, 200]),
    line([290, 200, 330, 200, 330, 235, 290, 235, 290, 200]),
    line([440, 300, 440, 250]),
    line([400, 220, 410, 180, 440, 165, 470, 180, 480, 220, 460, 250, 420, 250, 400, 220]),
    line([0, 300, 512, 300]),
  ];
}

export async function tryExample(kind: ExampleKind): Promise<void> {
  const models = useEngineStore.getState().controlnets ?? [];
  const studio = useStudio.getState();
  studio.addUnit(models);
  const id = useStudio.getState().selectedUnitId!;
  if (kind === 'photo-canny') {
    const blob = await examplePicture();
    const imageId = `img-example-${Date.now().toString(36)}`;
    await studioRecords.put('images', imageId, blob);
    useStudio.getState().placeImage(id, { blob, imageId, name: 'example-cottage.png', width: W, height: H, x: 0, y: 0, scale: 1 });
    useStudio.getState().updateUnit(id, { preprocessor: 'canny', model: pickModel('canny', models, '') });
    useStudio.getState().setSettings({ prompt: 'a cozy cottage in a green meadow under a blue sky, oil painting', negativePrompt: 'blurry, low quality' });
  } else {
    useStudio.getState().updateUnit(id, { preprocessor: 'scribble', model: pickModel('scribble', models, '') });
    // The drawing is made for 512×384; the unit's paper is the generation size.
    const paper = useStudio.getState().units.find((u) => u.id === id)!.source.present;
    const [kx, ky] = [paper.width / W, paper.height / H];
    for (const stroke of exampleScribble()) {
      const points = stroke.points.map((v, i) => (i % 2 === 0 ? v * kx : v * ky));
      useStudio.getState().addStroke(id, { ...stroke, points, size: Math.max(2, stroke.size * Math.min(kx, ky)) });
    }
    useStudio.getState().setSettings({ prompt: 'a little house with a tree, watercolor illustration', negativePrompt: 'blurry, low quality' });
  }
  await studioRecords.flush();
  await previewUnit(id);
}
