// Single-file components are compiled by VitePress (@vitejs/plugin-vue), not by tsc.
declare module '*.vue' {
  import type { DefineComponent } from 'vue';

  const component: DefineComponent;
  export default component;
}
