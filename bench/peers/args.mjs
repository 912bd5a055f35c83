// SPDX-License-Identifier: ISC
// Command line shared by the Node peers; the same one as bench/cron-bench:
//   [-n steps] [-r reps] [-t chain] [-b budget [-p]] -z zone ... -e expr ...
//   start ...
// and the same output lines, so bench/compare reads every side alike.

export function parseArgs(argv) {
	const o = { steps: 1000, reps: 5, trace: -1, budget: 0,
		partial: false, zones: [], exprs: [], starts: [] };

	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		const v = argv[i + 1];

		if (a === "-n") { o.steps = Number(v); i++; }
		else if (a === "-r") { o.reps = Number(v); i++; }
		else if (a === "-t") { o.trace = Number(v); i++; }
		else if (a === "-b") { o.budget = Number(v); i++; }
		else if (a === "-p") { o.partial = true; }
		else if (a === "-z") { o.zones.push(v); i++; }
		else if (a === "-e") { o.exprs.push(v); i++; }
		else o.starts.push(Number(a));
	}
	if (!o.zones.length || !o.exprs.length || !o.starts.length ||
	    o.starts.some((s) => !Number.isInteger(s))) {
		process.stderr.write("usage: PEER [-n steps] [-r reps] " +
		    "[-t chain] [-b budget [-p]] -z zone ... -e expr ... start ...\n");
		process.exit(2);
	}
	return o;
}

// Times WALK(start, all) (which walks one chain from START, appends every
// fire time to ALL when given, and returns the last one in epoch seconds, or
// null) over the chains and prints the best rate over the repetitions. With
// a budget (-b seconds), no repetition starts once it is spent; with -p as
// well, the first pass stops at the first chain that ends past it and later
// passes repeat those chains, so a slow peer is timed on a prefix of them.
export function runCase(o, zone, expr, walk) {
	const budget = o.budget > 0 ? BigInt(Math.round(o.budget * 1e9)) : 0n;
	const begin = process.hrtime.bigint();
	let best = Infinity;
	let count = o.starts.length;
	let finals;

	// The JIT compiles the hot path during the first calls; walk two chains
	// untimed so that the first timed pass is not mostly warm-up, which
	// matters when the budget leaves room for one pass only.
	for (let i = 0; i < Math.min(2, count); i++)
		walk(o.starts[i], null);
	for (let r = 0; r < o.reps; r++) {
		const t0 = process.hrtime.bigint();
		if (r > 0 && budget && t0 - begin > budget)
			break;
		finals = [];
		for (let i = 0; i < count; i++) {
			finals.push(walk(o.starts[i], null));
			if (r === 0 && o.partial && budget &&
			    process.hrtime.bigint() - begin > budget)
				break;
		}
		count = finals.length;
		const dt = Number(process.hrtime.bigint() - t0) / 1e9;
		if (dt < best)
			best = dt;
	}
	const rate = Math.round(count * o.steps / best);
	const out = finals.map((f) => (f === null ? "none" : String(f)));
	process.stdout.write(`case\t${zone}\t${expr}\t${rate}\t` +
	    `${out.join(" ")}\n`);
	if (o.trace >= 0) {
		const all = [];
		walk(o.starts[o.trace], all);
		process.stdout.write(`trace\t${zone}\t${expr}\t${o.trace}\t` +
		    `${all.map((f) => (f === null ? "none" : String(f))).join(" ")}\n`);
	}
}

export function caseError(zone, expr, err) {
	const msg = String(err && err.message ? err.message : err)
	    .replace(/\s+/g, " ");
	process.stdout.write(`case\t${zone}\t${expr}\terror\t${msg}\n`);
}
