import type { Theme } from 'vitepress';
import DefaultTheme from 'vitepress/theme';
import { defineAsyncComponent } from 'vue';
import './custom.css';

// The live demos, usable in any page as <WordOrderDemo /> and <GradientFlowChart />. Loaded on
// demand, so only the pages that use them download the library.
export default {
  extends: DefaultTheme,
  enhanceApp({ app }) {
    app.component(
      'WordOrderDemo',
      defineAsyncComponent(() => import('./components/WordOrderDemo.vue')),
    );
    app.component(
      'GradientFlowChart',
      defineAsyncComponent(() => import('./components/GradientFlowChart.vue')),
    );
    app.component(
      'TrainClassifierDemo',
      defineAsyncComponent(() => import('./components/TrainClassifierDemo.vue')),
    );
  },
} satisfies Theme;
