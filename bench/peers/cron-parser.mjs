// SPDX-License-Identifier: ISC
// The cron-parser side of bench/compare: the expression is parsed once
// per expression and zone; each chain resets the iterator to its start and
// calls next() for every step, which continues from the previous fire time.
import { CronExpressionParser } from "cron-parser";

import { caseError, parseArgs, runCase } from "./args.mjs";

const o = parseArgs(process.argv.slice(2));

function walk(it, start, steps, all) {
	let last = null;

	it.reset(new Date(start * 1000));
	for (let s = 0; s < steps; s++) {
		try {
			last = it.next().getTime() / 1000;
		} catch (err) {
			last = null;
			break;
		}
		if (all)
			all.push(last);
	}
	if (last === null && all)
		all.push(null);
	return last;
}

for (const zone of o.zones) {
	for (const expr of o.exprs) {
		let it;

		try {
			it = CronExpressionParser.parse(expr, {
				tz: zone,
				currentDate: new Date(o.starts[0] * 1000),
			});
		} catch (err) {
			caseError(zone, expr, err);
			continue;
		}
		runCase(o, zone, expr, (st, all) => walk(it, st, o.steps, all));
	}
}
