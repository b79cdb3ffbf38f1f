import t from 'tap';
import { newRequestId } from '../../gateway/request-id.ts';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

t.test('request IDs are version 7 UUIDs carrying their time', async (t) => {
  const now = Date.now();
  const id = newRequestId(now);
  t.match(id, V7);
  t.equal(parseInt(id.slice(0, 8) + id.slice(9, 13), 16), now, 'the first 48 bits are the epoch milliseconds');
});

t.test('later IDs sort after earlier ones, and IDs of one millisecond differ', async (t) => {
  const start = Date.now();
  const ids: string[] = [];
  for (let i = 0; i < 2000; i++) ids.push(newRequestId(start + Math.floor(i / 100)));
  t.equal(new Set(ids).size, ids.length, 'no two alike, also within the same millisecond');
  for (let i = 100; i < ids.length; i += 100) t.ok(ids[i - 1]! < ids[i]!, `the first ID of ms +${i / 100} sorts after the last of the one before`);
  const random = new Set(ids.slice(0, 100).map((id) => id.slice(15)));
  t.equal(random.size, 100, 'the random part changes on every call');
});

t.test('every random digit varies: 74 random bits, the variant digit 8, 9, a or b', async (t) => {
  const ids = Array.from({ length: 4000 }, () => newRequestId(Date.now()));
  const seen = Array.from({ length: 36 }, () => new Set<string>());
  for (const id of ids) for (let i = 0; i < 36; i++) seen[i]!.add(id[i]!);
  const randomDigits = [15, 16, 17, 20, 21, 22, ...Array.from({ length: 12 }, (_, n) => 24 + n)];
  for (const at of randomDigits) t.equal(seen[at]!.size, 16, `digit ${at} takes all 16 values`);
  t.same([...seen[19]!].sort(), ['8', '9', 'a', 'b'], 'the variant digit carries two random bits');
  // Adjacent random digits do not move together (each 4 bits its own).
  const pairs = new Set(ids.map((id) => id.slice(24, 26)));
  t.ok(pairs.size > 200, `${pairs.size} of 256 pairs of adjacent digits seen`);
});
