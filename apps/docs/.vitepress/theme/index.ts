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
      'ExplodingGradientsChart',
      defineAsyncComponent(() => import('./components/ExplodingGradientsChart.vue')),
    );
    app.component(
      'TrainClassifierDemo',
      defineAsyncComponent(() => import('./components/TrainClassifierDemo.vue')),
    );
    // Guides 2, 4, 5 and 6.
    app.component(
      'HiddenStateDemo',
      defineAsyncComponent(() => import('./components/HiddenStateDemo.vue')),
    );
    app.component(
      'LstmGatesDemo',
      defineAsyncComponent(() => import('./components/LstmGatesDemo.vue')),
    );
    app.component(
      'GruParamsDemo',
      defineAsyncComponent(() => import('./components/GruParamsDemo.vue')),
    );
    app.component(
      'LayerShapesDemo',
      defineAsyncComponent(() => import('./components/LayerShapesDemo.vue')),
    );
  },
} satisfies Theme;
