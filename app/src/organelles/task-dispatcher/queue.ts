// The queue of waiting tasks: a binary heap, higher priority first, then first submitted first.
export interface Queued {
  id: string;
  priority: number;
  seq: number;
}

const before = (a: Queued, b: Queued): boolean => a.priority > b.priority || (a.priority === b.priority && a.seq < b.seq);

export class PriorityQueue {
  private readonly heap: Queued[] = [];

  get size(): number {
    return this.heap.length;
  }

  peek(): Queued | undefined {
    return this.heap[0];
  }

  push(item: Queued): void {
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  pop(): Queued | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < h.length && before(h[l]!, h[best]!)) best = l;
        if (r < h.length && before(h[r]!, h[best]!)) best = r;
        if (best === i) break;
        [h[i], h[best]] = [h[best]!, h[i]!];
        i = best;
      }
    }
    return top;
  }
}
