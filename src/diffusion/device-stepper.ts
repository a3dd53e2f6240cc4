// A scheduler's steps on the device: each weighted sum of a StepPlan is one op-graph run, the
// tensors a plan keeps (DPM++'s previous x0, PLMS's ε history) stay on the device for the next
// step, and nothing is read back. Fresh noise for ancestral samplers comes from the torch-
// compatible generator on the CPU and is uploaded (a CPU→GPU copy, not a readback).
import type { StepPlan } from './schedulers/types.ts';
import type { DeviceTensor, TensorOps } from './session.ts';

export class DeviceStepper {
  private kept = new Map<string, DeviceTensor>();

  constructor(private readonly ops: TensorOps) {}

  /**
   * Runs `plan` over the sample `x` and the model output `out` (both float32; the stepper takes
   * them over and disposes them once no later step reads them). Returns the next sample, which
   * the caller owns.
   */
  async step(plan: StepPlan, x: DeviceTensor, out: DeviceTensor, noise: () => Promise<DeviceTensor>): Promise<DeviceTensor> {
    const tensors = new Map([...this.kept, ['x', x], ['out', out]]);
    const made: DeviceTensor[] = [];
    try {
      if (plan.noise) made.push(tensors.set('noise', await noise()).get('noise')!);
      for (const { name, terms } of plan.compute) {
        const sum = await this.ops.weightedSum(
          terms.map(([, t]) => tensors.get(t) ?? missing(t)),
          terms.map(([c]) => c),
        );
        made.push(sum);
        tensors.set(name, sum);
      }
    } catch (err) {
      for (const t of made) t.dispose();
      throw err;
    }
    const next = tensors.get(plan.next)!;
    const kept = new Map(Object.entries(plan.keep).map(([keptName, name]) => [keptName, tensors.get(name) ?? missing(name)]));
    if ([...kept.values()].includes(next)) throw new Error('a step plan may not keep its own result: the caller owns it');
    // Whatever neither the next step nor the caller holds is done with.
    const live = new Set([next, ...kept.values()]);
    for (const t of new Set([...this.kept.values(), x, out, ...made])) if (!live.has(t)) t.dispose();
    this.kept = kept;
    return next;
  }

  dispose(): void {
    for (const t of this.kept.values()) t.dispose();
    this.kept.clear();
  }
}

function missing(name: string): never {
  throw new Error(`step plan reads "${name}", which this step does not have`);
}
