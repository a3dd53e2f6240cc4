// Live mode runs LCM's recipe only on LCM weights, says why otherwise, and lets a person choose.
import { describe, expect, it } from 'vitest';
import type { StoredLoraInfo } from '../models/set-layout.ts';
import { DEFAULT_LIVE, planLiveRun } from './live-recipe.ts';

const plain = { lcm: null, taesd: { decoder: true, encoder: true } };
const lora = (name: string, lcm: boolean): StoredLoraInfo => ({
  name,
  file: `${name}.safetensors`,
  bytes: 1,
  sha256: '0'.repeat(64),
  lcm,
  format: 'kohya',
  layers: { unet: 1, text: 0 },
  source: 'test',
});

describe('live mode’s recipe', () => {
  it('refuses LCM on a plain UNet and offers the LCM-LoRA', () => {
    expect(planLiveRun(DEFAULT_LIVE, plain, [lora('style', false)])).toMatchObject({
      ok: false,
      offerLcmLora: true,
      problem: expect.stringMatching(/needs LCM weights.*plain SD 1\.5 UNet.*Use LCM-LoRA/),
    });
  });

  it('runs LCM with the library’s LCM-LoRA applied, or on an LCM-distilled set without it', () => {
    expect(planLiveRun(DEFAULT_LIVE, plain, [lora('lcm-lora-sdv1-5', true)])).toEqual({
      ok: true,
      sampler: 'lcm',
      steps: 4,
      cfgScale: 1,
      loras: [{ name: 'lcm-lora-sdv1-5', unet: 1, text: 1 }],
      fastDecode: true,
      notes: [],
    });
    expect(planLiveRun(DEFAULT_LIVE, { ...plain, lcm: 'scheduler' }, [])).toMatchObject({ ok: true, sampler: 'lcm', loras: [] });
    expect(planLiveRun(DEFAULT_LIVE, { ...plain, lcm: 'baked-lora' }, [lora('lcm', true)])).toMatchObject({ ok: true, loras: [] });
  });

  it('lets the person turn the LCM-LoRA off (then says LCM cannot run), or run their own recipe', () => {
    const off = { ...DEFAULT_LIVE, lcmLora: false };
    expect(planLiveRun(off, plain, [lora('lcm', true)])).toMatchObject({ ok: false, offerLcmLora: false, problem: expect.stringMatching(/LCM-LoRA is turned off/) });
    expect(planLiveRun({ ...off, recipe: 'custom', sampler: 'dpmpp-2m', steps: 10, cfgScale: 5 }, plain, [])).toMatchObject({ ok: true, sampler: 'dpmpp-2m', steps: 10, cfgScale: 5, loras: [] });
    // A custom recipe that picks the LCM sampler still needs LCM weights.
    expect(planLiveRun({ ...off, recipe: 'custom', sampler: 'lcm' }, plain, [])).toMatchObject({ ok: false });
  });

  it('decodes with TAESD when there is one, and says so when there is none', () => {
    const noTaesd = { lcm: 'scheduler' as const, taesd: { decoder: false, encoder: false } };
    expect(planLiveRun(DEFAULT_LIVE, noTaesd, [])).toMatchObject({ ok: true, fastDecode: false, notes: [expect.stringMatching(/No TAESD .* decodes with the VAE/)] });
    expect(planLiveRun({ ...DEFAULT_LIVE, fastDecode: false }, { ...plain, lcm: 'scheduler' }, [])).toMatchObject({ ok: true, fastDecode: false, notes: [] });
  });
});
