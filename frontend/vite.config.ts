/// <reference types="vitest/config" />
import { fileURLToPath, URL } from 'node:url'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import AutoImport from 'unplugin-auto-import/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'
import { compression, defineAlgorithm } from 'vite-plugin-compression2'

export default defineConfig({
  plugins: [
    vue(),
    // Element Plus on demand: each page's chunk brings the components it uses, with their styles, so the
    // login page no longer loads the whole library. ElMessage and ElMessageBox are imported by name; the
    // resolver adds their styles too.
    AutoImport({ resolvers: [ElementPlusResolver()], dts: false }),
    Components({ resolvers: [ElementPlusResolver()], dts: false }),
    // Pre-compressed copies beside every asset (name.br, name.gz); backend/spa.py serves the one the browser
    // accepts, with Content-Encoding and Vary: Accept-Encoding.
    compression({
      algorithms: [defineAlgorithm('brotliCompress'), defineAlgorithm('gzip', { level: 9 })],
      include: /\.(js|mjs|css|html|svg|json)$/,
      threshold: 1024,
    }),
  ],
  // vue-i18n's esm-bundler flags: composition API only, no devtools in production
  define: {
    __VUE_I18N_FULL_INSTALL__: true,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
  },
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  server: {
    port: 5173,
    proxy: { '/api': 'http://127.0.0.1:8000' },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // ECharts alone is ~570 kB before compression (~190 kB brotli), loaded only by pages with charts
    chunkSizeWarningLimit: 600,
    rollupOptions: {
      output: {
        // The framework in one long-cached chunk, the charts in another (only pages with charts load it);
        // Element Plus is split by the pages that use its components.
        manualChunks: {
          vue: ['vue', 'vue-router', 'pinia', 'vue-i18n'],
          echarts: ['echarts/core', 'echarts/charts', 'echarts/components', 'echarts/renderers', 'vue-echarts'],
        },
      },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['tests/unit/**/*.test.ts'],
    setupFiles: ['tests/unit/setup.ts'],
    restoreMocks: true,
    // the first test to open a lazy page compiles it and Element Plus
    testTimeout: 30_000,
    server: { deps: { inline: ['element-plus'] } },
    css: false,
  },
})
