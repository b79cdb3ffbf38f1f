/** Every action `POST /` answers, by name (X-TC-Action), gathered from the group files. */
import type { Action } from './action.ts';
import { asyncActions } from './async-actions.ts';
import { configActions } from './config-actions.ts';
import { functionActions } from './function-actions.ts';
import { invokeActions } from './invoke-actions.ts';
import { layerActions } from './layer-actions.ts';
import { logActions } from './log-actions.ts';
import { namespaceActions } from './namespace-actions.ts';
import { triggerActions } from './trigger-actions.ts';
import { versionActions } from './version-actions.ts';

/** A Map, so a name such as `constructor` or `__proto__` is an unknown action like any other. */
export const ACTIONS: ReadonlyMap<string, Action> = new Map(
  [invokeActions, functionActions, versionActions, logActions, asyncActions, configActions, triggerActions, namespaceActions, layerActions].flatMap((group) =>
    Object.entries(group),
  ),
);
