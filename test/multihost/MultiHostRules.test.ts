import assert from 'node:assert/strict';
import {
  can,
  canChangeOthersMedia,
  canKick,
  computeLayout,
  gridShape,
  LAYOUTS,
  type Tile,
  topologyFor,
} from '../../src/domain/multihost/rules';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `h${i}`);
// Tiles are rounded to 4 decimals: neighbours may share a 0.0001 sliver.
const E = 1e-3;
const overlaps = (a: Tile, b: Tile) =>
  a.x < b.x + b.w - E && b.x < a.x + a.w - E && a.y < b.y + b.h - E && b.y < a.y + a.h - E;

describe('Multi-host rules', () => {
  it('decides permissions by role', () => {
    assert.equal(can('primary', 'end'), true);
    assert.equal(can('co-host', 'invite'), true);
    assert.equal(can('co-host', 'end'), false);
    assert.equal(can('co-host', 'set-role'), false);
    assert.equal(can('guest', 'invite'), false);
    assert.equal(can(undefined, 'layout'), false);
    assert.deepEqual(
      [
        canKick('primary', 'co-host'),
        canKick('primary', 'primary'),
        canKick('co-host', 'guest'),
        canKick('co-host', 'co-host'),
        canKick('guest', 'guest'),
      ],
      [true, false, true, false, false],
    );
    assert.deepEqual(
      [
        canChangeOthersMedia('co-host', 'guest'),
        canChangeOthersMedia('co-host', 'primary'),
        canChangeOthersMedia('guest', 'guest'),
      ],
      [true, false, false],
    );
  });

  it('switches topology above four hosts', () => {
    assert.deepEqual([1, 4, 5, 9].map(topologyFor), ['mesh', 'mesh', 'sfu', 'sfu']);
  });

  it('grid: 1, 2, 2×2 and 3×3 by count', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 9].map((n) => gridShape(n)),
      [
        { cols: 1, rows: 1 },
        { cols: 2, rows: 1 },
        { cols: 2, rows: 2 },
        { cols: 2, rows: 2 },
        { cols: 3, rows: 3 },
        { cols: 3, rows: 3 },
      ],
    );
    assert.deepEqual(computeLayout('grid', ids(2)), {
      h0: { x: 0, y: 0, w: 0.5, h: 1, z: 0 },
      h1: { x: 0.5, y: 0, w: 0.5, h: 1, z: 0 },
    });
    assert.deepEqual(computeLayout('grid', ids(5)).h4, { x: 0.3333, y: 0.3333, w: 0.3333, h: 0.3333, z: 0 });
  });

  it('spotlight, sidebar and pip put the focus host in the main tile', () => {
    assert.deepEqual(computeLayout('spotlight', ids(3), 'h2').h2, { x: 0, y: 0, w: 1, h: 0.75, z: 0 });
    assert.deepEqual(computeLayout('sidebar', ids(3), 'h1').h1, { x: 0, y: 0, w: 0.75, h: 1, z: 0 });
    assert.deepEqual(computeLayout('sidebar', ids(3), 'h1').h2, { x: 0.75, y: 0.5, w: 0.25, h: 0.5, z: 0 });
    const pip = computeLayout('pip', ids(3));
    assert.deepEqual(pip.h0, { x: 0, y: 0, w: 1, h: 1, z: 0 });
    assert.equal(pip.h1!.z, 1);
    assert.deepEqual(computeLayout('spotlight', ids(1)).h0, { x: 0, y: 0, w: 1, h: 1, z: 0 });
  });

  it('every layout, every count: tiles stay on screen and only pip overlays overlap', () => {
    for (const layout of LAYOUTS) {
      for (let n = 1; n <= 9; n++) {
        const tiles = computeLayout(layout, ids(n));
        assert.equal(Object.keys(tiles).length, n, `${layout} ${n}`);
        const list = Object.values(tiles);
        for (const t of list) {
          assert.ok(
            t.x >= 0 && t.y >= 0 && t.x + t.w <= 1.0001 && t.y + t.h <= 1.0001,
            `${layout} ${n} ${JSON.stringify(t)}`,
          );
        }
        for (let i = 0; i < list.length; i++) {
          for (let j = i + 1; j < list.length; j++) {
            const sameLevel = list[i]!.z === list[j]!.z;
            if (sameLevel) assert.ok(!overlaps(list[i]!, list[j]!), `${layout} ${n}: tiles ${i} and ${j} overlap`);
          }
        }
      }
    }
  });
});
