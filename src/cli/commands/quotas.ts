import { ANONYMOUS } from '../../auth/actor.js';
import { parseSize } from '../../core/sizes.js';
import { recordAudit } from '../../services/audit.js';
import { readQuota, setQuota } from '../../services/quotas.js';
import type { Command } from '../command.js';

export const quotaSet: Command = {
  name: 'quota set',
  usage: `quota set NAMESPACE SIZE [--data DIR]
        Set a user's or org's upload quota: bytes, or 500M, 10G, 1.5T (K/M/G/T are
        powers of 1024; KB/MB/GB/TB powers of 1000); 0 or none removes it.`,
  async run(ctx) {
    const [namespace, sizeText] = ctx.args;
    if (!namespace || !sizeText) return 2;
    const maxBytes = sizeText.toLowerCase() === 'none' ? 0 : parseSize(sizeText);
    if (maxBytes === undefined) {
      ctx.err(`Not a size: ${sizeText} (try 500M or 10G)\n`);
      return 2;
    }
    const db = await ctx.db();
    const { report, previous } = await setQuota({ db }, namespace, maxBytes || null);
    await recordAudit({ db }, { actor: ANONYMOUS, ip: undefined }, {
      action: report.maxBytes === null ? 'quota.remove' : 'quota.set',
      namespace: report.namespace,
      target: report.namespace,
      details: { maxBytes: report.maxBytes, previous, via: 'cli' },
    });
    ctx.out(`${JSON.stringify(report)}\n`);
    return 0;
  },
};

export const quotaGet: Command = {
  name: 'quota get',
  usage: `quota get NAMESPACE [--data DIR]
        Print a namespace's quota and usage as JSON: {namespace, maxBytes, usedBytes}.`,
  async run(ctx) {
    const [namespace] = ctx.args;
    if (!namespace) return 2;
    ctx.out(`${JSON.stringify(await readQuota({ db: await ctx.db() }, namespace))}\n`);
    return 0;
  },
};
