// Drawing on the studio's canvas in document pixels: the canvas fits the document in its box
// (fitView), so a point of the picture is found on the screen the same way.
import type { Page } from '@playwright/test';
import { fitView } from '../../src/canvas/coords.ts';

/** Drags across the canvas between two points given in document pixels. */
export async function dragOnDocument(page: Page, doc: { width: number; height: number }, from: [number, number], to: [number, number]): Promise<void> {
  const box = (await page.getByLabel('Canvas', { exact: true }).boundingBox())!;
  const view = fitView(doc, { width: box.width, height: box.height });
  const at = ([x, y]: [number, number]) => [box.x + view.x + x * view.scale, box.y + view.y + y * view.scale] as const;
  await page.mouse.move(...at(from));
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) await page.mouse.move(at(from)[0] + ((at(to)[0] - at(from)[0]) * i) / 10, at(from)[1] + ((at(to)[1] - at(from)[1]) * i) / 10);
  await page.mouse.up();
}
