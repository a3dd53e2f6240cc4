// The store's user actions, run on the real store (its gallery records go to fake-indexeddb here).
import 'fake-indexeddb/auto';
import { beforeEach, describe, expect, it } from 'vitest';
import { useStudio } from './studio-store.ts';
import { checkUnits, unitProblem } from './units.ts';

const MODELS = ['canny', 'scribble'];
const stroke = (x: number) => ({ kind: 'paint' as const, color: 'black' as const, size: 3, points: [x, x, x + 1, x + 1] });

describe('studio store', () => {
  beforeEach(() => useStudio.setState({ units: [], selectedUnitId: null, gallery: [] }));

  it('adds, reorders and removes units; a new unit is selected and picks the scribble model', () => {
    const s = () => useStudio.getState();
    s().addUnit(MODELS);
    s().addUnit(MODELS);
    s().addUnit(MODELS);
    const [a, b, c] = s().units.map((u) => u.id);
    expect(s().selectedUnitId).toBe(c);
    expect(s().units[0]!.model).toBe('scribble');
    s().moveUnit(c!, -1);
    expect(s().units.map((u) => u.id)).toEqual([a, c, b]);
    s().moveUnit(a!, -1);
    expect(s().units.map((u) => u.id)).toEqual([a, c, b]);
    s().removeUnit(c!);
    expect(s().units.map((u) => u.id)).toEqual([a, b]);
    expect(s().selectedUnitId).toBe(a);
  });

  it('strokes and clear are undoable per unit; settings changes are not', () => {
    const s = () => useStudio.getState();
    s().addUnit(MODELS);
    const id = s().units[0]!.id;
    s().addStroke(id, stroke(1));
    s().addStroke(id, stroke(2));
    s().updateUnit(id, { weight: 0.5 });
    s().clearSource(id);
    expect(s().units[0]!.source.present.strokes).toEqual([]);
    s().undo(id);
    expect(s().units[0]!.source.present.strokes).toEqual([stroke(1), stroke(2)]);
    s().undo(id);
    expect(s().units[0]!.source.present.strokes).toEqual([stroke(1)]);
    expect(s().units[0]!.weight).toBe(0.5);
    s().redo(id);
    expect(s().units[0]!.source.present.strokes).toEqual([stroke(1), stroke(2)]);
  });

  it('placing and moving an image are undoable; the canvas takes the size of the image', () => {
    const s = () => useStudio.getState();
    s().addUnit(MODELS);
    const id = s().units[0]!.id;
    s().addStroke(id, stroke(1));
    const blob = new Blob(['png bytes']);
    s().placeImage(id, { blob, imageId: 'img-1', name: 'bird.png', width: 564, height: 846, x: 0, y: 0, scale: 1 });
    s().moveImage(id, { x: 20, y: -10, scale: 0.5 });
    const src = () => s().units[0]!.source.present;
    expect([src().width, src().height, src().strokes]).toEqual([564, 846, []]);
    expect(src().image).toMatchObject({ x: 20, y: -10, scale: 0.5 });
    s().undo(id);
    expect(src().image).toMatchObject({ x: 0, y: 0, scale: 1 });
    s().undo(id);
    expect(src().image).toBeNull();
    expect(src().strokes).toEqual([stroke(1)]);
  });

  it('every source or settings change bumps the input revision (live mode listens to it)', () => {
    const s = () => useStudio.getState();
    s().addUnit(MODELS);
    const r0 = s().inputRevision;
    s().addStroke(s().units[0]!.id, stroke(3));
    s().setSettings({ prompt: 'a cat' });
    expect(s().inputRevision).toBe(r0 + 2);
    s().setSettings({ liveMode: true });
    expect(s().inputRevision).toBe(r0 + 2);
  });

  it('"Use these settings" restores prompt, settings and units from a gallery item', async () => {
    const s = () => useStudio.getState();
    s().addUnit(MODELS);
    const unit = { ...s().units[0]!, weight: 1.5 };
    await s().addToGallery({
      id: 'g1',
      createdAt: 0,
      png: new Blob(),
      width: 64,
      height: 64,
      settings: { ...s().settings, prompt: 'old prompt', seed: 42 },
      units: [unit],
      controlMaps: [],
      parameters: '',
      model: 'tiny',
    });
    s().setSettings({ prompt: 'new prompt', seed: 7 });
    s().removeUnit(unit.id);
    s().useSettingsOf('g1');
    expect(s().settings.prompt).toBe('old prompt');
    expect(s().settings.seed).toBe(42);
    expect(s().units.map((u) => u.weight)).toEqual([1.5]);
    await s().deleteFromGallery('g1');
    expect(s().gallery).toEqual([]);
  });

  it('a missing model or a start after end is named inline, and Generate refuses with every problem', () => {
    const s = () => useStudio.getState();
    s().addUnit(MODELS);
    s().addUnit(MODELS);
    const [a, b] = s().units;
    s().updateUnit(a!.id, { model: 'depth' });
    s().updateUnit(b!.id, { start: 0.8, end: 0.2 });
    const [ua, ub] = s().units;
    expect(unitProblem(ua!, MODELS)).toMatch(/Model "depth" is not in the loaded set. Pick one of: canny, scribble/);
    expect(unitProblem(ub!, MODELS)).toMatch(/Start \(0.8\) is after End \(0.2\)/);
    expect(() => checkUnits(s().units, MODELS)).toThrow(/ControlNet unit 1: Model "depth".*ControlNet unit 2: Start/);
    expect(unitProblem({ ...ua!, enabled: false }, MODELS)).toBeNull();
  });
});
