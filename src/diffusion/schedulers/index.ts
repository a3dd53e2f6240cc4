// createScheduler(name, config): the samplers the studio offers, configured from a
// model set's scheduler_config.json (which may name any diffusers scheduler class).
import { DdimScheduler } from './ddim.ts';
import { DpmppTwoMScheduler } from './dpmpp-2m.ts';
import { EulerScheduler } from './euler.ts';
import { LcmScheduler } from './lcm.ts';
import { PndmScheduler } from './pndm.ts';
import type { Scheduler } from './types.ts';

export type { Scheduler, StepNoise } from './types.ts';

export const SCHEDULER_NAMES = ['ddim', 'euler', 'euler-a', 'dpmpp-2m', 'dpmpp-2m-karras', 'lcm', 'pndm'] as const;
export type SchedulerName = (typeof SCHEDULER_NAMES)[number];

/** Display names as A1111 writes them in PNG `parameters`. */
export const SCHEDULER_LABELS: Record<SchedulerName, string> = {
  ddim: 'DDIM',
  euler: 'Euler',
  'euler-a': 'Euler a',
  'dpmpp-2m': 'DPM++ 2M',
  'dpmpp-2m-karras': 'DPM++ 2M Karras',
  lcm: 'LCM',
  pndm: 'PLMS',
};

export function createScheduler(name: SchedulerName, config: Record<string, unknown>): Scheduler {
  switch (name) {
    case 'ddim':
      return new DdimScheduler(config);
    case 'euler':
      return new EulerScheduler(config);
    case 'euler-a':
      return new EulerScheduler(config, true);
    case 'dpmpp-2m':
      return new DpmppTwoMScheduler(config, false);
    case 'dpmpp-2m-karras':
      return new DpmppTwoMScheduler(config, true);
    case 'lcm':
      return new LcmScheduler(config);
    case 'pndm':
      return new PndmScheduler(config);
    default:
      throw new Error(`Unknown sampler "${name as string}". Choose one of: ${SCHEDULER_NAMES.join(', ')}.`);
  }
}
