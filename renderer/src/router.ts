import { createRouter, createWebHashHistory } from 'vue-router';

// Routes match the native menu's (electron/app/menu.ts): /datasets?import=1, /runs/new,
// /sweeps/new, /datasets, /models, /sweeps, /runs, /compare.
export const router = createRouter({
  // Hash history: works the same from file:// in Electron and from the browser-mode server.
  history: createWebHashHistory(),
  routes: [
    { path: '/', component: () => import('./views/StartView.vue') },
    { path: '/datasets/:id?', name: 'datasets', component: () => import('./views/DatasetsView.vue'), meta: { title: 'Data sets' } },
    { path: '/models', component: () => import('./views/ModelsView.vue'), meta: { title: 'Models' } },
    { path: '/runs/new', component: () => import('./views/TrainView.vue'), props: { kind: 'run' }, meta: { title: 'New run' } },
    { path: '/sweeps/new', component: () => import('./views/TrainView.vue'), props: { kind: 'sweep' }, meta: { title: 'New sweep' } },
    { path: '/live', component: () => import('./views/LiveView.vue'), meta: { title: 'Live' } },
    { path: '/runs', component: () => import('./views/HistoryView.vue'), meta: { title: 'Runs' } },
    { path: '/runs/:id', component: () => import('./views/RunView.vue'), props: true, meta: { title: 'Run' } },
    { path: '/sweeps', component: () => import('./views/SweepsView.vue'), meta: { title: 'Sweeps' } },
    { path: '/sweeps/:id', component: () => import('./views/SweepView.vue'), props: true, meta: { title: 'Sweep' } },
    { path: '/workers', component: () => import('./views/WorkersView.vue'), meta: { title: 'Workers' } },
    { path: '/compare', component: () => import('./views/CompareView.vue'), meta: { title: 'Compare' } },
    { path: '/:pathMatch(.*)*', redirect: '/runs' },
  ],
});

router.afterEach((to) => {
  document.title = to.meta.title ? `${String(to.meta.title)} · Sweeplab` : 'Sweeplab';
});
