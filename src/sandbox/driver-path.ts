/** Where `driver.py` lives, next to this module in both `src/` and the built `dist/`. */
import { fileURLToPath } from 'node:url';

export const DRIVER_PATH = fileURLToPath(new URL('./driver/driver.py', import.meta.url));
