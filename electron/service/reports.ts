import type { Handlers } from './dispatch';
import type { ServiceContext } from './context';
import type { reportMethods } from '../../shared/contract/reports';

export function reportHandlers(_ctx: ServiceContext): Pick<Handlers, keyof typeof reportMethods> {
  return {};
}
