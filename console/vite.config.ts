// Vite: `npm run dev` here serves the Console with hot reload and proxies the API to the server
// (OMA_SERVER, default http://127.0.0.1:8787); `npm run build` writes dist/, which oma-server serves.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const target = process.env.OMA_SERVER ?? 'http://127.0.0.1:8787';
// The server checks a cookie request's Origin against its own: rewrite it to the target's.
const proxy = { target, changeOrigin: true, headers: { origin: new URL(target).origin } };

export default defineConfig({
  plugins: [react()],
  server: {
    port: 5173,
    strictPort: true,
    proxy: { '/v1': proxy, '/api': proxy, '/health': proxy, '/auth-info': proxy, '/openapi.json': proxy },
  },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1000 },
});
