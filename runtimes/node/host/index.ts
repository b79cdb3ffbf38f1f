/** Every host service by the name the shim asks for (shim/services.js). One line each. */
import { osService } from './os.ts';
import type { HostServiceFactory } from './service.ts';

export const HOST_SERVICES: Readonly<Record<string, HostServiceFactory>> = {
  os: osService,
};
