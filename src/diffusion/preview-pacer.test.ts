import { describe, expect, it } from 'vitest';
import { PREVIEW_BUDGET, PreviewPacer } from './preview-pacer.ts';

describe('preview pacing', () => {
  it('reads every step while a read is cheap, and spaces reads so they average under 5% of a step', () => {
    const pacer = new PreviewPacer();
    expect(pacer.due()).toBe(true);
    pacer.record(40, 0); // no step timed yet
    expect(pacer.interval).toBe(1);
    expect(pacer.due()).toBe(true);
    pacer.record(0.5, 100); // 0.5% of a step
    expect(pacer.interval).toBe(1);
    expect(pacer.due()).toBe(true);
    pacer.record(26, 300); // a 26 ms readback against a 300 ms step: every 2nd step is 4.3%
    expect(pacer.interval).toBe(2);
    expect([pacer.due(), pacer.due()]).toEqual([false, true]);
    pacer.record(26, 30); // a captured 30 ms step: every 18th step
    expect(pacer.interval).toBe(18);
    expect(26 / pacer.interval / 30).toBeLessThan(PREVIEW_BUDGET);
    expect(26 / (pacer.interval - 1) / 30).toBeGreaterThan(PREVIEW_BUDGET);
  });
});
