/**
 * filters-reads: trending and search at catalogue scale. Seeds 10,000 filters and
 * 1,000,000 usage rows (spread over the last 7 days, rolled up per hour as the server
 * does), then measures GET /api/stream-filters/trending and /search over HTTP, and prints
 * the query plans to show they answer from indexes.
 *
 *   npm run loadtest -- filters-reads --filters=10000 --usage=1000000 --requests=2000 --concurrency=16
 */
import pg from 'pg';
import { defineScenario, ErrorCounter, Histogram, http, pool, registerBots, round } from '../lib/harness';

const WORDS = [
  'glow',
  'smooth',
  'neon',
  'retro',
  'sparkle',
  'velvet',
  'sunset',
  'frost',
  'honey',
  'cyber',
  'pastel',
  'noir',
];

export default defineScenario({
  name: 'filters-reads',
  description: 'trending and search latency at 10,000 filters and 1,000,000 usage rows',
  needsDatabase: true,
  defaults: { filters: 10_000, usage: 1_000_000, requests: 2000, concurrency: 16 },
  async run({ server, opts, progress }) {
    const log = (s: string) => process.stderr.write(`${s}\n`);
    const db = new pg.Client({ connectionString: server.databaseUrl });
    db.on('error', (err) => log(`database connection error: ${err.message}`));
    await db.connect();
    await db.query(`SET search_path TO ${server.databaseSchema}`);
    const t0 = Date.now();
    log(`seeding ${opts.filters} filters and ${opts.usage} usage rows`);
    await db.query(
      `INSERT INTO stream_filters (name, category, description, params, price, published, featured)
       SELECT initcap(($2::text[])[1 + i % 12]) || ' ' || initcap(($2::text[])[1 + (i / 12) % 12]) || ' ' || i,
              ($3::text[])[1 + i % 9],
              'A ' || ($2::text[])[1 + (i / 7) % 12] || ' look with ' || ($2::text[])[1 + (i / 5) % 12] || ' tones, number ' || i,
              '[{"name":"intensity","type":"number","min":0,"max":100,"default":50}]'::jsonb,
              CASE WHEN i % 3 = 0 THEN 0 ELSE 10 + (i % 50) * 10 END, true, i % 97 = 0
       FROM generate_series(1, $1::int) AS i`,
      [
        opts.filters,
        WORDS,
        ['beauty', 'makeup', 'ar', 'color', 'background', 'sticker', 'text', 'voice', 'face-shape'],
      ],
    );
    // Usage skewed toward a few popular filters, spread over the last 7 days.
    await db.query(
      `WITH f AS (SELECT id, (row_number() OVER (ORDER BY id) - 1)::int AS rn FROM stream_filters),
            g AS (SELECT floor(power(random(), 3) * (SELECT count(*) FROM stream_filters))::int AS rn,
                         now() - random() * interval '7 days' AS at
                  FROM generate_series(1, $1::int))
       INSERT INTO filter_usage (filter_id, user_id, stream_id, created_at)
       SELECT f.id, '00000000-0000-0000-0000-000000000001'::uuid, 'bench', g.at FROM g JOIN f USING (rn)`,
      [opts.usage],
    );
    await db.query(
      `INSERT INTO filter_usage_hourly (filter_id, hour, uses)
       SELECT filter_id, date_trunc('hour', created_at), count(*) FROM filter_usage GROUP BY 1, 2
       ON CONFLICT (filter_id, hour) DO UPDATE SET uses = filter_usage_hourly.uses + EXCLUDED.uses`,
    );
    await db.query(
      `UPDATE stream_filters f SET usage_count = u.n FROM (SELECT filter_id, count(*) AS n FROM filter_usage GROUP BY 1) u WHERE u.filter_id = f.id`,
    );
    await db.query('ANALYZE');
    const [{ n: filters }] = (await db.query('SELECT count(*)::int AS n FROM stream_filters')).rows;
    const [{ n: usage }] = (await db.query('SELECT count(*)::int AS n FROM filter_usage')).rows;
    const [{ n: hourly }] = (await db.query('SELECT count(*)::int AS n FROM filter_usage_hourly')).rows;
    log(
      `seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${filters} filters, ${usage} usage rows, ${hourly} hourly buckets`,
    );

    const plans: Record<string, string[]> = {};
    const explain = async (name: string, sql: string, args: unknown[]) => {
      const r = await db.query(`EXPLAIN (ANALYZE, BUFFERS OFF, COSTS OFF) ${sql}`, args);
      plans[name] = r.rows.map((x: Record<string, string>) => x['QUERY PLAN']!);
    };
    await explain(
      'trending',
      `SELECT filter_id, sum(uses * (1 - 0.75 * extract(epoch FROM (date_trunc('hour', now()) - hour)) / 86400.0)) AS score
       FROM filter_usage_hourly WHERE hour > date_trunc('hour', now()) - interval '24 hours' GROUP BY filter_id ORDER BY score DESC LIMIT 40`,
      [],
    );
    await explain(
      'search',
      `SELECT id FROM stream_filters f WHERE f.published AND f.search @@ to_tsquery('simple', $1)
       ORDER BY ts_rank(f.search, to_tsquery('simple', $1)) DESC LIMIT 20`,
      ['neon:* & sparkle:*'],
    );
    await db.end();

    const [bot] = await registerBots(server, 1, 'reader');
    const errors = new ErrorCounter();
    const all = new Histogram();
    const byKind: Record<string, Histogram> = { trending: new Histogram(), search: new Histogram() };
    const queries = ['glow', 'neon sparkle', 'retro', 'smooth skin', 'velvet noir', 'frost', 'beauty', 'cyber pastel'];
    let done = 0;
    const stop = progress(
      () => `requests ${done}/${opts.requests}  p99 ${all.percentile(99).toFixed(1)} ms  errors ${errors.total}`,
    );
    const cpu0 = server.cpuMs();
    await pool(Number(opts.requests), Number(opts.concurrency), async (i) => {
      const kind = i % 2 ? 'search' : 'trending';
      const path =
        kind === 'trending'
          ? '/api/stream-filters/trending?limit=20'
          : `/api/stream-filters/search?q=${encodeURIComponent(queries[i % queries.length]!)}`;
      const t = performance.now();
      const res = await http(server, 'GET', path, { token: bot!.token });
      const ms = performance.now() - t;
      if (res.status !== 200 || !res.body.data) errors.add(String(res.status));
      all.record(ms);
      byKind[kind]!.record(ms);
      done++;
    });
    const serverCpuMs = server.cpuMs() - cpu0;
    stop();
    const trending = byKind.trending!.summary();
    const search = byKind.search!.summary();
    return {
      clients: Number(opts.concurrency),
      messages: Number(opts.requests),
      errors,
      latency: all.summary(),
      serverCpuMs,
      extra: {
        data: { filters, usageRows: usage, hourlyBuckets: hourly },
        trending,
        search,
        planTrending: plans.trending!.filter((l) => /Scan|Execution Time/.test(l)).map((l) => l.trim()),
        planSearch: plans.search!.filter((l) => /Scan|Execution Time/.test(l)).map((l) => l.trim()),
        throughputPerSec: round(
          Number(opts.requests) / ((all.summary().mean * Number(opts.requests)) / Number(opts.concurrency) / 1000),
        ),
      },
      checks: [
        { name: 'no errors', pass: errors.total === 0 },
        {
          name: 'trending answers from the hourly index',
          pass: plans.trending!.some((l) => /Index (Only )?Scan/.test(l)),
          detail: 'see planTrending',
        },
        {
          name: 'search answers from the GIN index',
          pass: plans.search!.some((l) => /Bitmap Index Scan on stream_filters_search/.test(l)),
          detail: 'see planSearch',
        },
      ],
    };
  },
});
