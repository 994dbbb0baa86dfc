import { createRouter, createWebHashHistory } from 'vue-router';
import RunsView from './views/RunsView.vue';
import PlaceholderView from './views/PlaceholderView.vue';

export const router = createRouter({
  // Hash history: works the same from file:// in Electron and from the browser-mode server.
  history: createWebHashHistory(),
  routes: [
    { path: '/', redirect: '/runs' },
    { path: '/datasets', component: PlaceholderView, meta: { title: 'Data sets' }, props: { title: 'Data sets', hint: 'Import IDX, CSV, image folders or NPZ, or download MNIST, Fashion-MNIST and Kuzushiji-MNIST.' } },
    { path: '/models', component: PlaceholderView, meta: { title: 'Models' }, props: { title: 'Models', hint: 'Pick a preset or build a Linear / BatchNorm / Dropout stack.' } },
    { path: '/sweeps', component: PlaceholderView, meta: { title: 'Sweeps' }, props: { title: 'Sweeps', hint: 'Learning rate × clip norm grids, repeated over seeds.' } },
    { path: '/runs', component: RunsView, meta: { title: 'Runs' } },
    { path: '/compare', component: PlaceholderView, meta: { title: 'Compare' }, props: { title: 'Compare', hint: 'Overlay the curves of runs from any time.' } },
  ],
});
