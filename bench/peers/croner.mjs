// SPDX-License-Identifier: ISC
// The croner side of bench/compare: one Cron object per expression and
// zone, stepped with nextRun(previous fire time), as a scheduler would.
import { Cron } from "croner";

import { caseError, parseArgs, runCase } from "./args.mjs";

const o = parseArgs(process.argv.slice(2));

function walk(job, start, steps, all) {
	let d = new Date(start * 1000);

	for (let s = 0; s < steps; s++) {
		d = job.nextRun(d);
		if (d === null)
			break;
		if (all)
			all.push(d.getTime() / 1000);
	}
	if (d === null && all)
		all.push(null);
	return d === null ? null : d.getTime() / 1000;
}

for (const zone of o.zones) {
	for (const expr of o.exprs) {
		let job;

		try {
			job = new Cron(expr, { timezone: zone, paused: true });
		} catch (err) {
			caseError(zone, expr, err);
			continue;
		}
		runCase(o, zone, expr, (st, all) => walk(job, st, o.steps, all));
	}
}
