// posthog-js as npm installs it: the default build, which loads its remote configuration as a script
// (/array/<token>/config.js) and would load extensions from the assets host.
import posthog from 'posthog-js';
import { run } from './posthog-app.js';

run(posthog);
