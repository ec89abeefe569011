// Injected into a copy of report.html by .ci/report-check and run by headless Chromium once the page has loaded.
// Writes one line into <pre id="report-check-verdict">, which --dump-dom prints:
//   REPORT-CHECK PASS images=N trials=N metrics=N plot-bars=N ground-truth=yes|none
//   REPORT-CHECK FAIL: <every problem found>
// An image counts as decoded when it is an inline PNG, complete with a natural size, and every pixel drawn from it
// onto a canvas is opaque: the report's PNGs are RGB, so a transparent pixel is one the decoder never reached
// (Chromium shows a PNG corrupted after its header as a partly drawn image with naturalWidth > 0, and its decode()
// resolves). Everything runs synchronously in the load handler (drawImage decodes synchronously), so the verdict is
// in the DOM before --dump-dom prints it; promise-based checks such as decode() may settle only after the dump.
window.addEventListener('load', () => {
  const problems = [];
  let images = [], rows = 0, bars = 0, trials = 0, groundTruth = 'yes';
  try {
    images = Array.from(document.images);
    if (images.length === 0) problems.push('the page has no images');
    for (const [i, img] of images.entries()) {
      const name = `image ${i} (${img.alt})`;
      if (!img.getAttribute('src').startsWith('data:image/png;base64,')) {
        problems.push(`${name} is not an inline PNG`);
        continue;
      }
      if (!img.complete || img.naturalWidth === 0 || img.naturalHeight === 0) {
        problems.push(`${name} is not complete (natural size ${img.naturalWidth}x${img.naturalHeight})`);
        continue;
      }
      const canvas = document.createElement('canvas');
      canvas.width = img.naturalWidth;
      canvas.height = img.naturalHeight;
      const context = canvas.getContext('2d');
      context.drawImage(img, 0, 0);
      const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
      let missing = 0;
      for (let k = 3; k < pixels.length; k += 4) if (pixels[k] !== 255) missing++;
      if (missing > 0) problems.push(`${name}: ${missing} of ${pixels.length / 4} pixels never decoded`);
    }

    const table = document.querySelector('table#metrics');
    rows = table ? table.querySelectorAll('tr').length - 1 : 0;
    if (rows < 1) problems.push('no metrics table (table#metrics) with rows');
    // Every metric's value is a finite number ("NaN", "Infinity" or an empty cell is a broken computation).
    for (const row of table ? Array.from(table.querySelectorAll('tr')).slice(1) : []) {
      const cells = row.querySelectorAll('td');
      const value = cells.length > 1 ? cells[1].textContent.trim() : '';
      if (!/^-?\d+(\.\d+)?$/.test(value) || !Number.isFinite(Number(value))) {
        problems.push(`metric '${cells.length > 0 ? cells[0].textContent.trim() : '?'}' has the value '${value}', not a finite number`);
      }
    }
    const plot = document.querySelector('svg#plot');
    if (!(plot instanceof SVGSVGElement)) problems.push('no inline SVG plot (svg#plot)');
    else if ((bars = plot.querySelectorAll('rect').length) < 1) problems.push('the plot has no bars');
    trials = document.querySelectorAll('section.trial').length;
    if (trials < 1) problems.push('no trials (section.trial)');
    if (document.getElementById('no-ground-truth')) groundTruth = 'none';

    // Self-contained: nothing but data: URIs and in-page anchors, and nothing fetched.
    for (const el of document.querySelectorAll('[src],[href]')) {
      const url = el.getAttribute('src') ?? el.getAttribute('href');
      if (!url.startsWith('data:') && !url.startsWith('#')) problems.push(`external reference: ${el.tagName.toLowerCase()} ${url.slice(0, 80)}`);
    }
    for (const entry of performance.getEntriesByType('resource')) {
      if (!entry.name.startsWith('data:')) problems.push(`fetched from outside the page: ${entry.name.slice(0, 80)}`);
    }
  } catch (e) {
    problems.push(`the check itself failed: ${e}`);
  }

  const verdict = document.createElement('pre');
  verdict.id = 'report-check-verdict';
  verdict.textContent = problems.length > 0
    ? `REPORT-CHECK FAIL: ${problems.join('; ')}`
    : `REPORT-CHECK PASS images=${images.length} trials=${trials} metrics=${rows} plot-bars=${bars} ground-truth=${groundTruth}`;
  document.body.appendChild(verdict);
});
