import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LiveScheduler, type LiveRun } from './live-scheduler.ts';

describe('LiveScheduler', () => {
  let runs: LiveRun[];
  let cancelled: number[];
  let finish: (() => void)[];
  let scheduler: LiveScheduler;

  beforeEach(() => {
    vi.useFakeTimers();
    runs = [];
    cancelled = [];
    finish = [];
    scheduler = new LiveScheduler(
      {
        start: (run) => {
          runs.push(run);
          return new Promise<void>((resolve, reject) => {
            finish.push(resolve);
            run.signal.addEventListener('abort', () => reject(new Error('cancelled')));
          });
        },
        onCancelled: (r) => cancelled.push(r),
      },
      300,
    );
  });
  afterEach(() => vi.useRealTimers());

  it('waits for the input to be still, then runs once for the latest revision', () => {
    scheduler.changed(1);
    vi.advanceTimersByTime(100);
    scheduler.changed(2);
    vi.advanceTimersByTime(299);
    expect(runs).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(runs.map((r) => r.revision)).toEqual([2]);
    expect(cancelled).toEqual([]);
  });

  it('cancels a stale run the moment the input changes, and keeps only the latest', async () => {
    scheduler.changed(1);
    vi.advanceTimersByTime(300);
    expect(runs[0]!.revision).toBe(1);
    scheduler.changed(2);
    expect(runs[0]!.signal.aborted).toBe(true);
    expect(cancelled).toEqual([1]);
    vi.advanceTimersByTime(300);
    expect(runs.map((r) => r.revision)).toEqual([1, 2]);
    expect(runs[1]!.signal.aborted).toBe(false);
  });

  it('does not rerun a revision that is already running, and stop cancels it', () => {
    scheduler.changed(5);
    vi.advanceTimersByTime(300);
    scheduler.changed(5);
    vi.advanceTimersByTime(300);
    expect(runs).toHaveLength(1);
    scheduler.stop();
    expect(runs[0]!.signal.aborted).toBe(true);
    expect(cancelled).toEqual([5]);
  });
});
