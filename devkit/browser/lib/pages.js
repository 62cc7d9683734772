// The test's own web server: each page is a small HTML document whose script is bundled by esbuild from
// pages/<name>.js and the SDKs in node_modules (no CDN), served on loopback. The page reads its settings
// (the evaluator's URL, the SDK key) from window.HALYARD, set inline by the server.
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const pagesDir = fileURLToPath(new URL('../pages/', import.meta.url));

// bundle builds pages/<name>.js into one browser script.
async function bundle(name) {
  const out = await build({
    entryPoints: [pagesDir + name + '.js'],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    logLevel: 'warning',
  });
  return out.outputFiles[0].text;
}

function html(name, settings) {
  // The settings are JSON: '<' is escaped so no value can close the script element.
  const json = JSON.stringify(settings).replaceAll('<', '\\u003c');
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${name}</title><link rel="icon" href="data:,"></head>
<body>
<main id="app">loading</main>
<script>window.HALYARD = ${json};</script>
<script type="module" src="/${name}.bundle.js"></script>
</body>
</html>
`;
}

// servePages bundles the named pages and serves each at /<name>.html with settings; it resolves to the
// server's base URL and a close function.
export async function servePages(names, settings) {
  const scripts = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await bundle(n)])));
  const server = http.createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const page = path.match(/^\/([a-z-]+)\.html$/)?.[1];
    const script = path.match(/^\/([a-z-]+)\.bundle\.js$/)?.[1];
    if (page && page in scripts) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(html(page, settings));
    }
    if (script && script in scripts) {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
      return res.end(scripts[script]);
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
