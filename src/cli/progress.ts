import { fmtTime } from '../util/time.js';

// Re-exported so the commands keep one import for progress and durations.
export { fmtTime };

/**
 * A progress bar on stderr: redrawn in place on a terminal, a line every few seconds
 * otherwise (so CI logs stay short). Physics never prints; the CLI draws runners' events.
 */
export class Progress {
  private readonly tty = Boolean(process.stderr.isTTY);
  private lastLine = 0;
  private readonly t0 = Date.now();
  constructor(private readonly label: string, private total: number, private readonly quiet = false) {}

  setTotal(n: number): void {
    this.total = n;
  }

  update(done: number, info = ''): void {
    if (this.quiet) return;
    const now = Date.now();
    const frac = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const elapsed = (now - this.t0) / 1000;
    const eta = done > 0 ? (elapsed / done) * (this.total - done) : NaN;
    const text = `${this.label} ${done}/${this.total} ${(100 * frac).toFixed(0)}% ${fmtTime(elapsed)} elapsed, ETA ${Number.isFinite(eta) ? fmtTime(eta) : '?'}${info ? `  ${info}` : ''}`;
    if (this.tty) {
      const width = 24;
      const fill = Math.round(frac * width);
      process.stderr.write(`\r[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${text}\x1b[K`);
      if (done >= this.total) process.stderr.write('\n');
    } else if (now - this.lastLine > 5000 || done >= this.total) {
      this.lastLine = now;
      process.stderr.write(`${text}\n`);
    }
  }
}
