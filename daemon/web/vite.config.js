// The portal is served under /photo/ by the daemon (and behind the web server's /photo alias).
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { readFileSync } from 'node:fs';

// The daemon's version when cargo builds the portal (build.rs passes it), else the package's own.
const version =
  process.env.PHOTOSD_VERSION ?? JSON.parse(readFileSync(new URL('./package.json', import.meta.url))).version;

export default defineConfig({
  base: '/photo/',
  plugins: [svelte()],
  define: { __APP_VERSION__: JSON.stringify(version) },
  build: {
    target: 'es2022',
    assetsDir: 'assets',
    reportCompressedSize: false,
    chunkSizeWarningLimit: 400,
  },
  server: {
    // `npm run dev` against a daemon on the default address.
    proxy: { '/photo/webapi': 'http://127.0.0.1:5080' },
  },
});
