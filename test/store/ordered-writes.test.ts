/** OrderedWrites: same key in call order, a failure stays with its caller, and no key is kept once idle. */
import { describe, expect, it } from 'vitest';
import { OrderedWrites } from '../../src/store/ordered-writes.js';

const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('OrderedWrites', () => {
  it('runs writes of one key in call order, a failed one failing only its caller', async () => {
    const writes = new OrderedWrites();
    const done: string[] = [];
    const first = writes.run('turn', async () => {
      await later(30);
      done.push('first');
    });
    const failing = writes.run('turn', async () => {
      done.push('failing');
      throw new Error('refused');
    });
    const third = writes.run('turn', async () => {
      done.push('third');
      return 3;
    });
    const other = writes.run('other turn', async () => {
      done.push('other');
    });
    await expect(failing).rejects.toThrow('refused');
    expect(await third).toBe(3);
    await Promise.all([first, other]);
    expect(done).toEqual(['other', 'first', 'failing', 'third']);
    await later(0);
    expect(writes.size).toBe(0);
  });
});
