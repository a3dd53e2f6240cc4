import { describe, expect, it } from 'vitest';
import { docPoint, fitView, stagePoint, stageToDoc, zoomAt } from './coords.ts';
import { commit, initHistory, redo, undo } from './history.ts';
import { IDLE, panMove, panStart, pointerDown, pointerMove, pointerUp, type ToolSettings } from './tools.ts';

const brush: ToolSettings = { tool: 'brush', size: 4, color: 'white' };

describe('canvas tools', () => {
  it('brush: idle → drawing → idle, committing every point as one stroke', () => {
    let step = pointerDown(brush, docPoint(1, 2));
    expect(step.state.mode).toBe('drawing');
    step = pointerMove(brush, step.state, docPoint(3, 4));
    step = pointerMove(brush, step.state, docPoint(5, 6));
    const end = pointerUp(step.state);
    expect(end.state).toEqual(IDLE);
    expect(end.commit).toEqual({ kind: 'paint', color: 'white', size: 4, points: [1, 2, 3, 4, 5, 6] });
  });

  it('eraser strokes erase; line keeps its start and only its latest end', () => {
    const eraser = pointerUp(pointerDown({ ...brush, tool: 'eraser' }, docPoint(0, 0)).state).commit!;
    expect(eraser.kind).toBe('erase');
    const line = { ...brush, tool: 'line' as const };
    let s = pointerDown(line, docPoint(10, 10)).state;
    s = pointerMove(line, s, docPoint(20, 5)).state;
    s = pointerMove(line, s, docPoint(30, 40)).state;
    expect(pointerUp(s).commit!.points).toEqual([10, 10, 30, 40]);
  });

  it('the move tool never draws; a release without a press commits nothing', () => {
    const move = pointerDown({ ...brush, tool: 'move' }, docPoint(1, 1));
    expect(move.state).toEqual(IDLE);
    expect(pointerUp(IDLE).commit).toBeUndefined();
  });

  it('pan moves the view by the drag; zoom keeps the point under the wheel still', () => {
    const view = { scale: 2, x: 10, y: 20 };
    const state = panStart(view, stagePoint(100, 100));
    expect(panMove(state, stagePoint(130, 90))).toEqual({ scale: 2, x: 40, y: 10 });
    const at = stagePoint(200, 150);
    const before = stageToDoc(view, at);
    const zoomed = zoomAt(view, at, 1.5);
    const after = stageToDoc(zoomed, at);
    expect(after.x).toBeCloseTo(before.x, 9);
    expect(after.y).toBeCloseTo(before.y, 9);
  });

  it('fitView centres the document inside the viewport', () => {
    const v = fitView({ width: 64, height: 32 }, { width: 400, height: 400 }, 0);
    expect(v.scale).toBe(400 / 64);
    expect(stageToDoc(v, stagePoint(200, 200))).toEqual(docPoint(32, 16));
  });
});

describe('history', () => {
  it('undo and redo walk back and forth; a new commit drops the redo branch', () => {
    let h = initHistory('a');
    h = commit(h, 'b');
    h = commit(h, 'c');
    h = undo(undo(h));
    expect(h.present).toBe('a');
    h = redo(h);
    expect(h.present).toBe('b');
    h = commit(h, 'd');
    expect(h.future).toEqual([]);
    expect(redo(h)).toBe(h);
    expect(undo(initHistory('x')).present).toBe('x');
  });
});
