// Small algebra on weighted sums (Term lists), so a plan can say "√ᾱ·x0 + √(1−ᾱ)·ε" with x0
// and ε themselves sums over the sample and the model output, and run as one weighted sum.
import type { Term } from './types.ts';

/** Σ_k scale_k · sum_k, with one term per tensor. */
export function combine(...parts: [scale: number, sum: readonly Term[]][]): Term[] {
  const byName = new Map<string, number>();
  for (const [scale, sum] of parts) for (const [c, name] of sum) byName.set(name, (byName.get(name) ?? 0) + scale * c);
  return [...byName].map(([name, c]) => [c, name] as const);
}

export const only = (name: string): Term[] => [[1, name]];
