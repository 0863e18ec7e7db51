const mods = process.argv.slice(2);
const mb = () => { globalThis.gc(); globalThis.gc(); const m = process.memoryUsage(); return [m.rss / 2**20, m.heapUsed / 2**20]; };
let [r0, h0] = mb();
console.log(`base rss ${r0.toFixed(1)} heap ${h0.toFixed(1)}`);
for (const m of mods) {
  await import(m);
  const [r, h] = mb();
  console.log(`${m.padEnd(32)} +rss ${(r - r0).toFixed(1)}  +heap ${(h - h0).toFixed(1)}  (rss ${r.toFixed(1)})`);
  r0 = r; h0 = h;
}
