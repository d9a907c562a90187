import type { Command } from '../command.js';
import { accessAccept, accessGrant, accessList, accessReject } from './access.js';
import { inviteCreate, settingsSet, userDelete, userDisable, userEnable, userPasswd } from './accounts.js';
import { exportCommand, importCommand } from './bundle.js';
import { migrateStorageCommand } from './migrate-storage.js';
import { mirrorList, mirrorPull, mirrorPush, mirrorRemove, mirrorSchedule } from './mirror.js';
import { orgCreate, orgMember, orgMembers } from './orgs.js';
import { quotaGet, quotaSet } from './quotas.js';
import { serve } from './serve.js';
import { tokenCreate } from './tokens.js';
import { userCreate } from './users.js';

/** Every command of the `orchard` CLI. A new command is a module here and a line in this list. */
export const COMMANDS: Command[] = [serve, userCreate, tokenCreate, orgCreate, orgMember, orgMembers, accessList, accessAccept, accessReject, accessGrant,
  userDisable, userEnable, userDelete, userPasswd, inviteCreate, settingsSet, quotaSet, quotaGet,
  mirrorPull, mirrorPush, mirrorSchedule, mirrorList, mirrorRemove, exportCommand, importCommand, migrateStorageCommand];
