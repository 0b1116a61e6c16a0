// A line chart of latency percentiles against offered load, as SVG (no dependencies).
export function latencyChart(series, title) {
  const W = 760;
  const H = 420;
  const m = { l: 70, r: 170, t: 40, b: 55 };
  const points = series.flatMap((s) => s.points);
  const maxX = Math.max(...points.map((p) => p.x), 1) * 1.05;
  const maxY = Math.max(...points.map((p) => p.y), 1) * 1.1;
  const sx = (x) => m.l + (x / maxX) * (W - m.l - m.r);
  const sy = (y) => H - m.b - (y / maxY) * (H - m.t - m.b);
  const ticks = (max) => Array.from({ length: 6 }, (_, i) => (max * i) / 5);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${m.l}" y="24" font-size="14">${title}</text>`,
  ];
  for (const x of ticks(maxX)) {
    out.push(`<line x1="${sx(x)}" y1="${sy(0)}" x2="${sx(x)}" y2="${m.t}" stroke="#eee"/>`);
    out.push(`<text x="${sx(x) - 12}" y="${H - m.b + 18}">${Math.round(x)}</text>`);
  }
  for (const y of ticks(maxY)) {
    out.push(`<line x1="${m.l}" y1="${sy(y)}" x2="${W - m.r}" y2="${sy(y)}" stroke="#eee"/>`);
    out.push(`<text x="${m.l - 45}" y="${sy(y) + 4}">${y.toFixed(1)}</text>`);
  }
  out.push(`<text x="${m.l + 120}" y="${H - 12}">offered load (calls per second)</text>`);
  out.push(`<text x="16" y="${m.t + 160}" transform="rotate(-90 16 ${m.t + 160})">round-trip latency (ms)</text>`);
  series.forEach((s, i) => {
    const d = s.points.map((p, k) => `${k === 0 ? "M" : "L"}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(" ");
    out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2" ${s.dashed ? 'stroke-dasharray="6 4"' : ""}/>`);
    for (const p of s.points) out.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3" fill="${s.color}"/>`);
    const ly = m.t + 10 + i * 20;
    out.push(`<line x1="${W - m.r + 15}" y1="${ly}" x2="${W - m.r + 45}" y2="${ly}" stroke="${s.color}" stroke-width="2" ${s.dashed ? 'stroke-dasharray="6 4"' : ""}/>`);
    out.push(`<text x="${W - m.r + 50}" y="${ly + 4}">${s.name}</text>`);
  });
  out.push("</svg>");
  return out.join("\n");
}
