// Filling the studio's number fields (Width, Height, Steps, CFG scale, Seed, …) by their labels.
import type { Page } from '@playwright/test';

export async function fillNumbers(page: Page, values: Record<string, number | string>): Promise<void> {
  for (const [name, value] of Object.entries(values)) await page.getByRole('spinbutton', { name, exact: true }).fill(String(value));
}
