/** Time-ordered request IDs of async events: valid version-7 UUIDs whose text order is their time order. */
import t from 'tap';
import { timeOrderedId } from '../../gateway/async/request-id.ts';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

t.test('a version-7 UUID carrying the time in its first 48 bits', async (t) => {
  const now = Date.now();
  const id = timeOrderedId(now);
  t.match(id, V7);
  t.equal(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16), now, 'the time reads back');
});

t.test('IDs of later milliseconds sort after earlier ones; IDs of one millisecond differ', async (t) => {
  const start = Date.now();
  const ids = Array.from({ length: 2000 }, (_, i) => timeOrderedId(start + Math.floor(i / 4)));
  const byTime = ids.map((id, i) => [id, Math.floor(i / 4)] as const);
  const sorted = [...byTime].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  t.same(sorted.map(([, ms]) => ms), byTime.map(([, ms]) => ms), 'text order is time order');
  t.equal(new Set(ids).size, ids.length, 'all distinct');
  for (const id of ids) if (!V7.test(id)) t.fail(`not a v7 UUID: ${id}`);
});
