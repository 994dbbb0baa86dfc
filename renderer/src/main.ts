import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import { router } from './router';
import './styles.css';

// Browser mode: the token arrived as ?token=…; the server has set its cookie, so drop it from the
// address bar (and from history) where it could be copied or shared by accident.
if (new URLSearchParams(location.search).has('token')) {
  const url = new URL(location.href);
  url.searchParams.delete('token');
  history.replaceState(history.state, '', url.pathname + url.search + url.hash);
}

createApp(App).use(createPinia()).use(router).mount('#app');
