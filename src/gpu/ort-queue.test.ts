import { describe, expect, it } from 'vitest';
import { OrtQueue } from './ort-queue.ts';

describe('OrtQueue', () => {
  it('starts a job only after the one before it has settled, failed or not', async () => {
    const queue = new OrtQueue();
    const events: string[] = [];
    let release!: () => void;
    const first = queue.run(async () => {
      events.push('first starts');
      await new Promise<void>((r) => (release = r));
      events.push('first fails');
      throw new Error('cancelled');
    });
    const second = queue.run(async () => {
      events.push('second starts');
      return 2;
    });
    await Promise.resolve();
    await Promise.resolve();
    expect(events).toEqual(['first starts']);
    release();
    await expect(first).rejects.toThrow('cancelled');
    expect(await second).toBe(2);
    expect(events).toEqual(['first starts', 'first fails', 'second starts']);
  });
});
