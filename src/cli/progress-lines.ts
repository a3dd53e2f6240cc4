// Conversion progress for a person: redrawn in place on a terminal (a few times a second), and
// as plain lines in a pipe or a CI log — one when a graph starts, one at every 10%, one when it
// is done — so converting a 2 GB checkpoint writes a few hundred bytes, not megabytes.
import type { GraphProgress } from '../convert/write-set.ts';

const mb = (n: number) => (n / 1e6).toFixed(0);
const describe = (p: GraphProgress) =>
  `${p.graph} (${p.index + 1}/${p.count}): ${mb(p.done)} of ${mb(p.total)} MB · ${mb(p.bytesPerSecond)} MB/s · ETA ${p.etaSeconds === null ? '…' : `${Math.ceil(p.etaSeconds)} s`}`;

export class ProgressLines {
  private graph: string | null = null;
  private tenths = -1;
  private lastDraw = 0;

  /** `tty`: stderr is a terminal (redraw in place); otherwise every report is a whole line. */
  constructor(
    private readonly write: (text: string) => void,
    private readonly tty: boolean,
  ) {}

  report(p: GraphProgress): void {
    if (this.tty) return this.redraw(p);
    const tenths = p.total > 0 ? Math.floor((10 * p.done) / p.total) : 10;
    if (p.graph === this.graph && tenths === this.tenths) return;
    [this.graph, this.tenths] = [p.graph, tenths];
    this.write(`${describe(p)}\n`);
  }

  /** Ends the redrawn line (a terminal), so what follows starts on a line of its own. */
  end(): void {
    if (this.tty && this.graph !== null) this.write('\n');
  }

  private redraw(p: GraphProgress): void {
    const now = performance.now();
    const finished = p.done >= p.total;
    if (p.graph === this.graph && !finished && now - this.lastDraw < 100) return;
    [this.graph, this.lastDraw] = [p.graph, now];
    this.write(`\r${describe(p)}   `);
  }
}
