/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the job-file loader: any bytes through
 * jobfile_parse (both modes). It must return errors or jobs, never crash,
 * leak or loop; every error must carry the file name and a position, and
 * a valid file must write out and parse back to the same jobs.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
round_trip(const struct jobfile *jf)
{
	struct jobfile *back;
	char *buf = NULL;
	size_t len = 0, i;
	FILE *fp;
	cJSON *a, *b;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		abort();
	jobfile_write(fp, jf->jobs, jf->njobs);
	fclose(fp);
	back = jobfile_parse("w.yaml", buf, len, 0);
	if (back->nerrors != 0 || back->njobs != jf->njobs)
		abort();
	for (i = 0; i < jf->njobs; i++) {
		a = job_to_json(jf->jobs[i], 1);
		b = job_to_json(back->jobs[i], 1);
		if (!cJSON_Compare(a, b, 1))
			abort();
		cJSON_Delete(a);
		cJSON_Delete(b);
	}
	jobfile_free(back);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jobfile *jf;
	size_t i;
	int flags;

	setenv("TZ", "UTC", 0);
	for (flags = 0; flags <= JOBFILE_ONE_JOB; flags++) {
		jf = jobfile_parse("f.yaml", (const char *)data, size, flags);
		for (i = 0; i < jf->nerrors; i++) {
			if (strncmp(jf->errors[i], "f.yaml:", 7) != 0)
				abort();
		}
		if (jf->nerrors == 0)
			round_trip(jf);
		jobfile_free(jf);
	}
	return 0;
}
