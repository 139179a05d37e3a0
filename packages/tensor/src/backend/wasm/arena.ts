import type { WasmModule } from './module';

// NOTE(wasm-arena): blocks of the module's memory that outlive a call (the recurrence's saved
// activations, from the forward to the backward: recurrent.ts `reserveSaved`), from `start` on,
// first fit between the live blocks (a freed block's gap is reused; neighbours coalesce because
// the gaps are computed, not listed). Every call's scratch starts after the highest live block
// (`wasm.scratch`), so no call overwrites one. Blocks are float offsets, never views: every read
// takes `wasm.heap()` after `reserve`, so a memory.grow changes nothing. Past `cap` floats of
// arena, `alloc` gives null and the caller keeps its buffers in JavaScript: the arena is bounded.

/** A live block: floats [at, end) of the module's memory; `end` is −1 once freed. */
export interface ArenaBlock {
  at: number;
  end: number;
}

export class WasmArena {
  private readonly blocks: ArenaBlock[] = [];
  /** The most floats the arena spans (256 MiB); tests lower it. */
  cap = 1 << 26;
  constructor(private readonly wasm: WasmModule) {}
  /** `n` floats (16-byte aligned) in the first gap that holds them, or null past the cap. */
  alloc(n: number): ArenaBlock | null {
    const { blocks, wasm } = this;
    n = (n + 3) & ~3;
    let at = wasm.start;
    let i = 0;
    for (; i < blocks.length && blocks[i].at - at < n; i++) at = blocks[i].end;
    if (at + n > wasm.start + this.cap) return null;
    const block = { at, end: at + n };
    blocks.splice(i, 0, block);
    this.moved();
    return block;
  }
  /** Frees a block (once: a freed one is left alone). */
  free(block: ArenaBlock): void {
    const i = this.blocks.indexOf(block);
    if (i < 0) return;
    this.blocks.splice(i, 1);
    block.end = -1;
    this.moved();
  }
  /** Floats held by live blocks. */
  live(): number {
    let n = 0;
    for (const b of this.blocks) n += b.end - b.at;
    return n;
  }
  private moved(): void {
    const { wasm, blocks } = this;
    wasm.scratch = blocks.length ? blocks[blocks.length - 1].end : wasm.start;
    wasm.reserve(wasm.scratch);
    // A block may cover the GEMM's resident panels at the old scratch base (NOTE(wasm-copies)).
    wasm.resident = null;
  }
}
