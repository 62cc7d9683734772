// posthog-js's build with every extension bundled and no script loading: it reads its remote configuration
// as JSON (/array/<token>/config).
import posthog from 'posthog-js/dist/module.full.no-external';
import { run } from './posthog-app.js';

run(posthog);
