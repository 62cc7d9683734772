import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// `npm run dev` proxies the admin API to a running writer (make dev's, unless HALYARD_WRITER_URL says).
const writer = process.env.HALYARD_WRITER_URL ?? "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // One entry chunk and no inline polyfill: the CSP allows only this origin's script files.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  server: { proxy: { "/api": writer } },
});
