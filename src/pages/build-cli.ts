// `npm run build:web` (also npm's prepare step): builds the pages when missing or stale; --force always.
import { ensureWebBuilt } from './build.ts';

const { built } = await ensureWebBuilt({ force: process.argv.includes('--force'), log: (l) => console.log(l) });
console.log(built ? 'Pages built into dist/web.' : 'Pages are up to date (dist/web).');
