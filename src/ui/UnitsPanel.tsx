// The right panel: the stack of ControlNet units, in the order they are applied.
import { useEngineStore } from '../state/engine-store.ts';
import { useStudio } from '../state/studio-store.ts';
import { UnitCard } from './UnitCard.tsx';

export function UnitsPanel() {
  const units = useStudio((s) => s.units);
  const addUnit = useStudio((s) => s.addUnit);
  const models = useEngineStore((s) => s.controlnets);
  return (
    <div className="units">
      <h2>ControlNet units</h2>
      {units.map((u, i) => (
        <UnitCard key={u.id} unit={u} index={i} count={units.length} />
      ))}
      <button onClick={() => addUnit(models ?? [])}>Add ControlNet unit</button>
    </div>
  );
}
